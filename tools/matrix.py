"""The version matrix: every evidence notebook on every minor release of each framework.

One *run* executes every evidence notebook with one release of one framework (the newest
patch of a minor release) and the other framework at its pin, in a fresh virtual
environment, and writes ``data/version-matrix/<framework>-<minor>.json`` (the format is
``factcheck.judging.results``). Runs resume: a run whose file exists (and parses) is skipped unless
``--force``; the file is written atomically at the end, so a crash loses at most the run in
progress.

    python tools/matrix.py                      # every missing run, oldest first
    python tools/matrix.py --framework torch --version 2.3
    python tools/matrix.py --list               # the plan, and which runs exist

How one run builds its environment (core first, so that no evidence library moves it):

1. the *core*: the framework under test (exact version) with its companion (torchvision
   for torch, keras for TensorFlow), the other framework and its companion at their pins,
   and what the engine and notebooks need (numpy, matplotlib, pandas, pyyaml, jsonschema,
   nbformat, nbclient, ipykernel, markdown), those no newer than requirements.lock. When the
   other framework's pin does not install beside the release under test, the newest patch
   of each older minor is tried in turn, and the record says which and why;
2. ``pip install --no-deps -e .`` (the notebooks import ``factcheck`` and ``fwbench``);
3. each evidence library on its own, no newer than requirements.lock, with everything
   installed so far frozen as constraints; one that does not fit is left out with the
   resolver's key line.

Wheels go to a wheelhouse this script manages (``.cache/matrix-wheels``): every pip call
downloads into it and installs from it offline. After a run, its large wheels are deleted
unless they belong to the pinned set (requirements.lock), which every run reuses.

Every pip call sets ``PIP_CONSTRAINT=/dev/null`` (a machine-wide constraint file must not
cap the releases under test) and ``PIP_FIND_LINKS`` to the wheelhouse; the run record lists
what it overrode.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

OUT_DIR = ROOT / "data" / "version-matrix"
CACHE = ROOT / ".cache"
WHEELHOUSE = CACHE / "matrix-wheels"
ENVS = CACHE / "matrix-envs"
LOGS = CACHE / "matrix-logs"
PYPI_JSON = "https://pypi.org/pypi/{}/json"

# The matrix (GitHub issue 19): minor releases with Python 3.11 wheels, from these on.
FRAMEWORKS = {
    "torch": {"package": "torch", "first": (2, 0), "side": "pytorch", "companion": "torchvision"},
    "tensorflow": {"package": "tensorflow-cpu", "first": (2, 12), "side": "tensorflow", "companion": "keras"},
}
OTHER = {"torch": "tensorflow", "tensorflow": "torch"}
# Core packages besides the frameworks, each capped at its requirements.lock version.
CORE_EXTRAS = (
    "numpy", "matplotlib", "pandas", "pyyaml", "jsonschema", "nbformat", "nbclient", "ipykernel", "jupyter-client",
    "markdown",
)  # fmt: skip
# Evidence libraries (requirements.in), tried one by one in this order, each capped at its lock version.
EVIDENCE = (
    "keras-hub", "transformers", "executorch", "litert-torch", "ai-edge-litert", "onnxruntime", "onnx",
    "onnxscript", "tf2onnx", "skorch", "scikeras", "scikit-learn", "gymnasium", "tensorboard",
    "threadpoolctl", "psutil", "jax",
)  # fmt: skip
# Import names of the evidence libraries, to tell which notebook needs a left-out one.
IMPORT_NAMES = {
    "keras-hub": "keras_hub", "ai-edge-litert": "ai_edge_litert", "litert-torch": "litert_torch",
    "scikit-learn": "sklearn", "onnxruntime": "onnxruntime",
}  # fmt: skip
# Compiled packages pip must never build from source (an sdist build would blow the budget).
BINARY_ONLY = (
    "numpy", "scipy", "pandas", "matplotlib", "torch", "torchvision", "tensorflow-cpu", "jaxlib", "onnxruntime",
    "onnx", "h5py", "grpcio", "ml-dtypes", "scikit-learn", "pillow", "tokenizers", "safetensors", "executorch",
    "ai-edge-litert", "contourpy", "kiwisolver", "pyarrow", "tensorflow-text", "tensorflow-io-gcs-filesystem",
)  # fmt: skip
# Requirements a release needs but does not declare: torch wheels before 2.3 were built against
# NumPy 1 and declare no numpy requirement (with NumPy 2, torch.from_numpy raises).
# TensorFlow before 2.14 caps typing-extensions below 4.6, and IPython 8.23+ imports
# typing_extensions.TypeAliasType (new in 4.6) while declaring any typing-extensions: no kernel starts.
UNDECLARED = {
    "torch": [("2.3", "numpy<2", "torch releases before 2.3 were built against NumPy 1")],
    "tensorflow": [
        ("2.14", "ipython<8.23", "TensorFlow before 2.14 needs typing-extensions<4.6; IPython 8.23+ needs 4.6")
    ],
}
BIG_WHEEL = 20 * 2**20  # bytes: wheels above this are pruned after their run unless pinned
SMALL_WHEELS_CAP = 3 * 2**30  # the small wheels kept between runs, at most
MIN_FREE_GB = 15  # a run needs about 10 GB (environment + wheels); refuse to start below this
RUN_BUDGET_S = 12 * 60
LIB_TIMEOUT_S = 240  # one evidence library's resolution and download
CORE_ATTEMPTS = 8  # failed resolutions of the core before giving up

_PROGRESS_T0 = time.monotonic()


def say(run: str, message: str) -> None:
    print(f"[matrix {time.monotonic() - _PROGRESS_T0:7.1f}s] {run}: {message}", flush=True)


# --- versions ---------------------------------------------------------------------------------


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
    from factcheck.sources.support import read_pins  # the one lock-file reader (the Colab cell uses it too)

    return read_pins(lock)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def plan(cache: dict | None = None) -> list[tuple[str, str, str]]:
    """Every run of the matrix: (framework, minor, newest patch), torch then TensorFlow, oldest first."""
    runs = []
    for fw, spec in FRAMEWORKS.items():
        data = (cache or {}).get(spec["package"])
        for minor, version in newest_per_minor(releases(spec["package"], data), spec["first"]).items():
            runs.append((fw, minor, version))
    return runs


# --- pip --------------------------------------------------------------------------------------


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


# --- the environment ----------------------------------------------------------------------------

INSPECT = r"""
import json, sys, platform
from importlib import metadata
dists = {}
requires = {}
for d in metadata.distributions():
    name = d.metadata["Name"]
    if not name:
        continue
    dists[name] = d.version
    requires[name] = list(d.requires or [])
modules = sorted(metadata.packages_distributions())
print(json.dumps({"python": platform.python_version(), "dists": dists, "requires": requires, "modules": modules}))
"""

CHECKS = {
    "torch": "import torch, torchvision\n"
    "torch.ops.torchvision.nms\n"
    "assert (torch.ones(2) + 1).sum().item() == 4\n"
    "import numpy as np\n"
    "assert torch.from_numpy(np.ones(2)).sum().item() == 2\n"
    "print('torch', torch.__version__, 'torchvision', torchvision.__version__, 'numpy', np.__version__)",
    "tensorflow": "import tensorflow as tf\n"
    "assert int(tf.constant(1) + 1) == 2\n"
    "import numpy as np\n"
    "assert float(tf.reduce_sum(tf.constant(np.ones(2)))) == 2\n"
    "import keras\n"
    "print('tensorflow', tf.__version__, 'keras', keras.__version__, 'tf.constant(1) + 1 == 2')",
    "kernel": "import sys\n"
    "import nbformat\n"
    "from nbclient import NotebookClient\n"
    "nb = nbformat.v4.new_notebook()\n"
    "nb.cells.append(nbformat.v4.new_code_cell('import sys; print(sys.prefix)'))\n"
    "NotebookClient(nb, kernel_name='python3', timeout=120).execute()\n"
    "prefix = nb.cells[0].outputs[0]['text'].strip()\n"
    "assert prefix == sys.prefix, f'the kernel runs in {prefix}, not in {sys.prefix}'\n"
    "print('a python3 kernel starts in the environment')",
    "torch-then-tensorflow": "import torch, torchvision\n"
    "import tensorflow as tf\n"
    "torch.ops.torchvision.nms\n"
    "assert int(tf.constant(1) + 1) == 2 and (torch.ones(2) + 1).sum().item() == 4\n"
    "print('both load in one process, torch first')",
}


def check_environment(python: Path, log) -> list:
    from factcheck.judging.results import Check

    checks = []
    for name, code in CHECKS.items():
        try:
            proc = subprocess.run(
                [str(python), "-c", code],
                capture_output=True,
                text=True,
                timeout=300,
                env=kernel_env(python),
                cwd=tempfile.gettempdir(),
            )
            ok = proc.returncode == 0
            lines = [x for x in (proc.stdout + proc.stderr).strip().splitlines() if x.strip()]
            if ok:
                detail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "ok"
            else:
                errors = [x for x in lines if re.match(r"^\w+(Error|Exception)\b", x)]
                detail = (errors[-1] if errors else (lines[-1] if lines else f"exit {proc.returncode}"))[:400]
                if proc.returncode < 0:
                    detail = f"killed by signal {-proc.returncode} ({detail})"
            log.write(f"\n[check {name}] rc={proc.returncode}\n{proc.stdout}\n{proc.stderr[-4000:]}\n")
        except subprocess.TimeoutExpired:
            ok, detail = False, "no answer within 300 s"
        checks.append(Check(name, ok, detail))
    return checks


def kernel_env(python: Path) -> dict:
    from factcheck.run.sandbox import QUIET_ENV

    env = pip_env()
    env.update(QUIET_ENV)
    env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(python.parent.parent)
    env.pop("PYTHONHOME", None)
    return env


def why_not_newest(package: str, newest: str, requires: dict[str, list[str]], extra: str = "") -> str:
    """Which installed packages' requirements exclude ``newest`` of ``package``."""
    from packaging.requirements import InvalidRequirement, Requirement

    blockers = []
    for dist, reqs in requires.items():
        for text in reqs:
            try:
                req = Requirement(text)
            except InvalidRequirement:
                continue
            if canonical(req.name) != canonical(package):
                continue
            if req.marker is not None:
                try:
                    if not req.marker.evaluate({"extra": ""}):
                        continue
                except Exception:  # noqa: BLE001 (a marker we cannot evaluate: count it)
                    pass
            if req.specifier and not req.specifier.contains(newest, prereleases=True):
                blockers.append(f"{dist} requires {package}{req.specifier}")
    parts = ([extra] if extra else []) + sorted(set(blockers))
    return "; ".join(parts)


# --- executing notebooks (runs inside the run's environment) -------------------------------------


def execute_notebooks(rels: list[str], out_dir: Path, jobs: int = 2, notebooks_dir: Path | None = None) -> None:
    """Run in the run's environment: every notebook through the engine's one executor, errors
    allowed, ``jobs`` at a time (exclusive ones alone); each executed copy goes to
    ``out_dir/<rel>`` with its outcome beside it (``.outcome.json``)."""
    from factcheck.publish.wheel import build_wheel, fwbench_version
    from factcheck.run.executor import DEFAULT_CELL_TIMEOUT, Task, execute_into
    from factcheck.sources.notebooks import notebook_settings, read_notebook
    from factcheck.sources.support import needs_fwbench

    notebooks_dir = Path(notebooks_dir or ROOT / "notebooks")
    wheel = out_dir / "_wheels" / f"fwbench-{fwbench_version(ROOT / 'src' / 'fwbench')}-py3-none-any.whl"
    tasks = []
    for rel in rels:
        nb = read_notebook(notebooks_dir / rel)
        settings = notebook_settings(nb)
        wheels = ()
        if needs_fwbench(nb):
            if not wheel.is_file():
                wheel.parent.mkdir(parents=True, exist_ok=True)
                wheel.write_bytes(build_wheel(ROOT / "src" / "fwbench", fwbench_version(ROOT / "src" / "fwbench")))
            wheels = (str(wheel),)
        tasks.append(
            Task(
                src=str(notebooks_dir / rel),
                out=str(out_dir / rel),
                timeout=int(settings.get("timeout", DEFAULT_CELL_TIMEOUT)),
                exclusive=bool(settings.get("exclusive")),
                blocked=(str(ROOT / "src"),),
                wheels=wheels,
            )
        )
    execute_into(tasks, jobs)


# --- one run ---------------------------------------------------------------------------------------


class Run:
    def __init__(
        self,
        framework: str,
        minor: str,
        version: str,
        pypi: dict,
        out_dir: Path = OUT_DIR,
        newest: bool = False,
        keep_executed: Path | None = None,
    ):
        """A run of every evidence notebook with ``framework`` at ``version``. ``newest``: the
        drift run (`make test-latest`): the other framework at its newest release too (falling
        back to the pin, then older, when it does not install beside), recorded as kind
        "drift"; ``keep_executed``: keep the executed copies there (notebooks/<rel>) for the
        drift report's comparison of printed text."""
        self.framework, self.minor, self.version = framework, minor, version
        self.newest, self.keep_executed = newest, keep_executed
        self.spec = FRAMEWORKS[framework]
        self.other = OTHER[framework]
        self.other_spec = FRAMEWORKS[self.other]
        self.pypi = pypi  # package -> PyPI JSON
        self.name = f"{framework}-{minor}"
        self.out = out_dir / f"{self.name}.json"
        self.env_dir = ENVS / self.name
        self.python = self.env_dir / "bin" / "python"
        self.lock = lock_versions()
        self.used: list[Path] = []
        self.notes: list[str] = []
        self.asked: dict[str, str] = {}  # package -> a requirement the runner added, and why

    def say(self, message: str) -> None:
        say(self.name, message)

    # - core -
    def _companion_reqs(self, fw: str, version: str, pinned: bool) -> list[str]:
        spec = FRAMEWORKS[fw]
        companion = spec["companion"]
        if pinned:
            return [f"{companion}=={self.lock[canonical(companion)]}"]
        if fw == "torch":
            # torchvision 0.(m+15) is the release made for torch 2.m (PyTorch's compatibility
            # table); when none exists yet (a torch newer than every torchvision), take the newest.
            minor = int(version.split(".")[1])
            tv_minors = newest_per_minor(releases("torchvision", self.pypi.get("torchvision")))
            if f"0.{minor + 15}" in tv_minors:
                req = f"torchvision>=0.{minor + 15},<0.{minor + 16}"
                self.asked["torchvision"] = (
                    f"{req}: the release made for torch 2.{minor} (PyTorch's compatibility table)"
                )
                return [req]
            return ["torchvision"]
        # TensorFlow <= 2.15 names its Keras 2 release itself; from 2.16 on Keras 3 is separate:
        # no newer than the pin.
        if _version_key(version) >= _version_key("2.16"):
            self.asked["keras"] = f"keras<={self.lock['keras']}: Keras 3 no newer than the project pin"
            return [f"keras<={self.lock['keras']}"]
        return []

    def core_reqs(self, other_version: str) -> list[str]:
        reqs = [f"{self.spec['package']}=={self.version}", *self._companion_reqs(self.framework, self.version, False)]
        pinned = other_version == self.lock[canonical(self.other_spec["package"])]
        reqs += [f"{self.other_spec['package']}=={other_version}"]
        reqs += self._companion_reqs(self.other, other_version, pinned)
        for name in CORE_EXTRAS:
            cap = self.lock.get(canonical(name))
            reqs.append(f"{name}<={cap}" if cap else name)
            if cap:
                self.asked.setdefault(canonical(name), f"{name}<={cap}: no newer than requirements.lock")
        for fw, version in ((self.framework, self.version), (self.other, other_version)):
            for below, req, why in UNDECLARED.get(fw, []):
                if _version_key(version) < _version_key(below):
                    reqs.append(req)
                    self.asked[canonical(req.split("<")[0])] = f"{req}: {why}"
                    note = f"{req}: {why} (an undeclared requirement of {fw} {version})"
                    if note not in self.notes:
                        self.notes.append(note)
        return reqs

    def other_candidates(self) -> list[str]:
        """The other framework's pin, then the newest patch of each older minor, newest first."""
        package = self.other_spec["package"]
        pin = self.lock[canonical(package)]
        minors = newest_per_minor(releases(package, self.pypi.get(package)), self.other_spec["first"])
        older = [v for v in minors.values() if _version_key(v) < _version_key(pin)]
        if self.newest:
            newest = releases(package, self.pypi.get(package))[-1]
            if newest != pin:
                return [newest, pin, *sorted(older, key=_version_key, reverse=True)]
        return [pin, *sorted(older, key=_version_key, reverse=True)]

    def build_core(self, pip: Pip, log) -> tuple[dict, list[str]]:
        """Resolve and install the core. The other framework at its pin when it installs beside
        the release under test; otherwise the newest older minor release that does, found by
        bisection (a release newer than one that conflicts is assumed to conflict too, as with
        a rising lower bound on a shared dependency). Every attempt is recorded with pip's line."""
        candidates = self.other_candidates()
        attempts: list[dict] = []
        fetched: dict[str, list[Path]] = {}

        caps = self.write_lock_caps()
        capped: dict[str, bool] = {}

        def attempt(version: str) -> bool:
            reqs = self.core_reqs(version)
            self.say(f"resolving the core with {self.other_spec['package']} {version}")
            rc, out, files = pip.download(reqs, caps, WHEELHOUSE, timeout=900)
            if rc == 0:
                fetched[version], capped[version] = files, True
                return True
            self.say(f"  not with shared dependencies at their lock versions: {key_line(out)[:160]}")
            rc, out, files = pip.download(reqs, None, WHEELHOUSE, timeout=900)
            if rc == 0:
                fetched[version], capped[version] = files, False
                self.notes.append(
                    f"shared dependencies could not stay at or below their requirements.lock versions "
                    f"beside {self.spec['package']} {self.version}: {key_line(out)[:200] or 'see the log'}"
                )
                return True
            attempts.append({"version": version, "error": key_line(out)})
            self.say(f"  no: {attempts[-1]['error'][:200]}")
            return False

        chosen = candidates[0] if attempt(candidates[0]) else None
        if chosen is None:
            lo, hi = 1, len(candidates) - 1  # the answer is the smallest index that works
            while lo <= hi and len(attempts) < CORE_ATTEMPTS:
                mid = (lo + hi) // 2
                if attempt(candidates[mid]):
                    chosen, hi = candidates[mid], mid - 1
                else:
                    lo = mid + 1
        if chosen is None:
            raise RuntimeError(
                f"no core environment: {self.spec['package']} {self.version} with none of "
                f"{', '.join(a['version'] for a in attempts)}; first: {attempts[0]['error'] if attempts else '-'}"
            )
        for version, files in fetched.items():  # probes that resolved but were not chosen
            if version != chosen:
                prune_wheelhouse(files, self.lock)
        self.used += fetched[chosen]
        reqs = self.core_reqs(chosen)
        rc, out = pip.install(reqs, caps if capped[chosen] else None)
        if rc != 0:
            raise RuntimeError(f"core install from the wheelhouse failed: {key_line(out)}")
        pin = self.lock[canonical(self.other_spec["package"])]
        if chosen == pin:
            reason = "the project pin"
        else:
            reason = (
                f"the newest minor release below the pin {pin} that installs beside {self.spec['package']} "
                f"{self.version}; the pin does not: {attempts[0]['error']}"
            )
        other = {
            "package": self.other_spec["package"],
            "pinned": pin,
            "got": chosen,
            "reason": reason,
            "attempts": sorted(attempts, key=lambda a: _version_key(a["version"]), reverse=True),
        }
        return other, reqs

    def write_lock_caps(self) -> Path:
        """Every locked package except the two frameworks and their companions, as an upper
        bound (``name<=version``). The core's shared dependencies then stay where the evidence
        libraries were resolved (litert-torch's xdsl needs typing-extensions<4.13; the newest
        torch would take 4.16 and leave litert-torch out). A release that needs something newer
        than the lock (torch 2.15: typing-extensions>=4.13) resolves without these bounds."""
        skip = {canonical(n) for spec in FRAMEWORKS.values() for n in (spec["package"], spec["companion"])}
        skip |= {canonical(a) for a in ALIASES.values()} | {"pip", "setuptools", "wheel", "factcheck"}
        caps = {n: v for n, v in self.lock.items() if canonical(n) not in skip}
        path = self.env_dir / "lock-caps.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{n}<={v}\n" for n, v in sorted(caps.items())))
        return path

    def install_evidence(self, pip: Pip, log) -> list:
        from factcheck.judging.results import LeftOut

        left_out = []
        constraints = self.env_dir / "constraints.txt"
        core = pip.freeze()
        write_constraints(constraints, core)
        reqs = {}
        for lib in EVIDENCE:
            cap = self.lock.get(canonical(lib))
            reqs[lib] = f"{lib}<={cap}" if cap else lib
        # Resolve and download in parallel (each against the frozen core only), into staging
        # folders so that two pips never write one file; then install one by one, offline.
        staging = self.env_dir / "staging"

        def fetch(lib):
            dest = staging / lib
            dest.mkdir(parents=True, exist_ok=True)
            t0 = time.monotonic()
            rc, out, files = pip.download([reqs[lib]], constraints, dest, LIB_TIMEOUT_S)
            return lib, rc, out, files, time.monotonic() - t0

        fetched = {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
            for lib, rc, out, files, secs in pool.map(fetch, EVIDENCE):
                fetched[lib] = (rc, out, files)
                self.say(f"  resolved {lib}: {'ok' if rc == 0 else 'no fit'} ({secs:.0f} s)")
        fits = []
        for lib in EVIDENCE:
            rc, out, files = fetched[lib]
            for f in files:
                target = WHEELHOUSE / f.name
                if f.is_file() and f.resolve() != target.resolve():
                    if not target.exists():
                        shutil.move(str(f), target)
                self.used.append(target)
            if rc != 0:
                left_out.append(LeftOut(lib, key_line(out)))
            else:
                fits.append(lib)
        shutil.rmtree(staging, ignore_errors=True)
        if not fits:
            return left_out
        # Usually every library that fits the core also fits beside the others: one install.
        rc, out = pip.install([reqs[lib] for lib in fits], constraints)
        if rc == 0:
            self.say(f"  installed {len(fits)} evidence libraries together")
            return left_out
        self.say("  the libraries do not install together: one by one, each frozen before the next")
        for lib in fits:
            rc, out = pip.install([reqs[lib]], constraints)
            if rc != 0:
                left_out.append(LeftOut(lib, "does not install beside the libraries before it: " + key_line(out)))
                continue
            write_constraints(constraints, pip.freeze())
        return left_out

    # - the whole run -
    def execute(self) -> object:
        from factcheck.judging.results import (
            Environment,
            RunResult,
            classify_claims,
            notebook_source_hash,
        )
        from factcheck.sources.registry import load_registry

        LOGS.mkdir(parents=True, exist_ok=True)
        WHEELHOUSE.mkdir(parents=True, exist_ok=True)
        log = (LOGS / f"{self.name}.log").open("w")
        started = time.monotonic()
        wall = {}
        free = free_gb()
        self.say(f"{self.spec['package']} {self.version}: {free:.1f} GB free")
        if free < MIN_FREE_GB:
            prune_wheelhouse(list(WHEELHOUSE.glob("*")), {})
            free = free_gb()
            if free < MIN_FREE_GB:
                raise SystemExit(f"{self.name}: only {free:.1f} GB free (a run needs {MIN_FREE_GB} GB): not started")
        watch = DiskWatch()
        watch.start()
        registry = load_registry(ROOT / "claims", ROOT / "notebooks")
        rels = sorted(registry.notebooks())
        hashes = {rel: notebook_source_hash(_read_nb(ROOT / "notebooks" / rel)) for rel in rels}
        environment, status, broken = None, "complete", None
        executed, records = {}, {}
        sizes = {}
        try:
            t0 = time.monotonic()
            pip = self.new_venv(log)
            try:
                other, _core = self.build_core(pip, log)
                self.install_project(pip)
                self.say("core installed; evidence libraries one by one")
                left_out = self.install_evidence(pip, log)
            except RuntimeError as exc:
                status, broken = "install-failed", str(exc)[:600]
                other, left_out = {}, []
                self.say(f"install failed: {broken}")
            wall["install"] = round(time.monotonic() - t0, 1)
            sizes["env"] = round(tree_gb(self.env_dir), 2)
            sizes["wheelhouse"] = round(tree_gb(WHEELHOUSE), 2)
            self.say(
                f"installed in {wall['install']:.0f} s (env {sizes['env']} GB, wheelhouse {sizes['wheelhouse']} GB)"
            )

            if status == "complete":
                t0 = time.monotonic()
                info = json.loads(subprocess.run([str(self.python), "-c", INSPECT], capture_output=True, text=True,
                                                 env=kernel_env(self.python), check=True).stdout)  # fmt: skip
                checks = check_environment(self.python, log)
                wall["check"] = round(time.monotonic() - t0, 1)
                frameworks = self.package_statuses(info, other)
                environment = Environment(
                    python=info["python"],
                    packages=dict(sorted(info["dists"].items(), key=lambda kv: kv[0].lower())),
                    frameworks=frameworks,
                    other_framework=other,
                    left_out=left_out,
                    checks=checks,
                    caps=machine_caps(),
                    notes=self.notes,
                )
                for c in checks:
                    self.say(f"check {c.name}: {'ok' if c.ok else 'BROKEN'}: {c.detail}")
                if not environment.ok:
                    status = "broken-environment"
                    broken = "; ".join(f"{c.name}: {c.detail}" for c in checks if not c.ok)

            if status == "complete":
                t0 = time.monotonic()
                try:
                    self.run_notebooks(rels, hashes, records, executed)
                finally:
                    wall["execute"] = round(time.monotonic() - t0, 1)
                    if records and all(r.status == "notebook-not-started" for r in records.values()):
                        status = "broken-environment"  # no kernel at all: the environment, not the claims
                        broken = "no notebook could start: " + (next(iter(records.values())).detail or "")
                    claims = judge(registry, executed, records, broken)
            else:
                claims = classify_claims(registry, {}, {}, broken=broken or status)
        finally:
            shutil.rmtree(self.env_dir, ignore_errors=True)
            sizes["wheelhouse_after_prune"] = prune_wheelhouse(self.used, self.lock)
            sizes["peak_used"] = watch.stop()
            sizes["free_at_start"] = round(watch.start_free, 1)
            log.close()
        wall["total"] = round(time.monotonic() - started, 1)
        got = {"torch": None, "tensorflow": None}
        if environment:
            got = {
                "torch": environment.packages.get("torch"),
                "tensorflow": environment.packages.get("tensorflow-cpu") or environment.packages.get("tensorflow"),
            }
        result = RunResult(
            kind="drift" if self.newest else "matrix",
            framework="all" if self.newest else self.framework,
            requested="newest" if self.newest else self.minor,
            got=got,
            date=dt.date.today().isoformat(),
            status=status,
            wall=wall,
            environment=environment,
            notebooks=records,
            claims=claims,
            disk=sizes,
            machine={"cpu_count": os.cpu_count(), "system": platform.system(), "python": platform.python_version()},
        )
        if status == "install-failed":
            result.machine["install_error"] = broken
        return result

    def new_venv(self, log) -> Pip:
        """A fresh, empty Python 3.11 environment for this run."""
        shutil.rmtree(self.env_dir, ignore_errors=True)
        base = Path(getattr(sys, "_base_executable", sys.executable))
        python311 = shutil.which("python3.11") or str(base)
        subprocess.run([python311, "-m", "venv", str(self.env_dir)], check=True)
        return Pip(self.python, log)

    def install_project(self, pip: Pip) -> None:
        """This checkout's package (the notebooks' helpers and fwbench), without dependencies."""
        rc, out = pip.install(["--no-deps", "--no-build-isolation", "-e", str(ROOT)], None)
        if rc != 0:
            self.notes.append(f"pip install -e . failed ({key_line(out)}): src/ put on the path instead")
            site = next((self.env_dir / "lib").glob("python3*/site-packages"))
            (site / "framework-facts-src.pth").write_text(str(ROOT / "src") + "\n")

    def refresh(self, previous, stale: list[str]) -> object:
        """Re-execute only the ``stale`` notebooks (changed since ``previous`` ran) in the
        environment ``previous`` recorded, reinstalled package for package without resolving,
        then judge every claim again: the other notebooks keep their recorded errors. A notebook
        edit then costs minutes per run, not a whole new matrix, and the packages stay the
        run's own. Each re-executed notebook records its date (``ran_on``)."""
        from factcheck.judging.results import notebook_source_hash
        from factcheck.sources.registry import load_registry

        LOGS.mkdir(parents=True, exist_ok=True)
        WHEELHOUSE.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        registry = load_registry(ROOT / "claims", ROOT / "notebooks")
        sources = {rel: _read_nb(ROOT / "notebooks" / rel) for rel in sorted(registry.notebooks())}
        hashes = {rel: notebook_source_hash(nb) for rel, nb in sources.items()}
        skip = {"pip", "factcheck"}  # setuptools and wheel as recorded: `pip install -e .` builds with them
        pins = {n: v for n, v in previous.environment.packages.items() if canonical(n) not in skip}
        with (LOGS / f"{self.name}-refresh.log").open("w") as log:
            try:
                t0 = time.monotonic()
                pip = self.new_venv(log)
                pinned = self.env_dir / "recorded.txt"  # exact pins, no aliases added: --no-deps installs each
                pinned.write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins.items())))
                self.say(f"reinstalling the run's {len(pins)} packages as recorded ({previous.date})")
                rc, out, files = pip.download(["--no-deps", "-r", str(pinned)], None, WHEELHOUSE, timeout=1800)
                self.used += [WHEELHOUSE / f.name for f in files]
                if rc == 0:
                    rc, out = pip.install(["--no-deps", "-r", str(pinned)], None)
                if rc != 0:
                    raise RuntimeError(f"the recorded packages do not install again: {key_line(out)}")
                self.install_project(pip)
                info = json.loads(subprocess.run([str(self.python), "-c", INSPECT], capture_output=True, text=True,
                                                 env=kernel_env(self.python), check=True).stdout)  # fmt: skip
                want = {canonical(n): v for n, v in pins.items()}
                got = {canonical(n): v for n, v in info["dists"].items() if canonical(n) not in skip}
                differ = sorted(n for n in set(want) | set(got) if want.get(n) != got.get(n))
                if differ:
                    raise RuntimeError(f"the environment differs from the run's: {', '.join(differ[:8])}")
                broken = [c for c in check_environment(self.python, log) if not c.ok]
                if broken:
                    raise RuntimeError("; ".join(f"{c.name}: {c.detail}" for c in broken))
                install_s = time.monotonic() - t0
                t0 = time.monotonic()
                fresh, executed = {}, {}
                self.run_notebooks(stale, hashes, fresh, executed)
                missing = [rel for rel in stale if rel not in fresh]
                if missing:
                    raise RuntimeError(f"no result from {', '.join(missing)}")
            finally:
                shutil.rmtree(self.env_dir, ignore_errors=True)
                prune_wheelhouse(self.used, self.lock)
        note = (
            f"re-executed {len(stale)} notebook(s) changed since the run ({', '.join(stale)}) with the "
            f"recorded packages reinstalled ({install_s:.0f} s to install, {time.monotonic() - t0:.0f} s to execute)"
        )
        merged = merge_refresh(previous, fresh, executed, registry, sources, dt.date.today().isoformat(), note)
        merged.wall["refresh"] = round(time.monotonic() - started, 1)
        merged.environment.notes += [n for n in self.notes if n not in merged.environment.notes]
        return merged

    def run_notebooks(self, rels: list[str], hashes: dict[str, str], records: dict, executed: dict) -> None:
        """Execute ``rels`` in this run's environment, two at a time, adding each notebook's
        record and executed copy to ``records`` and ``executed``."""
        from factcheck.judging.results import NotebookResult, notebook_errors

        tmp = Path(tempfile.mkdtemp(prefix=f"matrix-{self.name}-"))
        try:
            self.say(f"executing {len(rels)} notebooks, two at a time")
            proc = subprocess.run(
                [str(self.python), str(Path(__file__).resolve()), "_execute", "--out", str(tmp), *rels],
                env=kernel_env(self.python),
                cwd=ROOT,
                timeout=45 * 60,
            )
            if proc.returncode != 0:
                self.notes.append(f"the notebook worker exited with {proc.returncode}")
            if self.keep_executed is not None:  # the drift report compares their printed text
                shutil.rmtree(self.keep_executed / "notebooks", ignore_errors=True)
                shutil.copytree(tmp, self.keep_executed / "notebooks")
            for rel in rels:
                rec_path = (tmp / rel).with_suffix(".outcome.json")
                if not rec_path.is_file():
                    continue
                rec = json.loads(rec_path.read_text())
                nb = _read_nb(tmp / rel) if (tmp / rel).is_file() else None
                stopped = rec["status"] in ("timeout", "kernel-died") and rec.get("cell") is not None
                records[rel] = NotebookResult(
                    notebook=rel,
                    status=rec["status"],
                    source_hash=hashes[rel],
                    seconds=round(rec["seconds"], 2) if rec.get("seconds") is not None else None,
                    cell=rec["cell"] + 1 if stopped else None,
                    detail=sanitize(rec.get("error")),
                    errors=[dict(e, error=sanitize(e["error"])) for e in (notebook_errors(nb) if nb else [])],
                )
                executed[rel] = nb
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # executed copies: only as long as needed

    def package_statuses(self, info: dict, other: dict) -> list:
        from factcheck.judging.results import PackageStatus

        dists = {canonical(k): v for k, v in info["dists"].items()}
        out = []
        for package in ("torch", "torchvision", "tensorflow-cpu", "keras", "numpy"):
            data = self.pypi.get(package) or fetch_json(package)
            self.pypi[package] = data
            newest = releases(package, data)[-1] if releases(package, data) else None
            got = dists.get(canonical(package))
            reason = ""
            if got and newest and got != newest:
                if package == self.spec["package"]:
                    extra = f"the release under test ({self.minor}, its newest patch)"
                elif package == self.other_spec["package"]:
                    extra = other.get("reason", "")
                    extra = f"held at {extra}" if extra else ""
                else:
                    extra = self.asked.get(canonical(package), "")
                reason = why_not_newest(package, newest, info["requires"], extra)
                if not reason:
                    reason = "no installed package excludes the newest: the core resolution chose this one"
            out.append(PackageStatus(package, got, newest, reason))
        return out


def machine_paths() -> list[tuple[str, str]]:
    """This machine's paths, longest first, and the stand-ins result files carry instead."""
    pairs = {
        str(ROOT.resolve()): "$REPO",
        str(Path(tempfile.gettempdir()).resolve()): "$TMPDIR",
        str(Path.home()): "$HOME",
    }
    return sorted(pairs.items(), key=lambda kv: -len(kv[0]))


_TMP_NAME = re.compile(r"(\$TMPDIR/)[\w.-]*?tmp[\w-]{4,}|(\$TMPDIR/[\w.-]+?-)[a-z0-9_]{8}\b")


def sanitize(text: str | None) -> str | None:
    """Machine paths out of a line that goes into a committed result file."""
    if not text:
        return text
    text = re.sub(re.escape(str(ENVS.resolve())) + r"/[\w.-]+", "$VENV", text)  # the run's environment
    for path, stand_in in machine_paths():  # whole path components only: "/tmp" is not "/tmpab12"
        text = re.sub(re.escape(path) + r"(?![\w.…-])", lambda _m, s=stand_in: s, text)
    return _TMP_NAME.sub(lambda m: (m.group(1) or m.group(2)) + "…", text)


def _read_nb(path: Path):
    import nbformat

    return nbformat.read(path, as_version=4)


# --- CLI -----------------------------------------------------------------------------------------


def judge(registry, executed: dict, records: dict, broken: str | None):
    """Every claim side judged from the executed (or rebuilt) notebooks, errors sanitized."""
    from factcheck.judging.results import classify_claims

    claims = classify_claims(registry, executed, records, broken=broken)
    for sides in claims.values():  # errors quoted from the executed copies
        for side, r in list(sides.items()):
            if r.error or r.reason:
                reason = r.reason and dataclasses.replace(r.reason, detail=sanitize(r.reason.detail))
                sides[side] = dataclasses.replace(r, error=sanitize(r.error), reason=reason)
    return claims


def merge_refresh(previous, fresh: dict, executed: dict, registry, sources: dict, today: str, note: str):
    """``previous`` with the notebooks in ``fresh`` (records; ``executed``: their executed
    copies) replaced and dated ``today``, every claim judged again (the other notebooks rebuilt
    from their recorded errors), and ``note`` added to the environment's notes."""
    from factcheck.judging.results import rebuild_executed

    records = {rel: rec for rel, rec in previous.notebooks.items() if rel in sources}
    records.update({rel: dataclasses.replace(rec, ran_on=today) for rel, rec in fresh.items()})
    judged = dict(executed)
    for rel, rec in records.items():
        if rel not in judged:
            judged[rel] = rebuild_executed(sources[rel], rec)
    environment = dataclasses.replace(previous.environment, notes=[*previous.environment.notes, f"{today}: {note}"])
    return dataclasses.replace(
        previous,
        environment=environment,
        notebooks=records,
        claims=judge(registry, judged, records, None),
        wall=dict(previous.wall),
    )


def reclassify(out_dir: Path, framework: str | None = None, version: str | None = None) -> int:
    """Judge result files again under the current rules, from the per-cell errors they recorded.
    Claims whose notebook changed since the run keep their recorded results (a refresh or a new
    run judges them): the recorded errors fit only the notebook that ran."""
    from factcheck.judging.results import (
        classify_claims,
        notebook_source_hash,
        read_result,
        rebuild_executed,
        stale_notebooks,
        write_result,
    )
    from factcheck.sources.registry import load_registry

    registry = load_registry(ROOT / "claims", ROOT / "notebooks")
    sources = {rel: _read_nb(ROOT / "notebooks" / rel) for rel in sorted(registry.notebooks())}
    hashes = {rel: notebook_source_hash(nb) for rel, nb in sources.items()}
    for path in sorted(out_dir.glob("*.json")):
        result = read_result(path)
        if result is None or (framework and result.framework != framework):
            continue
        if version and result.requested != ".".join(version.split(".")[:2]):
            continue
        stale = set(stale_notebooks(result, hashes))
        for rec in result.notebooks.values():
            rec.detail = sanitize(rec.detail)
            rec.errors = [dict(e, error=sanitize(e["error"])) for e in rec.errors]
        if result.environment:
            for check in result.environment.checks:
                check.detail = sanitize(check.detail)
        if result.status == "complete":
            current = {rel: rec for rel, rec in result.notebooks.items() if rel in sources and rel not in stale}
            rebuilt = {rel: rebuild_executed(sources[rel], rec) for rel, rec in current.items()}
            judged = classify_claims(registry, rebuilt, current)
            for claim in registry:
                for side, recorded in result.claims.get(claim.id, {}).items():
                    ev = claim.evidence.get(side)
                    if ev is not None and ev.notebook in stale:
                        judged[claim.id][side] = recorded  # judged with the notebook that ran
            result.claims = judged
            if stale:
                say(path.stem, f"claims of {len(stale)} notebooks changed since the run kept as recorded")
        else:
            detail = next(
                (s.reason.detail for sides in result.claims.values() for s in sides.values() if s.reason),
                result.status,
            )
            result.claims = classify_claims(registry, {}, {}, broken=detail)
        write_result(result, path)
        c = result.counts()
        say(path.stem, f"reclassified: {c['holds']} holds, {c['fails']} fails, {c['could-not-run']} could not run")
    return 0


def newest_run(runs, pypi, target: Path, keep_executed: Path | None) -> int:
    """The drift run: the newest torch release, TensorFlow at its newest (see ``Run``)."""
    from factcheck.judging.results import write_result

    fw, minor, version = [r for r in runs if r[0] == "torch"][-1]
    run = Run(fw, minor, version, pypi, target.parent, newest=True, keep_executed=keep_executed)
    run.name = "newest"
    run.env_dir = ENVS / "newest"
    run.python = run.env_dir / "bin" / "python"
    result = run.execute()
    write_result(result, target)
    c = result.counts()
    say(
        "newest",
        f"{result.status}: {c['holds']} holds, {c['fails']} fails, {c['could-not-run']} could not run -> {target}",
    )
    return 0 if result.status == "complete" else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    worker = sub.add_parser("_execute", help=argparse.SUPPRESS)
    worker.add_argument("--out", required=True)
    worker.add_argument("--jobs", type=int, default=2)
    worker.add_argument("notebooks", nargs="+")
    parser.add_argument("--framework", choices=sorted(FRAMEWORKS))
    parser.add_argument("--version", help="a minor release (2.3); with --framework")
    parser.add_argument("--force", action="store_true", help="redo runs whose result file exists")
    parser.add_argument("--list", action="store_true", help="print the plan and which results exist")
    parser.add_argument(
        "--github-matrix", action="store_true", help="print the runs to do as a GitHub Actions job matrix (JSON)"
    )
    parser.add_argument(
        "--reclassify",
        action="store_true",
        help="judge existing result files again from their recorded cell errors (no execution)",
    )
    parser.add_argument("--out-dir", default=str(OUT_DIR))
    parser.add_argument(
        "--newest",
        metavar="RESULT",
        help="the drift run: both frameworks at their newest releases; write its result to RESULT",
    )
    parser.add_argument("--keep-executed", help="with --newest: keep the executed notebooks in this folder")
    parser.add_argument("--max-runs", type=int, default=0, help="stop after this many runs (0: all)")
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="re-execute only the notebooks changed since each existing run, with the run's recorded packages",
    )
    args = parser.parse_args(argv)

    if args.command == "_execute":
        execute_notebooks(args.notebooks, Path(args.out), args.jobs)
        return 0

    from factcheck.judging.results import read_result

    out_dir = Path(args.out_dir)
    if args.reclassify:
        return reclassify(out_dir, args.framework, args.version)
    pypi = {p: fetch_json(p) for p in ("torch", "torchvision", "tensorflow-cpu", "keras")}
    runs = plan(pypi)
    if args.newest:
        return newest_run(runs, pypi, Path(args.newest), Path(args.keep_executed) if args.keep_executed else None)
    if args.framework:
        runs = [r for r in runs if r[0] == args.framework]
    if args.version:
        wanted = ".".join(args.version.split(".")[:2])
        runs = [r for r in runs if r[1] == wanted]
        if not runs:
            print(f"no {args.framework or ''} minor release {wanted} with Python 3.11 wheels", file=sys.stderr)
            return 2
    if args.github_matrix:
        print(json.dumps({"include": github_jobs(runs, out_dir, args.force)}))
        return 0
    if args.list:
        for fw, minor, version in runs:
            existing = read_result(out_dir / f"{fw}-{minor}.json")
            state = f"done ({existing.date}, {existing.status})" if existing else "missing"
            print(f"{fw:11} {minor:6} {version:8} {state}")
        return 0
    # One runner at a time (the runs take both cores and most of the disk); then clear what a
    # stopped runner left (its environment; executed copies live in a temporary folder).
    import fcntl

    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / "matrix.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("another tools/matrix.py is running here (.cache/matrix.lock): one at a time", file=sys.stderr)
            return 3
        shutil.rmtree(ENVS, ignore_errors=True)
        if args.refresh:
            return _refresh_all(runs, out_dir, pypi, args)
        return _run_all(runs, out_dir, pypi, args)


def _run_all(runs, out_dir: Path, pypi, args) -> int:
    from factcheck.judging.results import read_result, write_result

    done = 0
    for fw, minor, version in runs:
        target = out_dir / f"{fw}-{minor}.json"
        if read_result(target) is not None and not args.force:
            say(
                f"{fw}-{minor}",
                f"skipped: {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target} exists",
            )
            continue
        run = Run(fw, minor, version, pypi, out_dir)
        result = run.execute()
        write_result(result, target)
        say(run.name, f"{result.status}: {_counts(result)} in {result.wall['total']:.0f} s -> {target}")
        done += 1
        if args.max_runs and done >= args.max_runs:
            break
    return 0


def _counts(result) -> str:
    c = result.counts()
    return (
        f"{c['holds']} holds, {c['fails']} fails, {c['could-not-run']} could not run (decided {c['decided_share']:.0%})"
    )


def current_hashes() -> dict[str, str]:
    """Every evidence notebook -> the hash of its code cells now (what a run records)."""
    from factcheck.judging.results import notebook_source_hash
    from factcheck.sources.registry import load_registry

    registry = load_registry(ROOT / "claims", ROOT / "notebooks")
    return {rel: notebook_source_hash(_read_nb(ROOT / "notebooks" / rel)) for rel in sorted(registry.notebooks())}


def github_jobs(runs, out_dir: Path, force: bool) -> list[dict]:
    """The workflow's jobs: ``mode: run`` for each release without a result (every release with
    ``force``), ``mode: refresh`` for each complete run whose notebooks changed since it ran."""
    from factcheck.judging.results import read_result, stale_notebooks

    hashes, jobs = None, []
    for fw, minor, version in runs:
        job = {"framework": fw, "version": minor, "release": version}
        existing = None if force else read_result(out_dir / f"{fw}-{minor}.json")
        if existing is None:
            jobs.append(dict(job, mode="run"))
            continue
        hashes = hashes if hashes is not None else current_hashes()
        if existing.status == "complete" and existing.environment and stale_notebooks(existing, hashes):
            jobs.append(dict(job, mode="refresh"))
    return jobs


def _refresh_all(runs, out_dir: Path, pypi, args) -> int:
    """``--refresh``: each existing, complete run whose notebooks changed since it ran."""
    from factcheck.judging.results import read_result, stale_notebooks, write_result

    hashes = current_hashes()
    done = 0
    for fw, minor, version in runs:
        target = out_dir / f"{fw}-{minor}.json"
        previous = read_result(target)
        if previous is None or previous.status != "complete" or previous.environment is None:
            say(f"{fw}-{minor}", "no complete run to refresh: `make matrix` makes one")
            continue
        stale = stale_notebooks(previous, hashes)
        if not stale:
            say(f"{fw}-{minor}", "current: every notebook is the one that ran")
            continue
        run = Run(fw, minor, version, pypi, out_dir)
        try:
            result = run.refresh(previous, stale)
        except RuntimeError as exc:  # the run's file stays as it was
            say(run.name, f"not refreshed: {exc}")
            continue
        write_result(result, target)
        say(run.name, f"refreshed {len(stale)} notebooks: {_counts(result)} in {result.wall['refresh']:.0f} s")
        done += 1
        if args.max_runs and done >= args.max_runs:
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
