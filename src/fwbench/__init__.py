"""fwbench: a small, re-runnable TensorFlow vs PyTorch CPU benchmark.

The method, in short (details in each module):

* the same model is built in both frameworks from one set of NumPy weights
  (:mod:`fwbench.params`), and the outputs and gradients are checked equal
  (:mod:`fwbench.parity`) before anything is timed;
* each framework is timed in its own subprocess (:mod:`fwbench.worker`), by one driver over a
  small per-framework interface (:mod:`fwbench.adapters`), with the same intra-op and inter-op
  thread counts, data already in memory, warm-up calls excluded, and enough repeats for a median
  and an inter-quartile range (:mod:`fwbench.timing`);
* the ceiling is NumPy's BLAS on the same dense fp32 matmul, sampled in the same turns as each
  framework's dense modes, in that framework's process;
* everything lands in one JSON document with the machine, versions, threads and mode
  (:mod:`fwbench.suite`), which :mod:`fwbench.report` turns into tables, ratios and a plot.

Nothing here imports TensorFlow or PyTorch at import time: the orchestrating process stays
light and the frameworks never share a process while they are timed.
"""

from fwbench.config import MODES, get_mode, threads_from_env

_SUITE = ("SCHEMA", "load", "run_distributed", "run_parity", "run_suite", "save", "start_suite")


def __getattr__(name):  # the suite is imported on first use
    if name in _SUITE:
        from fwbench import suite

        return getattr(suite, name)
    raise AttributeError(name)


__all__ = [
    "MODES",
    "SCHEMA",
    "get_mode",
    "load",
    "run_distributed",
    "run_parity",
    "run_suite",
    "save",
    "start_suite",
    "threads_from_env",
]
__version__ = "0.1.0"
