"""pip for the matrix: every call downloads into a wheelhouse this package manages
(``.cache/matrix-wheels``) and installs from it offline; a machine-wide constraint file never caps
the releases under test (``PIP_CONSTRAINT=/dev/null``, recorded); the resolver's key line when a
package does not fit; pins as constraints; disk watching and wheelhouse pruning between runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from . import ROOT, WHEELHOUSE
from .discovery import canonical

# Compiled packages pip must never build from source (an sdist build would blow the budget).
BINARY_ONLY = (
    "numpy", "scipy", "pandas", "matplotlib", "torch", "torchvision", "tensorflow-cpu", "jaxlib", "onnxruntime",
    "onnx", "h5py", "grpcio", "ml-dtypes", "scikit-learn", "pillow", "tokenizers", "safetensors", "executorch",
    "ai-edge-litert", "contourpy", "kiwisolver", "pyarrow", "tensorflow-text", "tensorflow-io-gcs-filesystem",
)  # fmt: skip

BIG_WHEEL = 20 * 2**20  # bytes: wheels above this are pruned after their run unless pinned
SMALL_WHEELS_CAP = 3 * 2**30  # the small wheels kept between runs, at most
MIN_FREE_GB = 15  # a run needs about 10 GB (environment + wheels); refuse to start below this


def pip_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "PIP_CONSTRAINT": "/dev/null",  # lift any machine-wide cap (pip.conf's constraint file)
            "PIP_FIND_LINKS": str(WHEELHOUSE),  # our wheelhouse, instead of any machine find-links
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
            "PIP_PROGRESS_BAR": "off",
        }
    )
    env.pop("PYTHONPATH", None)
    env.update(extra or {})
    return env


def machine_caps() -> list[str]:
    """Pip settings of this machine that could cap or substitute versions, and what we did."""
    notes = []
    try:
        listing = subprocess.run(
            [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError):
        listing = ""
    for line in listing.splitlines():
        key, _, value = line.partition("=")
        value = value.strip("'\"")
        if key.endswith(".constraint"):
            caps = ""
            try:
                caps = ", ".join(
                    x.strip() for x in Path(value).read_text().splitlines() if x.strip() and not x.startswith("#")
                )
            except OSError:
                pass
            notes.append(f"pip config {key}={value} ({caps or 'unreadable'}): overridden by PIP_CONSTRAINT=/dev/null")
        elif key.endswith(".find-links"):
            notes.append(f"pip config {key}={value}: replaced by the wheelhouse (PIP_FIND_LINKS)")
        elif key.endswith(".index-url") or key.endswith(".extra-index-url"):
            notes.append(f"pip config {key}={value}: kept (more places to find the same releases)")
    for var in ("PIP_CONSTRAINT", "PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX"):
        if os.environ.get(var):
            notes.append(f"environment {var}={os.environ[var]}: overridden for the run's pip calls")
    return notes


def key_line(output: str) -> str:
    """The line of pip's error output that says why: the conflicting 'depends on' lines, or the
    first ERROR line."""
    lines = [x.rstrip() for x in output.splitlines()]
    if "The conflict is caused by:" in "\n".join(lines):
        start = next(i for i, x in enumerate(lines) if "The conflict is caused by:" in x)
        causes = []
        for x in lines[start + 1 :]:
            if not x.strip():
                break
            x = x.strip()
            if "depends on" in x or "requested" in x:
                causes.append(x)
        depends = [c for c in causes if "depends on" in c] or causes
        if depends:
            return "; ".join(depends[:4])
    for x in lines:
        if x.startswith("ERROR:") and "pip's dependency resolver" not in x:
            return x[len("ERROR:") :].strip()[:400]
    tail = [x for x in lines if x.strip()]
    return (tail[-1] if tail else "pip failed without a message")[:400]


class DiskFullError(Exception):
    """pip ran out of disk: the machine's limit, not the release's, so the run stops and writes
    nothing (its committed result stays) instead of naming libraries as left out."""


class Pip:
    """pip calls for one run: download into the wheelhouse, install from it offline."""

    def __init__(self, python: Path, log):
        self.python = python
        self.log = log

    def _run(self, args: list[str], timeout: float) -> tuple[int, str]:
        cmd = [str(self.python), "-m", "pip", *args]
        self.log.write(f"\n$ {' '.join(cmd)}\n")
        self.log.flush()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=pip_env(), cwd=ROOT)
        except subprocess.TimeoutExpired as exc:
            out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            self.log.write(out + f"\n[timed out after {timeout:.0f} s]\n")
            return 124, out + f"\nERROR: resolution and download did not finish within {timeout:.0f} s"
        out = proc.stdout + proc.stderr
        self.log.write("\n".join(x for x in out.splitlines() if "is ignored: it is neither" not in x) + "\n")
        self.log.flush()
        if proc.returncode != 0 and "[Errno 28] No space left on device" in out:
            raise DiskFullError(f"pip ran out of disk space ({free_gb():.1f} GB free now): {key_line(out)[:200]}")
        return proc.returncode, out

    def download(self, reqs: list[str], constraints: Path | None, dest: Path, timeout: float) -> tuple[int, str, list]:
        args = ["download", "--no-cache-dir", "--dest", str(dest), "--prefer-binary"]
        args += ["--only-binary", ",".join(BINARY_ONLY)]
        if constraints:
            args += ["-c", str(constraints)]
        rc, out = self._run(args + reqs, timeout)
        files = re.findall(r"(?:Saved|File was already downloaded) (\S+)", out)
        return rc, out, [Path(f) for f in files]

    def install(self, reqs: list[str], constraints: Path | None, timeout: float = 900, extra=()) -> tuple[int, str]:
        args = ["install", "--no-index", "--no-cache-dir", *extra]
        if constraints:
            args += ["-c", str(constraints)]
        return self._run(args + reqs, timeout)

    def uninstall(self, names: list[str]) -> tuple[int, str]:
        return self._run(["uninstall", "--yes", *names], 300)

    def freeze(self) -> dict[str, str]:
        rc, out = self._run(["freeze", "--all"], 120)
        pins = {}
        for line in out.splitlines():
            if "==" in line and not line.startswith(("-e", "#")):
                name, version = line.split("==", 1)
                pins[name.strip()] = version.strip()
        return pins


# A library may pull a framework under another distribution name (keras-hub -> tensorflow-text
# -> tensorflow): such an alias is held to the version of the one installed.
ALIASES = {"tensorflow-cpu": "tensorflow"}


def write_constraints(path: Path, pins: dict[str, str]) -> Path:
    skip = {"pip", "setuptools", "wheel", "factcheck"}
    pins = {canonical(n): v for n, v in pins.items() if canonical(n) not in skip}
    for name, alias in ALIASES.items():
        if name in pins:
            pins.setdefault(alias, pins[name])
    path.write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins.items())))
    return path


# --- disk ---------------------------------------------------------------------------------------


def free_gb(path: Path = ROOT) -> float:
    return shutil.disk_usage(path).free / 2**30


def tree_gb(path: Path) -> float:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total / 2**30


class DiskWatch(threading.Thread):
    """Samples free space every few seconds: the run's peak use is the largest drop from the start."""

    def __init__(self):
        super().__init__(daemon=True)
        self.start_free = free_gb()
        self.min_free = self.start_free
        self._stop = threading.Event()

    def run(self):
        while not self._stop.wait(3):
            self.min_free = min(self.min_free, free_gb())

    def stop(self) -> float:
        self._stop.set()
        self.min_free = min(self.min_free, free_gb())
        return round(self.start_free - self.min_free, 2)


def prune_wheelhouse(used: list[Path], keep: dict[str, str]) -> float:
    """Delete this run's large wheels unless pinned (``keep``: name -> version from the lock);
    cap the small ones. Returns the wheelhouse size in GB."""
    for path in used:
        path = WHEELHOUSE / path.name
        if not path.is_file() or path.stat().st_size < BIG_WHEEL:
            continue
        name, version = _wheel_name_version(path.name)
        if keep.get(canonical(name)) != version.split("+")[0]:
            path.unlink()
    small = sorted((p for p in WHEELHOUSE.glob("*") if p.is_file()), key=lambda p: p.stat().st_atime)
    total = sum(p.stat().st_size for p in small if p.stat().st_size < BIG_WHEEL)
    for p in small:
        if total <= SMALL_WHEELS_CAP:
            break
        if p.stat().st_size < BIG_WHEEL:
            total -= p.stat().st_size
            p.unlink()
    return round(tree_gb(WHEELHOUSE), 2)


def _wheel_name_version(filename: str) -> tuple[str, str]:
    parts = filename.split("-")
    if filename.endswith((".tar.gz", ".zip")):
        stem = filename.rsplit(".tar.gz", 1)[0].rsplit(".zip", 1)[0]
        name, _, version = stem.rpartition("-")
        return name, version
    return parts[0], parts[1] if len(parts) > 1 else ""
