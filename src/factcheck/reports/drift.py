"""Drift: run the notebooks on the newest releases and say which claims flipped.

Inputs are two executed trees: the pinned run (build/executed, the build's) and a run on the
newest releases (``make test-latest``: ``python -m factcheck matrix --newest RESULT
--keep-executed DIR``), whose result, in the version matrix's format (judging/results.py), judges
every claim side. For every claim the report says: its evidence still passes with the same
output, passes with changed output, fails (with the cell and error), or did not run; and which
package versions differ between the two runs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..evidence.extract import evidence_cells, load_executed
from ..judging.results import RunResult, read_result
from ..project import executed_notebook
from ..sources.notebooks import notebook_settings
from ..sources.registry import Registry
from ..vocabulary import COMPANION, COULD_NOT_RUN, DISTRIBUTIONS, EVIDENCE_LIBRARIES, FAILS

# Packages worth a line in the drift report's version table (a newest run records every package).
_TRACKED = {
    *(d for side in DISTRIBUTIONS.values() for d in side),
    *COMPANION.values(),
    "numpy",
    *EVIDENCE_LIBRARIES,
}

_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]+")
# "measured": output moved in a notebook that declares measurements, or in a cell tagged
# "measurement" (timings, sizes, a benchmark's winner): reported, but not a flip of the claim.
STATUS_ORDER = {"fails": 0, "not-run": 1, "changed": 2, "measured": 3, "same": 4}


@dataclass
class RunTree:
    """One execution of the notebooks: where its executed copies are, and (for a run on other
    releases) its result, which judged every claim side."""

    executed_dir: Path  # holds notebooks/<rel>.ipynb (and, from the engine, .record.json files)
    result: RunResult | None = None

    @classmethod
    def load(cls, executed_dir: Path, run_result: Path | None = None) -> RunTree:
        result = None
        if run_result is not None:
            result = read_result(Path(run_result))
            if result is None:
                raise FileNotFoundError(f"{run_result}: no run result there (or not one in the matrix's format)")
        return cls(Path(executed_dir), result)

    def notebook(self, rel: str) -> Path:
        return executed_notebook(self.executed_dir, rel)

    def versions(self) -> dict[str, str]:
        if self.result is not None and self.result.environment is not None:
            return dict(self.result.environment.packages)
        merged: dict[str, str] = {}
        for record in sorted(self.executed_dir.rglob("*.record.json")):
            merged.update({k: v for k, v in json.loads(record.read_text())["versions"].items() if v})
        return merged


def output_text(outputs, masked: bool = True) -> str:
    """The text a reader sees in a cell's outputs (stdout and text/plain results). Masked:
    numbers become "#" and runs of spaces one space, so timings and figures (and table columns
    that follow them) may move and only a change in wording, types or structure counts."""
    parts = []
    for output in outputs:
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            parts.append(output.get("text", ""))
        elif "text/plain" in output.get("data", {}):
            parts.append(output["data"]["text/plain"])
    text = "".join(parts)
    return _SPACES.sub(" ", _NUMBER.sub("#", text)).strip() if masked else text


def _text(cell) -> str:
    return output_text(cell.outputs)


def first_difference(a: str, b: str) -> str:
    for old, new in zip(a.splitlines(), b.splitlines(), strict=False):
        if old != new:
            return f"{old.strip()[:100]!r} became {new.strip()[:100]!r}"
    return "output length changed"


def claim_drift(registry: Registry, baseline: RunTree, latest: RunTree) -> list[dict]:
    rows = []
    for claim in registry:
        status, details = "same", []
        judged = latest.result.claims.get(claim.id, {}) if latest.result is not None else {}
        for fw, ev in claim.evidence.items():
            side = judged.get(fw)
            if side is not None and side.outcome == FAILS:
                status = "fails"
                details.append(f"{fw}: notebooks/{ev.notebook} cell {side.cell}: {side.error}")
                continue
            if side is not None and side.outcome == COULD_NOT_RUN:
                status = "not-run" if status != "fails" else status
                details.append(f"{fw}: could not run: {side.reason.detail if side.reason else 'no reason recorded'}")
                continue
            if not latest.notebook(ev.notebook).is_file():
                status = "not-run" if status != "fails" else status
                details.append(f"{fw}: notebooks/{ev.notebook} has no latest run")
                continue
            old_cells = evidence_cells(baseline.notebook(ev.notebook), ev.notebook, ev.cells)
            new_cells = evidence_cells(latest.notebook(ev.notebook), ev.notebook, ev.cells)
            measured = notebook_settings(load_executed(latest.notebook(ev.notebook))).get("measurements", False)
            for old, new in zip(old_cells, new_cells, strict=True):
                if _text(old) != _text(new):
                    moved = "measured" if measured or new.measured else "changed"
                    if STATUS_ORDER[moved] < STATUS_ORDER[status]:
                        status = moved
                    details.append(
                        f"{fw}: cell {new.index + 1} ({new.tag}): {first_difference(_text(old), _text(new))}"
                    )
        rows.append(
            {
                "id": claim.id,
                "section": claim.section.id,
                "verdict": claim.verdict,
                "status": status,
                "details": details,
            }
        )
    return sorted(rows, key=lambda r: (STATUS_ORDER[r["status"]], r["id"]))


def drift_report(registry: Registry, baseline: RunTree, latest: RunTree, date: str) -> dict:
    old, new = baseline.versions(), latest.versions()
    keys = (
        sorted(set(old) | set(new))
        if latest.result is None
        else sorted(k for k in new if k.lower() in _TRACKED or k in old)
    )
    versions = {k: {"pinned": old.get(k), "latest": new.get(k)} for k in keys}
    claims = claim_drift(registry, baseline, latest)
    counts = {s: sum(1 for c in claims if c["status"] == s) for s in STATUS_ORDER}
    report = {"date": date, "versions": versions, "counts": counts, "claims": claims}
    newest = {k: v for k, v in new.items() if k.lower() in ("torch", "tensorflow-cpu", "tensorflow")}
    release = ", ".join(f"{k} {v}" for k, v in sorted(newest.items())) or "the newest releases"
    report["proposed_changes"] = [
        f"  - date: {date}\n    claim: {row['id']}\n    release: {release}\n    cause: >-\n"
        f"      On {release} the evidence {'fails' if row['status'] == 'fails' else 'prints other output'}: "
        f"{'; '.join(row['details'])[:300]}. REVIEW: the cause in words; add from/to if the verdict changes.\n"
        for row in claims
        if row["status"] in ("fails", "changed")
    ]
    env = latest.result.environment if latest.result is not None else None
    if env is not None:  # why a package is not at its newest release, what was left out
        report["environment"] = {
            "status": latest.result.status,
            "not_newest": [
                {"package": p.package, "got": p.got, "newest": p.newest, "reason": p.reason}
                for p in env.frameworks
                if p.got != p.newest
            ],
            "left_out": [{"package": item.package, "reason": item.reason} for item in env.left_out],
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in env.checks],
        }
    return report


def drift_markdown(report: dict) -> str:
    lines = [
        f"# Drift report, {report['date']}",
        "",
        "Every notebook executed on the newest releases, compared with the pinned run.",
        "",
        "| Package | Pinned | Newest |",
        "| --- | --- | --- |",
    ]
    for name, v in report["versions"].items():
        mark = "" if v["pinned"] == v["latest"] else " (changed)"
        lines.append(f"| {name} | {v['pinned'] or '-'} | {v['latest'] or '-'}{mark} |")
    env = report.get("environment")
    if env:
        lines += ["", f"Environment of the newest run: {env['status']}."]
        lines += [f"- {c['name']}: {'ok' if c['ok'] else 'BROKEN'} ({c['detail']})" for c in env["checks"]]
        lines += [
            f"- {p['package']} {p['got']}, not the newest {p['newest']}: {p['reason']}" for p in env["not_newest"]
        ]
        lines += [f"- left out: {item['package']}: {item['reason']}" for item in env["left_out"]]
    c = report["counts"]
    lines += [
        "",
        f"**{c['fails']} claims fail, {c['changed']} changed output, {c['not-run']} did not run, "
        f"{c['same']} unchanged**; {c['measured']} moved only in measurements (timings, sizes).",
        "",
    ]
    flipped = [r for r in report["claims"] if r["status"] not in ("same", "measured")]
    if not flipped:
        lines.append("No claim's evidence failed or changed its output.")
    for row in flipped:
        lines.append(f"- **{row['id']}** ({row['section']}, verdict {row['verdict']}): {row['status']}")
        lines += [f"    - {d}" for d in row["details"]]
    if report.get("proposed_changes"):
        lines += [
            "",
            "Proposed entries for data/changes.yaml (review each cause and verdict before adding):",
            "",
            "```yaml",
        ]
        lines += [entry.rstrip("\n") for entry in report["proposed_changes"]]
        lines += ["```"]
    measured = [r for r in report["claims"] if r["status"] == "measured"]
    if measured:
        lines += ["", "Measurements that moved (not flips):", ""]
        lines += [f"- {row['id']}: {'; '.join(row['details'])[:300]}" for row in measured]
    return "\n".join(lines) + "\n"


def write_report(report: dict, out_dir: Path) -> tuple[Path, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    md, js = out_dir / "drift.md", out_dir / "drift.json"
    md.write_text(drift_markdown(report))
    js.write_text(json.dumps(report, indent=2) + "\n")
    return md, js
