"""One run of the matrix: build its environment (environments.py), execute every evidence notebook
there through the engine's one executor (worker.py calls run/executor.py in the run's Python),
judge every claim side (judging/classify.py) and return the ``RunResult`` to write.

A *refresh* re-executes only the notebooks changed since a run, with the packages that run
recorded; ``reclassify`` judges committed results again under new rules without executing.
Result files carry no machine paths: every error line is scrubbed (run/sanitize.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import platform
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from ..judging.classify import classify_claims, notebook_result, rebuild_executed
from ..judging.results import RunResult, read_result, stale_notebooks, write_result
from ..run.cache import code_hash
from ..run.sanitize import machine_paths, sanitize_text
from ..sources.notebooks import read_notebook
from ..sources.registry import load_registry
from . import ENVS, LOGS, OUT_DIR, ROOT, WHEELHOUSE, say
from .checks import check_environment, inspect, kernel_env
from .discovery import canonical
from .environments import RunEnvironment
from .pip import MIN_FREE_GB, DiskWatch, free_gb, key_line, prune_wheelhouse


def scrub(text: str | None) -> str | None:
    """Machine paths out of a line that goes into a committed result file (any run's own
    environment reads ``$VENV``)."""
    if not text:
        return text
    text = re.sub(re.escape(str(ENVS.resolve())) + r"/[\w.-]+", "$VENV", text)
    return sanitize_text(text, machine_paths(ROOT))


def notebook_state(root: Path | None = None):
    """The registry, every evidence notebook's source and its code hash, as they are now."""
    root = root or ROOT
    registry = load_registry(root / "claims", root / "notebooks")
    sources = {rel: read_notebook(root / "notebooks" / rel) for rel in sorted(registry.notebooks())}
    return registry, sources, {rel: code_hash(nb) for rel, nb in sources.items()}


def judge(registry, executed: dict, records: dict, broken: str | None):
    """Every claim side judged from the executed (or rebuilt) notebooks, errors scrubbed."""
    claims = classify_claims(registry, executed, records, broken=broken)
    for sides in claims.values():  # errors quoted from the executed copies
        for side, r in list(sides.items()):
            if r.error or r.reason:
                reason = r.reason and dataclasses.replace(r.reason, detail=scrub(r.reason.detail))
                sides[side] = dataclasses.replace(r, error=scrub(r.error), reason=reason)
    return claims


class Run(RunEnvironment):
    def execute(self) -> RunResult:
        LOGS.mkdir(parents=True, exist_ok=True)
        WHEELHOUSE.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        wall, sizes = {}, {}
        free = free_gb()
        self.say(f"{self.spec['package']} {self.version}: {free:.1f} GB free")
        if free < MIN_FREE_GB:
            prune_wheelhouse(list(WHEELHOUSE.glob("*")), {})
            free = free_gb()
            if free < MIN_FREE_GB:
                raise SystemExit(f"{self.name}: only {free:.1f} GB free (a run needs {MIN_FREE_GB} GB): not started")
        watch = DiskWatch()
        watch.start()
        registry, _sources, hashes = notebook_state()
        executed, records = {}, {}
        log = (LOGS / f"{self.name}.log").open("w")
        try:
            environment, status, broken = self.build(log, wall, sizes)
            if status == "complete":
                t0 = time.monotonic()
                try:
                    self.run_notebooks(sorted(hashes), hashes, records, executed)
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

    def refresh(self, previous: RunResult, stale: list[str], again: list[str] = ()) -> RunResult:
        """Re-execute only the ``stale`` notebooks (changed since ``previous`` ran; ``again``:
        unchanged ones asked for again, a measurement that shared the machine) in the
        environment ``previous`` recorded, reinstalled package for package without resolving,
        then judge every claim again: the other notebooks keep their recorded errors. A notebook
        edit then costs minutes per run, not a whole new matrix, and the packages stay the
        run's own. Each re-executed notebook records its date (``ran_on``)."""
        LOGS.mkdir(parents=True, exist_ok=True)
        WHEELHOUSE.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        registry, sources, hashes = notebook_state()
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
                info = inspect(self.python)
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
                stale = [*stale, *again]
                self.run_notebooks(stale, hashes, fresh, executed)
                missing = [rel for rel in stale if rel not in fresh]
                if missing:
                    raise RuntimeError(f"no result from {', '.join(missing)}")
            finally:
                shutil.rmtree(self.env_dir, ignore_errors=True)
                prune_wheelhouse(self.used, self.lock)
        changed = [rel for rel in stale if rel not in again]
        which = ", ".join(
            ([f"{len(changed)} changed since the run ({', '.join(changed)})"] if changed else [])
            + ([f"{len(again)} asked for again though unchanged ({', '.join(again)})"] if again else [])
        )
        note = (
            f"re-executed {len(stale)} notebook(s), {which}, with the recorded packages reinstalled"
            f" ({install_s:.0f} s to install, {time.monotonic() - t0:.0f} s to execute)"
        )
        merged = merge_refresh(previous, fresh, executed, registry, sources, dt.date.today().isoformat(), note)
        merged.wall["refresh"] = round(time.monotonic() - started, 1)
        merged.environment.notes += [n for n in self.notes if n not in merged.environment.notes]
        return merged

    def run_notebooks(self, rels: list[str], hashes: dict[str, str], records: dict, executed: dict) -> None:
        """Execute ``rels`` in this run's environment, two at a time (worker.py), adding each
        notebook's record and executed copy to ``records`` and ``executed``."""
        tmp = Path(tempfile.mkdtemp(prefix=f"matrix-{self.name}-"))
        try:
            self.say(f"executing {len(rels)} notebooks, two at a time")
            proc = subprocess.run(
                [str(self.python), "-m", "factcheck.matrix.worker", "--out", str(tmp), *rels],
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
                record, nb = notebook_result(rel, tmp / rel, hashes[rel], scrub)
                if record is not None:
                    records[rel], executed[rel] = record, nb
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # executed copies: only as long as needed


def merge_refresh(previous, fresh: dict, executed: dict, registry, sources: dict, today: str, note: str):
    """``previous`` with the notebooks in ``fresh`` (records; ``executed``: their executed
    copies) replaced and dated ``today``, every claim judged again (the other notebooks rebuilt
    from their recorded errors), and ``note`` added to the environment's notes."""
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


def reclassify(out_dir: Path = OUT_DIR, framework: str | None = None, version: str | None = None) -> int:
    """Judge result files again under the current rules, from the per-cell errors they recorded.
    Claims whose notebook changed since the run keep their recorded results (a refresh or a new
    run judges them): the recorded errors fit only the notebook that ran."""
    registry, sources, hashes = notebook_state()
    for path in sorted(Path(out_dir).glob("*.json")):
        result = read_result(path)
        if result is None or (framework and result.framework != framework):
            continue
        if version and result.requested != ".".join(version.split(".")[:2]):
            continue
        stale = set(stale_notebooks(result, hashes))
        for rec in result.notebooks.values():
            rec.detail = scrub(rec.detail)
            rec.errors = [dict(e, error=scrub(e["error"])) for e in rec.errors]
        if result.environment:
            for check in result.environment.checks:
                check.detail = scrub(check.detail)
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
