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


# -- runs -----------------------------------------------------------------------------------------
# How one execution of a notebook ended (run/executor.py's Outcome.status; a matrix run records
# the same words per notebook). "error" only happens where errors stop the run (the build); the
# matrix and the counterfactual runs let every cell run and judge the errors instead.
RAN = "ran"
CELL_ERROR = "error"
TIMEOUT = "timeout"
KERNEL_DIED = "kernel-died"
NOT_STARTED = "notebook-not-started"
NOT_EXECUTED = "not-executed"  # a run never executed the notebook (stopped, skipped)
RUN_ENDINGS = {
    RAN: "ran",
    CELL_ERROR: "raised",
    TIMEOUT: "timed out",
    KERNEL_DIED: "killed its kernel",
    NOT_STARTED: "could not start a kernel",
    NOT_EXECUTED: "was not executed",
}


@dataclass(frozen=True)
class SideOutcome:
    """What one run says of one claim side (judging/classify.py decides; reports show it)."""

    id: str
    symbol: str  # the Versions page's cell and the strip's tooltip
    words: str  # in a sentence: "fails on PyTorch 2.0"


HOLDS, FAILS, COULD_NOT_RUN, UNTESTED = "holds", "fails", "could-not-run", "untested"
SIDE_OUTCOMES = (
    SideOutcome(HOLDS, "✓", "holds"),
    SideOutcome(FAILS, "✗", "fails"),
    SideOutcome(COULD_NOT_RUN, "–", "could not run"),
    SideOutcome(UNTESTED, "·", "not tested"),
)
SIDE_OUTCOME = {o.id: o for o in SIDE_OUTCOMES}
JUDGED = (HOLDS, FAILS, COULD_NOT_RUN)  # what a run can record; "untested" is a release no run covered

# Each framework side: the name a matrix run uses for it, the distribution that carries it (and its
# other names), its companion package, and the top-level modules that are the framework itself (an
# import or attribute error there is the claim's subject, not a missing library).
RUN_NAME = {"tensorflow": "tensorflow", "pytorch": "torch"}
SIDE_OF_RUN = {run: side for side, run in RUN_NAME.items()}
DISTRIBUTIONS = {"tensorflow": ("tensorflow-cpu", "tensorflow"), "pytorch": ("torch",)}
COMPANION = {"tensorflow": "keras", "pytorch": "torchvision"}
FRAMEWORK_MODULES = {"tensorflow": ("tensorflow", "keras", "tf_keras"), "pytorch": ("torch", "torchvision")}
ALL_FRAMEWORK_MODULES = tuple(m for mods in FRAMEWORK_MODULES.values() for m in mods)
# A side's ecosystem: modules whose values count as that framework's word in an evidence cell
# (evidence/checks.py), and distributions whose installed metadata does.
ECOSYSTEM_MODULES = {
    "tensorflow": (
        *FRAMEWORK_MODULES["tensorflow"], "keras_hub", "keras_nlp", "keras_cv", "tf2onnx", "ai_edge_litert",
        "tensorboard", "scikeras", "tflite_runtime", "tensorflow_hub",
    ),
    "pytorch": (
        *FRAMEWORK_MODULES["pytorch"], "torchaudio", "torchrl", "executorch", "litert_torch", "skorch",
        "onnxscript", "functorch", "triton",
    ),
}  # fmt: skip
FRAMEWORK_DISTRIBUTIONS = {
    "tensorflow": (*DISTRIBUTIONS["tensorflow"], "keras", "tensorboard"),
    "pytorch": (*DISTRIBUTIONS["pytorch"], "executorch", "litert-torch", "litert_torch"),
}

# The libraries the evidence imports besides the frameworks (requirements.in; jax comes with
# litert-torch): an execution record and the drift report name their versions, the matrix
# installs each one on its own (in this order).
EVIDENCE_LIBRARIES = (
    "keras-hub", "transformers", "executorch", "litert-torch", "ai-edge-litert", "onnxruntime", "onnx",
    "onnxscript", "tf2onnx", "skorch", "scikeras", "scikit-learn", "gymnasium", "tensorboard",
    "threadpoolctl", "psutil", "jax",
)  # fmt: skip
# Evidence libraries a run installs only beside Keras 2 (tf.keras before TensorFlow 2.16), where
# KerasHub, which needs Keras 3, cannot load: its predecessor KerasNLP, whose 0.12 was the last
# release to run on Keras 2, stands in (the notebooks import it only there).
KERAS_2_EVIDENCE = {"keras-nlp": "keras-nlp<0.13"}
KERAS_3_ONLY = ("keras-hub",)  # needs keras.ops: not even tried beside Keras 2
# This repository's own packages: never importable by a notebook run (run/sandbox.py), and an
# attribute missing there is our defect, not a release's.
OWN_MODULES = ("factcheck", "fwbench")
