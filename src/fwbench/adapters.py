"""What the benchmark needs from a framework, in one small interface.

The driver (:mod:`fwbench.worker`) and the parity check (:mod:`fwbench.parity`) only talk to an
:class:`Adapter`; :mod:`fwbench.torch_impl` and :mod:`fwbench.tf_impl` each implement it. An
adapter builds a model from NumPy weights in the canonical layout (:mod:`fwbench.params`), reads
weights and gradients back in that layout, and, for each workload, prepares one
:class:`Variant` per execution mode (eager, graph, compiled, ...): the call to time plus how to
read its result for the check against the eager mode.

Importing this module imports no framework; :func:`load` imports one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fwbench.config import Mode

# The timed workloads, in order, with their unit. Training workloads map to a model kind.
UNITS = {
    "dense": "GFLOP/s",
    "mlp_train": "ms/step",
    "cnn_train": "ms/step",
    "transformer_fwd_bwd": "ms/step",
    "tiny_op": "µs/op",
    "infer_b1": "ms/call",
}
TRAINING = {"mlp_train": "mlp", "cnn_train": "cnn", "transformer_fwd_bwd": "transformer"}


@dataclass
class Variant:
    """One execution mode of one workload, ready to run.

    ``call`` is what is timed. ``result`` turns the output of the first call into canonical NumPy
    arrays (the output itself, the weights after one step, or the gradients), which must match
    the eager variant's within :data:`fwbench.parity.TOL` before anything is timed. ``first``,
    when given, is that first call (Keras ``fit`` runs one batch first, then ``k`` per timed call).
    """

    mode: str
    call: Callable[[], Any]
    result: Callable[[Any], list[np.ndarray]]
    first: Callable[[], Any] | None = None
    per_call: int = 1  # items (steps, ops) per call: the figures are per item
    compiled: bool = False  # the first call traces or compiles (its excess is reported as compile_s)
    framework: str | None = None  # None: the adapter's framework
    check: bool = True  # compare with the eager variant (False for NumPy's ceiling)
    group: str = "framework"  # thread pool, for sample_in_turns' pauses
    extra: dict = field(default_factory=dict)  # more fields for the result row


class Adapter(ABC):
    """A framework, as the benchmark sees it."""

    name: str  # "pytorch" | "tensorflow"
    label: str  # "PyTorch" | "TensorFlow"
    ops_label: str  # "torch" | "tf"
    eager: str  # the eager mode's name: every other mode is checked against it

    # -- process set-up ------------------------------------------------------------------------
    @abstractmethod
    def set_threads(self, threads: dict) -> dict:
        """Apply intra-op / inter-op thread counts; return what the framework reports back."""

    def info(self) -> dict:
        """Framework-specific facts for the results document."""
        return {}

    def set_up_compiler(self) -> dict:
        """One-off, per-machine set-up of the compiler, run before the timed part so that each
        first call measures its own compile (see the PyTorch adapter). Returns what it did."""
        return {}

    # -- models from NumPy weights, and back ---------------------------------------------------------
    @abstractmethod
    def build(self, kind: str, cfg: dict, weights) -> Any:
        """The ``kind`` model ("mlp", "cnn", "transformer") with ``weights`` in the canonical layout."""

    @abstractmethod
    def weights(self, kind: str, model) -> list[np.ndarray]:
        """The model's weights in the canonical layout (copies)."""

    @abstractmethod
    def forward(self, kind: str, model, x: np.ndarray) -> np.ndarray:
        """Training-mode forward pass on a NumPy batch (canonical layout: NHWC images)."""

    @abstractmethod
    def loss_and_grads(self, kind: str, model, x: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """Mean squared error and its gradients (canonical layout), eagerly."""

    @abstractmethod
    def sgd_step(self, kind: str, model, x: np.ndarray, y: np.ndarray) -> float:
        """One eager plain-SGD step (learning rate :data:`fwbench.params.LR`); returns the loss."""

    @abstractmethod
    def to_numpy(self, value) -> np.ndarray:
        """A framework tensor (or a Python number) as a NumPy array."""

    # -- timed workloads ----------------------------------------------------------------------------
    @abstractmethod
    def variants(self, workload: str, mode: Mode) -> tuple[str, ...]:
        """The modes timed for ``workload`` in this benchmark mode, the eager mode first."""

    @abstractmethod
    def matmul(self, a: np.ndarray, b: np.ndarray, variant: str) -> Variant: ...

    @abstractmethod
    def train(self, kind: str, cfg: dict, weights, x: np.ndarray, y: np.ndarray, variant: str, mode: Mode) -> Variant:
        """A training step on a fresh model: forward, backward and an SGD update ("mlp", "cnn"; the
        result is the weights after the first step), or forward and backward only ("transformer";
        the result is the gradients)."""

    @abstractmethod
    def tiny_chain(self, n_ops: int, variant: str) -> Variant:
        """``n_ops`` scalar-sized elementwise ops in a row on an 8-element tensor (per-op cost)."""

    @abstractmethod
    def infer(self, cfg: dict, weights, x1: np.ndarray, variant: str) -> Variant:
        """Batch-1 inference of the CNN."""


def load(name: str) -> Adapter:
    """The adapter of ``name`` ("pytorch" or "tensorflow"); imports that framework.

    In a process that needs both, load PyTorch first (its native libraries must come before
    TensorFlow's with the pinned wheels)."""
    if name == "pytorch":
        from fwbench.torch_impl import TorchAdapter

        return TorchAdapter()
    if name == "tensorflow":
        from fwbench.tf_impl import TensorFlowAdapter

        return TensorFlowAdapter()
    raise ValueError(f"unknown framework {name!r}")
