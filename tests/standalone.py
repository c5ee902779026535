"""Published notebooks as a reader gets them, and the text each one prints.

The engine executes every notebook the way a reader runs a download (src/factcheck/run/sandbox.py:
alone in an empty folder, offline, this repository unimportable), so the build's one run is also
the proof that each published notebook runs alone; ``run_alone`` runs any notebook file under the
same conditions for the tests that need one more.

Determinism is checked against a reviewed record of what every notebook printed
(tests/golden/notebook-text/<rel>.txt, written by ``FACTCHECK_UPDATE_GOLDEN=1``): each test run's
execution, on whatever machine, must print the same text, with numbers compared to five
significant digits (float round-off differs between CPUs), numbers masked in a notebook that
declares measurements, and a cell tagged ``measurement`` only required to print something again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from builders import REPO

from factcheck.reports.drift import output_text
from factcheck.run.cache import code_hash
from factcheck.run.executor import Outcome, execute_notebook
from factcheck.run.sandbox import Sandbox
from factcheck.sources.notebooks import cell_tags, notebook_settings, read_notebook
from factcheck.vocabulary import MEASUREMENT_TAG

NOTEBOOKS = REPO / "notebooks"
EXECUTED = REPO / "build" / "executed" / "notebooks"
GOLDEN_TEXT = REPO / "tests" / "golden" / "notebook-text"
_FLOAT = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.])")


def published_copy(site_dir: Path, rel: str) -> Path:
    """The downloadable copy of a notebook: next to its page, as mkdocs-jupyter publishes it."""
    stem = rel.removesuffix(".ipynb")
    return site_dir / "notebooks" / stem / (Path(rel).name)


def fwbench_wheel(site_dir: Path) -> Path:
    wheels = sorted((site_dir / "downloads").glob("fwbench-*.whl"))
    assert len(wheels) == 1, f"the site publishes one fwbench wheel, found {wheels}"
    return wheels[0]


@dataclass
class AloneRun:
    outcome: Outcome
    nb: object  # the executed notebook

    def errors(self) -> str:
        lines = []
        for cell in self.nb.cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    lines.append(f"{output['ename']}: {output['evalue']}")
        return "\n".join(lines)


def run_alone(notebook: Path, wheels: list[Path] = (), timeout: int = 120) -> AloneRun:
    """Execute one notebook file under a reader's conditions, every cell run (errors kept)."""
    nb = read_notebook(notebook)
    with Sandbox([REPO / "src"], list(wheels)) as sandbox:
        outcome = execute_notebook(nb, sandbox, timeout, allow_errors=True)
    return AloneRun(outcome, nb)


# -- the text a notebook prints ------------------------------------------------------------------


def _five_digits(match: re.Match) -> str:
    text = match.group(0)
    try:
        return f"{float(text):.5g}"
    except ValueError:
        return text


def printed_text(executed: Path, source: Path) -> str:
    """What the executed notebook printed, cell by cell, in the comparable form the golden file
    holds (headed by the source's code revision)."""
    nb = read_notebook(executed)
    masked = bool(notebook_settings(nb).get("measurements"))
    lines = [
        f"# notebooks/{source.relative_to(NOTEBOOKS).as_posix()} at code revision {code_hash(read_notebook(source))}"
    ]
    if masked:
        lines.append("# this notebook declares measurements: every number is masked")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        text = output_text(cell.get("outputs", []), masked=masked)
        if MEASUREMENT_TAG in cell_tags(cell):
            lines.append(f"## cell {i + 1} (a measurement: only whether it printed)")
            lines.append("printed something" if text.strip() else "printed nothing")
            continue
        if not text.strip():
            continue
        lines.append(f"## cell {i + 1}")
        lines.append(_FLOAT.sub(_five_digits, text.rstrip()))
    return "\n".join(lines) + "\n"


def golden_path(rel: str) -> Path:
    return GOLDEN_TEXT / (rel.removesuffix(".ipynb") + ".txt")
