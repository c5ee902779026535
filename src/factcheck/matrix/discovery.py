"""Which releases exist: each package's final releases with a CPython 3.11 wheel for Linux x86_64
(from PyPI's JSON API), the newest patch of each minor release, and the plan of runs."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

from ..project import read_pins
from ..vocabulary import COMPANION, DISTRIBUTIONS, FRAMEWORK_IDS, RUN_NAME
from . import ROOT

PYPI_JSON = "https://pypi.org/pypi/{}/json"

# The matrix: minor releases with Python 3.11 wheels, from these on (keyed by the run's name for
# the framework, vocabulary.RUN_NAME).
FIRST = {"torch": (2, 0), "tensorflow": (2, 12)}
FRAMEWORKS = {
    RUN_NAME[side]: {
        "package": DISTRIBUTIONS[side][0],
        "first": FIRST[RUN_NAME[side]],
        "side": side,
        "companion": COMPANION[side],
    }
    for side in FRAMEWORK_IDS
}
OTHER = {"torch": "tensorflow", "tensorflow": "torch"}


def _version_key(text: str):
    from packaging.version import Version

    return Version(text)


def fetch_json(name: str) -> dict:
    with urllib.request.urlopen(PYPI_JSON.format(name), timeout=60) as response:
        return json.load(response)


def _linux_py311(filename: str) -> bool:
    if not filename.endswith(".whl"):
        return False
    tags = filename[:-4].split("-")[-3:]
    python, abi, plat = tags
    py_ok = any(p in ("cp311", "py3", "py311") or p.startswith("py3") for p in python.split("."))
    py_ok = py_ok or (abi == "abi3" and any(p.startswith("cp3") and int(p[3:] or 0) <= 11 for p in python.split(".")))
    return py_ok and ("x86_64" in plat or plat == "any")


def releases(package: str, data: dict | None = None) -> list[str]:
    """Final (not pre-, not yanked) releases with a wheel for CPython 3.11 on Linux x86_64, sorted."""
    from packaging.version import InvalidVersion, Version

    data = data or fetch_json(package)
    found = []
    for text, files in data["releases"].items():
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if version.is_prerelease or version.is_devrelease:
            continue
        if any(_linux_py311(f["filename"]) and not f.get("yanked") for f in files):
            found.append(text)
    return sorted(found, key=_version_key)


def newest_per_minor(versions: list[str], first: tuple[int, int] = (0, 0)) -> dict[str, str]:
    """``{"2.3": "2.3.1", ...}``: the newest patch of each minor release from ``first`` on."""
    from packaging.version import Version

    out: dict[str, str] = {}
    for text in sorted(versions, key=_version_key):
        v = Version(text)
        if (v.major, v.minor) >= first:
            out[f"{v.major}.{v.minor}"] = text
    return out


def lock_versions(lock: Path = ROOT / "requirements.lock") -> dict[str, str]:
    """requirements.lock, read by the one lock-file reader (the Colab cell uses it too)."""
    return read_pins(lock)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# Minor releases run on another patch than the newest: the one the library released in step
# with the framework in that release's time requires (its wheel's metadata), so it installs.
# ExecuTorch 0.4.0 (torch 2.5) pins torch==2.5.0 too, but also numpy==1.23.2 on Python 3.11,
# which TensorFlow 2.21 (numpy>=1.26) excludes: torch 2.5 keeps its newest patch, without it.
# Where the in-step library's patch is not taken, why (the Versions page's words say it).
PATCH_KEPT = {
    ("torch", "2.5"): "ExecuTorch 0.4.0 also pins NumPy 1.23.2 on Python 3.11, which TensorFlow 2.21, needing NumPy"
    " 1.26 or newer, excludes",
}
IN_STEP_PATCH = {
    ("torch", "2.4"): ("2.4.0", "the patch ExecuTorch 0.3.0, of torch 2.4's time, requires (torch==2.4.0)"),
    ("torch", "2.7"): ("2.7.0", "the patch ExecuTorch 0.6.0, of torch 2.7's time, requires (torch==2.7.0)"),
}


def plan(cache: dict | None = None) -> list[tuple[str, str, str]]:
    """Every run of the matrix: (framework, minor, version), torch then TensorFlow, oldest first;
    the version is the newest patch, or the one ``IN_STEP_PATCH`` names."""
    runs = []
    for fw, spec in FRAMEWORKS.items():
        data = (cache or {}).get(spec["package"])
        known = releases(spec["package"], data)
        for minor, version in newest_per_minor(known, spec["first"]).items():
            patch = IN_STEP_PATCH.get((fw, minor), (version,))[0]
            runs.append((fw, minor, patch if patch in known else version))
    return runs


def release_dates(data: dict) -> dict[str, str]:
    """``{"2.3.1": "2024-06-05", ...}``: the day each release's first file was uploaded."""
    dates = {}
    for version, files in data.get("releases", {}).items():
        stamps = [f.get("upload_time_iso_8601") or f.get("upload_time") or "" for f in files]
        stamps = [s for s in stamps if s]
        if stamps:
            dates[version] = min(stamps)[:10]
    return dates


def successor_date(package: str, minor: str, first: tuple[int, int], data: dict | None = None) -> str | None:
    """The day the next minor release of ``package`` after ``minor`` came out (None for the
    newest): until then, ``minor`` was the release a user of the framework had."""
    data = data or fetch_json(package)
    minors = newest_per_minor(releases(package, data), first)
    later = sorted((m for m in minors if _version_key(m) > _version_key(minor)), key=_version_key)
    if not later:
        return None
    dates = release_dates(data)
    firsts = [v for v in dates if ".".join(v.split(".")[:2]) == later[0] and v in releases(package, data)]
    return min(dates[v] for v in firsts) if firsts else None


def newest_before(package: str, day: str, cap: str | None, data: dict | None = None) -> tuple[str | None, str | None]:
    """The newest final release of ``package`` out before ``day`` and no newer than ``cap``:
    (that version or None, the day its first release came out)."""
    data = data or fetch_json(package)
    dates = release_dates(data)
    found = [
        v
        for v in releases(package, data)
        if v in dates and dates[v] < day and (cap is None or _version_key(v) <= _version_key(cap))
    ]
    first = min(dates.values()) if dates else None
    return (max(found, key=_version_key) if found else None), first
