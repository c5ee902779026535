"""A run's environment: a fresh virtual environment built core first, so that no evidence
library moves it, then checked.

1. the *core*: the framework under test (exact version) with its companion (torchvision for
   torch, keras for TensorFlow), the other framework and its companion at their pins, and what
   the engine and notebooks need (``CORE_EXTRAS``), those no newer than requirements.lock. When
   the other framework's pin does not install beside the release under test, the newest patch of
   each older minor is tried in turn, and the record says which and why;
2. ``pip install --no-deps -e .`` (the matrix's worker runs the engine's executor in there);
3. each evidence library (vocabulary.EVIDENCE_LIBRARIES) on its own, no newer than
   requirements.lock, with everything installed so far frozen as constraints; one that does not
   fit is left out with the resolver's key line;
4. checks: each framework's native ops load, a kernel starts in the environment, both load in
   one process torch first.
"""

from __future__ import annotations

import concurrent.futures
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ..judging.results import Check, Environment, LeftOut, PackageStatus
from ..vocabulary import EVIDENCE_LIBRARIES, KERAS_2_EVIDENCE, KERAS_3_ONLY
from . import ENVS, OUT_DIR, ROOT, WHEELHOUSE, say
from .checks import CHECKS, check_environment, import_error, inspect, kernel_env, why_not_newest
from .discovery import (
    FRAMEWORKS,
    IN_STEP_PATCH,
    OTHER,
    _version_key,
    canonical,
    fetch_json,
    lock_versions,
    newest_before,
    newest_per_minor,
    releases,
    successor_date,
)
from .pip import ALIASES, Pip, key_line, machine_caps, prune_wheelhouse, tree_gb, write_constraints

# Core packages besides the frameworks, each capped at its requirements.lock version.
CORE_EXTRAS = (
    "numpy", "matplotlib", "pandas", "pyyaml", "jsonschema", "nbformat", "nbclient", "ipykernel", "jupyter-client",
    "markdown",
)  # fmt: skip

UNDECLARED = {
    "torch": [("2.3", "numpy<2", "torch releases before 2.3 were built against NumPy 1")],
    "tensorflow": [
        ("2.14", "ipython<8.23", "TensorFlow before 2.14 needs typing-extensions<4.6; IPython 8.23+ needs 4.6")
    ],
}

# Core pins of a library released in step with one release (``RELEASED_IN_STEP``): the core
# takes them, so the library of the release's time fits beside it. ExecuTorch 0.5.0, the one of
# torch 2.6's time, pins numpy==2.0.0 and pandas==2.2.2 (its wheel's metadata); without them
# the core's NumPy 2.4 leaves it out. (ExecuTorch 0.4.0, torch 2.5's, pins torch==2.5.0 and
# numpy==1.23.2, which neither torch 2.5.1 nor TensorFlow 2.21's numpy>=1.26 allows.)
IN_STEP_CORE = {
    ("torch", "2.6"): [
        ("numpy==2.0.0", "ExecuTorch 0.5.0, of torch 2.6's time, pins numpy==2.0.0"),
        ("pandas==2.2.2", "ExecuTorch 0.5.0, of torch 2.6's time, pins pandas==2.2.2"),
    ],
}

LIB_TIMEOUT_S = 240  # one evidence library's resolution and download
IMPORT_TRIES = 4  # older minor releases tried for a library that installs but does not work here
# Never moved when a library is traded for another release of it.
CORE_KEPT = ("torch", "torchvision", "tensorflow-cpu", "tensorflow", "keras", "numpy", "ml-dtypes")
# Libraries released in step with a framework: a run takes the one of its release's time (see
# ``of_its_time``). ExecuTorch 1.5 installs and imports beside torch 2.10-2.12 but its export
# fails there ("tensor does not have a device"), a boundary of the library, not of torch.
# Transformers 5 installs beside torch 2.0-2.5 but refuses its models there ("requires PyTorch
# >= 2.6"): the release is judged with the Transformers its users had.
RELEASED_IN_STEP = {"tensorflow": ("keras",), "torch": ("executorch", "transformers")}
CORE_ATTEMPTS = 8  # failed resolutions of the core before giving up


def imports_as_installed(checks: list, dists: dict[str, str]) -> Check:
    """TensorFlow and Keras import as the versions installed under their names: another
    distribution that ships the same modules (a nightly) must not shadow them unseen."""
    said = next((c.detail for c in checks if c.name == "tensorflow" and c.ok), "")
    found = dict(re.findall(r"\b(tensorflow|keras) (\S+)", said))
    versions = {canonical(n): v for n, v in dists.items()}
    wrong = [
        f"{module} imports as {got}, but {dist} {versions[dist]} is installed"
        for module, got in found.items()
        for dist in ({"tensorflow": ("tensorflow", "tensorflow-cpu"), "keras": ("keras",)}[module])
        if dist in versions and versions[dist] != got
    ]
    if found and not wrong:
        return Check("imports-as-installed", True, "tensorflow and keras import as installed")
    if not found:
        return Check("imports-as-installed", True, "not checked (the tensorflow check did not run)")
    shadows = sorted(n for n in versions if "nightly" in n)
    return Check(
        "imports-as-installed", False, "; ".join(wrong) + (f" (shadowed by {', '.join(shadows)})" if shadows else "")
    )


def _wheel_version(lib: str, files: list[Path]) -> str | None:
    """The version of ``lib`` among downloaded files (``name-version-...whl`` or an sdist)."""
    for f in files:
        name, _, rest = f.name.partition("-")
        if canonical(name) == canonical(lib) and rest:
            return rest.split("-")[0].removesuffix(".tar.gz").removesuffix(".zip")
    return None


def top_folders(env_dir: Path) -> dict[str, set[str]]:
    """Each installed distribution (canonical name) and the top-level folders of site-packages
    its files are in (from its RECORD), so a removal that takes another package's files along
    can be seen. Empty when the environment has no site-packages yet."""
    out: dict[str, set[str]] = {}
    for record in env_dir.glob("lib/python*/site-packages/*.dist-info/RECORD"):
        name = canonical(record.parent.name.removesuffix(".dist-info").rsplit("-", 1)[0])
        folders = set()
        for line in record.read_text(errors="replace").splitlines():
            first = line.split(",", 1)[0].split("/", 1)
            if (
                len(first) == 2
                and not first[0].endswith((".dist-info", ".data"))
                and first[0] not in ("..", "__pycache__")
            ):
                folders.add(first[0])
        out[name] = folders
    return out


class RunEnvironment:
    """What one run installs, and how: the release under test, the other framework beside it,
    the core, then each evidence library (run.py's ``Run`` executes and judges in it)."""

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
        # The pinned release runs in the project's own environment (requirements.lock), so it
        # agrees with the site's build; any other release gets the libraries released in step
        # with its framework (RELEASED_IN_STEP) as they were before the next minor replaced it,
        # and every other evidence library at the newest that works beside it (``of_its_time``).
        self.pinned_run = not newest and version == self.lock.get(canonical(self.spec["package"]))
        self._cutoff: str | None | bool = False  # not looked up yet

    @property
    def cutoff(self) -> str | None:
        """The day the next minor release replaced this one (None: the newest, the pinned run
        or the drift run, whose libraries are capped by the lock only)."""
        if self._cutoff is False:
            self._cutoff = None
            if not self.newest and not self.pinned_run:
                package = self.spec["package"]
                data = self.pypi.get(package) or self._pypi(package)
                self._cutoff = successor_date(package, self.minor, self.spec["first"], data)
        return self._cutoff

    def say(self, message: str) -> None:
        say(self.name, message)

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
        # the Keras of the release's time, no newer than the pin.
        if _version_key(version) >= _version_key("2.16"):
            req, why = self.of_its_time("keras")
            if req is None:
                return []
            self.asked["keras"] = f"{req}: {why}"
            return [req]
        return []

    def of_its_time(self, lib: str) -> tuple[str | None, str]:
        """The requirement for an evidence library (or Keras) in this run, and why.

        The pinned run takes the lock's version. A library released in step with the framework
        (``RELEASED_IN_STEP``: Keras, TensorFlow's own companion from 2.16; ExecuTorch and
        Transformers, whose newer releases install beside an older torch but fail inside it) is the one of the
        release's time: none newer than those out when the next minor release came (None: no
        release then). Every other library is the newest that installs
        beside the release, no newer than the lock; ``ensure_imports`` then trades one that does
        not work with this release for the newest older one that does, so a boundary that is a
        library's is named with the library's version, never shown as the framework's."""
        cap = self.lock.get(canonical(lib))
        if self.pinned_run and cap:
            return f"{lib}=={cap}", "the project pin (this is the pinned release)"
        if canonical(lib) not in RELEASED_IN_STEP.get(self.framework, ()) or self.cutoff is None:
            return (f"{lib}<={cap}" if cap else lib), "no newer than requirements.lock"
        version, first = newest_before(lib, self.cutoff, cap, self.pypi.get(lib) or self._pypi(lib))
        nxt = f"{self.spec['package']} after {self.minor}"
        if version is None:
            return None, f"no release before the next minor {nxt} came out ({self.cutoff})"
        return (
            f"{lib}<={version}",
            f"the {'Keras' if canonical(lib) == 'keras' else lib} of {self.spec['package']} {self.minor}'s time: "
            f"out before the next minor came ({self.cutoff})",
        )

    def _pypi(self, package: str) -> dict:
        self.pypi[package] = fetch_json(package)
        return self.pypi[package]

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
        if not self.pinned_run and not self.newest:
            for req, why in IN_STEP_CORE.get((self.framework, self.minor), []):
                reqs.append(req)
                self.asked[canonical(req.split("=")[0])] = f"{req}: {why}"
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

        left_out = []
        constraints = self.env_dir / "constraints.txt"
        core = pip.freeze()
        reqs: dict[str, str] = {}
        keras = next((v for n, v in core.items() if canonical(n) == "keras"), None)
        keras_2 = self.framework == "tensorflow" and keras is not None and _version_key(keras) < _version_key("3")

        def constrain(pins: dict[str, str]) -> None:
            """Freeze what is installed, and hold every library not (yet) installed to its own
            requirement, so that no other library pulls in a newer one (litert-torch pulled the
            newest Transformers into a torch 2.9 run where the one of its time did not fit)."""
            write_constraints(constraints, pins)
            installed = {canonical(n) for n in pins}
            held = [r for lib, r in reqs.items() if canonical(lib) not in installed and ("<" in r or "==" in r)]
            if keras_2:  # KerasNLP's tensorflow-text: the one built for this release, not a search through all
                held.append(f"tensorflow-text=={self.minor}.*")
            with constraints.open("a") as f:
                f.writelines(f"{r}\n" for r in held)

        constrain(core)
        in_core = {canonical(n) for n in core}
        for lib in EVIDENCE_LIBRARIES:
            if canonical(lib) in in_core:  # the core brought it (ipykernel needs psutil): it stays as it is
                continue
            if keras_2 and lib in KERAS_3_ONLY:
                left_out.append(LeftOut(lib, f"needs Keras 3 (it imports keras.ops); this release has Keras {keras}"))
                continue
            req, why = self.of_its_time(lib)
            if req is None:
                left_out.append(LeftOut(lib, f"not yet released: {why}"))
                continue
            reqs[lib] = req
            self.asked.setdefault(canonical(lib), f"{req}: {why}")
        if keras_2:
            # KerasNLP needs tensorflow-text built for this release; TensorFlow 2.13 never had a
            # final one with Python 3.11 wheels (only 2.13.0rc0), and pip's search for one times out.
            text = releases("tensorflow-text", self.pypi.get("tensorflow-text") or self._pypi("tensorflow-text"))
            has_text = any(v.startswith(f"{self.minor}.") for v in text)
            for lib, req in KERAS_2_EVIDENCE.items():
                if not has_text:
                    why = f"needs tensorflow-text, which never had a final {self.minor} release with Python 3.11 wheels"
                    left_out.append(LeftOut(lib, why + " (only release candidates)"))
                    continue
                reqs[lib] = req
                self.asked.setdefault(canonical(lib), f"{req}: KerasHub's predecessor, beside Keras {keras}")
        constrain(core)
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
            for lib, rc, out, files, secs in pool.map(fetch, list(reqs)):
                fetched[lib] = (rc, out, files)
                self.say(f"  resolved {lib}: {'ok' if rc == 0 else 'no fit'} ({secs:.0f} s)")
        fits = []
        for lib in reqs:
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
        # The libraries released in step with the framework first: theirs is the version that
        # must hold, and the others fit around it.
        in_step = RELEASED_IN_STEP.get(self.framework, ())
        fits.sort(key=lambda lib: canonical(lib) not in in_step)
        # Usually every library that fits the core also fits beside the others: one install.
        # Together they may still shadow the frameworks (executorch 0.6.0 holds torchao at 0.10,
        # so the resolver reaches back to litert-torch 0.8, which brings nightly TensorFlow and
        # Keras): then undone, and one by one, each checked.
        start = pip.freeze()
        rc, out = pip.install([reqs[lib] for lib in fits], constraints)
        if rc == 0 and (shadow := self.shadowed(pip, start)) is not None:
            self.say(f"  together they shadow the frameworks ({shadow[:120]}): undone")
            self.restore(pip, start)
            rc = 1
        if rc == 0:
            self.say(f"  installed {len(fits)} evidence libraries together")
        else:
            self.say("  the libraries do not install together: one by one, each frozen before the next")
            for lib in list(fits):
                before = pip.freeze()
                rc, out = pip.install([reqs[lib]], constraints)
                if rc == 0 and (shadow := self.shadowed(pip, before)) is not None:
                    self.restore(pip, before)
                    rc, out = 1, f"{lib} brings packages that shadow the frameworks here: {shadow}"
                if rc != 0:
                    tried = _wheel_version(lib, fetched[lib][2])
                    traded = tried and self.older_that_installs(pip, lib, tried, constraints, key_line(out))
                    if not traded:
                        why = "does not install beside the libraries before it: " + key_line(out)
                        left_out.append(LeftOut(lib, why))
                        fits.remove(lib)
                        continue
                    reqs[lib] = f"{lib}=={traded}"
                constrain(pip.freeze())
        left_out += self.ensure_imports(pip, fits, reqs, start)
        return left_out

    def shadowed(self, pip: Pip, before: dict[str, str]) -> str | None:
        """After an install: what shadows the frameworks, in words, or None. Checked by importing
        them only when a package it added or moved writes into a folder that a package of
        ``before`` owns (keras-nightly into keras/, ai-edge-tensorflow into tensorflow/)."""
        now = pip.freeze()
        changed = {canonical(n) for n, v in now.items() if before.get(n) != v}
        if not changed:
            return None
        tops = top_folders(self.env_dir)
        owned = set().union(*(tops.get(canonical(n), set()) for n in before if canonical(n) not in changed))
        if not any(tops.get(n, set()) & owned for n in changed):
            return None
        intact = self.frameworks_intact(pip)
        return None if intact.ok else intact.detail

    def frameworks_intact(self, pip: Pip) -> Check:
        """After a library's install: TensorFlow and Keras still import as the versions installed
        (litert-torch 0.8 brings nightly TensorFlow and Keras packages that shadow them)."""
        try:
            proc = subprocess.run(
                [str(self.python), "-c", CHECKS["tensorflow"]],
                capture_output=True, text=True, timeout=300, env=kernel_env(self.python),
            )  # fmt: skip
            said = Check("tensorflow", proc.returncode == 0, (proc.stdout.strip().splitlines() or [""])[-1])
        except subprocess.TimeoutExpired:
            said = Check("tensorflow", False, "no answer within 300 s")
        return imports_as_installed([said], pip.freeze())

    def restore(self, pip: Pip, before: dict[str, str]) -> None:
        """Put the environment back as it was before a library's failed tries: what they added
        goes, what they moved returns (a litert-torch try left nightly TensorFlow and Keras
        packages behind in a torch 2.6 run, shadowing the pinned ones)."""
        now = pip.freeze()
        known = {canonical(n) for n in before}
        added = [n for n in now if canonical(n) not in known]
        # A package installed over another's folder (keras-nightly writes keras/, ai-edge-tensorflow
        # writes tensorflow/) takes that folder's files with it when removed: the packages of
        # ``before`` that share a folder with one removed are reinstalled as they were (a torch
        # 2.8 run's Keras 3.15.1 and TensorFlow 2.21.0 were left without their __init__ files).
        tops = top_folders(self.env_dir)
        gone = set().union(*(tops.get(canonical(n), set()) for n in added)) if added else set()
        if added:
            pip.uninstall(added)
        moved = [f"{n}=={v}" for n, v in before.items() if now.get(n) != v]
        if moved:
            pip.install(moved, None, extra=("--no-deps",))
        hit = [
            f"{n}=={v}" for n, v in before.items() if tops.get(canonical(n), set()) & gone and f"{n}=={v}" not in moved
        ]
        if hit:
            pip.install(hit, None, extra=("--no-deps", "--force-reinstall"))
        if added or moved:
            self.notes.append(
                f"after failed tries: {len(added)} packages they added removed, {len(moved)} moved back"
                + (f", {len(hit)} whose folders they shared reinstalled ({', '.join(hit)})" if hit else "")
            )

    def older_that_installs(self, pip: Pip, lib: str, tried: str, constraints: Path, why: str) -> str | None:
        """The newest older minor release of ``lib`` that installs beside the libraries installed
        before it (litert-torch 0.10 needs a newer torchao than the ExecuTorch of torch 2.10's
        time brought), a few tries at most; the notes say which and why. None: none did."""
        data = self.pypi.get(lib) or self._pypi(lib)
        older = [v for v in sorted(newest_per_minor(releases(lib, data)).values(), key=_version_key, reverse=True)
                 if _version_key(v) < _version_key(tried)][:IMPORT_TRIES]  # fmt: skip
        before = pip.freeze()
        for version in older:
            rc, _out, files = pip.download([f"{lib}=={version}"], constraints, WHEELHOUSE, LIB_TIMEOUT_S)
            self.used += [WHEELHOUSE / f.name for f in files]
            if rc == 0 and pip.install([f"{lib}=={version}"], constraints)[0] == 0:
                if not (intact := self.frameworks_intact(pip)).ok:
                    why = f"{why}; {lib} {version}: {intact.detail}"
                    self.restore(pip, before)
                    continue
                self.notes.append(
                    f"{lib} {version}: the newest older release that installs beside the libraries before it"
                    f" ({lib} {tried}: {why[:160]})"
                )
                self.asked[canonical(lib)] = f"{lib}=={version}: {tried} does not install beside the others here"
                return version
        if older:
            self.restore(pip, before)
        return None

    def ensure_imports(self, pip: Pip, libs: list[str], reqs: dict[str, str], start: dict | None = None) -> list:
        """Each installed library must import beside this release: one that installs but does
        not import (onnx calling an ml_dtypes the release holds back) gives way to its newest
        older minor release that does, a few tries at most; the notes say which and why.

        Leaving one library out can mend another (beside torch 2.4, the torchao 0.18 that
        litert-torch brought broke transformers' import too). The libraries that fail are handled
        last listed first, since ``install_evidence`` lists those released in step with the
        framework (ExecuTorch, Transformers) first: the others give way before them. Each is
        checked again just before its turn, and all once more after the trades, which move
        dependencies and can break a library that imported at first."""
        left_out: list[LeftOut] = []
        # A trade keeps the frameworks, their companions and NumPy where the core put them; the
        # library's own dependencies move with it.
        kept = {canonical(n): v for n, v in pip.freeze().items()}
        core = {n: kept[n] for n in CORE_KEPT if n in kept}
        core_file = write_constraints(self.env_dir / "core-kept.txt", core) if core else None
        for look in ("first", "again"):
            gone = {x.package for x in left_out}
            failing = [lib for lib in libs if lib not in gone and not self.pinned_run
                       and import_error(self.python, lib, self.framework)]  # fmt: skip
            if look == "again" and failing:
                self.notes.append(f"{', '.join(failing)} stopped importing after the trades above: handled again")
            for lib in reversed(failing):
                error = import_error(self.python, lib, self.framework)
                if error is None:
                    self.notes.append(f"{lib} imports once the libraries handled before it were traded or left out")
                    continue
                self.say(f"  {lib} installs but does not import: {error[:120]}")
                if (gave_up := self._trade_for_one_that_imports(pip, lib, error, core_file, libs, start)) is not None:
                    left_out.append(gave_up)
        return left_out

    def _trade_for_one_that_imports(
        self, pip: Pip, lib: str, error: str, core_file, libs: list[str], start: dict | None
    ) -> LeftOut | None:
        """Trade ``lib`` (which does not import: ``error``) for the nearest minor release that does;
        None when one does, else why it is left out (it is then uninstalled, from ``start``)."""
        installed = pip.freeze().get(lib) or next(
            (v for n, v in pip.freeze().items() if canonical(n) == canonical(lib)), None
        )
        before = pip.freeze()
        data = self.pypi.get(lib) or self._pypi(lib)
        minors = newest_per_minor(releases(lib, data))
        cap = self.lock.get(canonical(lib))
        # Older minors first (a library too new for the release); then newer ones up to the
        # lock (one too old for the other packages here), named as the library's boundary.
        older = [v for v in sorted(minors.values(), key=_version_key, reverse=True)
                 if installed and _version_key(v) < _version_key(installed)][:IMPORT_TRIES]  # fmt: skip
        newer = [v for v in sorted(minors.values(), key=_version_key)
                 if installed and _version_key(v) > _version_key(installed)
                 and (cap is None or _version_key(v) <= _version_key(cap))][:IMPORT_TRIES]  # fmt: skip
        for version in [*older, *newer]:
            rc, _out, files = pip.download([f"{lib}=={version}"], core_file, WHEELHOUSE, LIB_TIMEOUT_S)
            self.used += [WHEELHOUSE / f.name for f in files]
            if rc != 0 or pip.install([f"{lib}=={version}"], core_file)[0] != 0:
                continue
            if import_error(self.python, lib, self.framework) is None:
                if not self.frameworks_intact(pip).ok:  # it imports, but shadows TensorFlow or Keras
                    self.restore(pip, before)
                    continue
                which = "the newest older" if _version_key(version) < _version_key(installed) else "the oldest newer"
                self.notes.append(
                    f"{lib} {version}: {which} release that imports beside {self.spec['package']} "
                    f"{self.version} ({lib} {installed}: {error[:160]})"
                )
                self.asked[canonical(lib)] = f"{lib}=={version}: {installed} does not import here"
                break
        else:
            tried = ", ".join([*older, *newer]) or "no other release"
            if older or newer:
                self.restore(pip, before)
            if start is not None:
                self.remove(pip, lib, start, [other for other in libs if other != lib])
            return LeftOut(lib, f"installs but does not work here ({tried} tried): {error[:300]}")
        return None

    def remove(self, pip: Pip, lib: str, start: dict[str, str], others: list[str]) -> None:
        """Uninstall a library left out, and what it alone brought since ``start`` (the
        environment before the evidence libraries; ``others``: the evidence libraries that
        stay): a left-out library must not stay behind for the notebooks, nor its dependencies
        (torch 2.4's run kept litert-torch 0.10 and the torchao 0.18 it brought, far newer than
        that release)."""
        known = {canonical(n) for n in [*start, *others]}
        gone = [lib]
        removed: list[str] = []
        while gone:
            pip.uninstall(gone)
            removed += gone
            # only what pip freeze lists: never this checkout's editable install (factcheck)
            frozen = {canonical(n) for n in pip.freeze()}
            info = inspect(self.python)
            needed = {
                canonical(m.group(0))
                for reqs in info["requires"].values()
                for r in reqs
                if "extra ==" not in r and (m := re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", r))
            }
            gone = [n for n in info["dists"] if canonical(n) in frozen - known - needed]
        self.notes.append(f"{lib} left out: uninstalled with what it alone brought ({', '.join(removed)})")

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

    def package_statuses(self, info: dict, other: dict) -> list:

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
                    patch = IN_STEP_PATCH.get((self.framework, self.minor))
                    extra = f"the release under test ({self.minor}, {patch[1] if patch else 'its newest patch'})"
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

    def build(self, log, wall: dict, sizes: dict) -> tuple[Environment | None, str, str | None]:
        """A fresh environment for this run, checked: (its record, the run status, why broken)."""
        t0 = time.monotonic()
        pip = self.new_venv(log)
        status, broken, environment = "complete", None, None
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
        self.say(f"installed in {wall['install']:.0f} s (env {sizes['env']} GB, wheelhouse {sizes['wheelhouse']} GB)")
        if status != "complete":
            return None, status, broken
        t0 = time.monotonic()
        info = inspect(self.python)
        checks = check_environment(self.python, log)
        wall["check"] = round(time.monotonic() - t0, 1)
        environment = Environment(
            python=info["python"],
            packages=dict(sorted(info["dists"].items(), key=lambda kv: kv[0].lower())),
            frameworks=self.package_statuses(info, other),
            other_framework=other,
            left_out=left_out,
            checks=checks,
            caps=machine_caps(),
            notes=self.notes,
        )
        checks.append(imports_as_installed(checks, info["dists"]))
        for c in checks:
            self.say(f"check {c.name}: {'ok' if c.ok else 'BROKEN'}: {c.detail}")
        if not environment.ok:
            status = "broken-environment"
            broken = "; ".join(f"{c.name}: {c.detail}" for c in checks if not c.ok)
        return environment, status, broken
