"""The site's vocabulary, in one place: verdicts (label, icon, colours), frameworks, the MIME
type of a recorded value, the cell tags the engine reads. The claims schema, the renderer, the
badges, the social card and the stylesheet use these; tests/test_vocabulary.py checks that the
JSON schema and panels.css agree with them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    id: str
    label: str
    icon: str  # shown before the label, hidden from screen readers (the label says it)
    colour: str  # light scheme, badges and the social card
    colour_dark: str  # dark (slate) scheme


VERDICTS = (
    Verdict("holds", "Holds", "✓", "#1b5e20", "#2e7d32"),
    Verdict("nuanced", "Nuanced", "≈", "#8a4b00", "#a35a00"),
    Verdict("outdated", "Outdated", "↺", "#5e35b1", "#6a47c2"),
    Verdict("false", "False", "✗", "#b71c1c", "#c62828"),
)
VERDICT = {v.id: v for v in VERDICTS}


@dataclass(frozen=True)
class Framework:
    id: str  # the key in a claim's evidence
    label: str


FRAMEWORKS = (Framework("tensorflow", "TensorFlow"), Framework("pytorch", "PyTorch"))
FRAMEWORK_IDS = tuple(f.id for f in FRAMEWORKS)
SHARED = "both"  # optional evidence comparing the two at once, shown under the two columns
LABELS = {**{f.id: f.label for f in FRAMEWORKS}, SHARED: "Both frameworks"}

# A value a cell publishes with record(name, value): the page quotes it with <!-- value: name -->.
VALUE_MIME = "application/vnd.framework-facts.value+json"
# A cell whose output holds a timing or size that varies from run to run.
MEASUREMENT_TAG = "measurement"
