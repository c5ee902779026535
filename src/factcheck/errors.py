"""Errors raised by each stage of the engine.

Every message names the file and, where there is one, the claim and the field or cell,
so a red build says what to fix without a traceback.
"""


class FactcheckError(Exception):
    """Base class: anything that must stop the build."""


class RegistryError(FactcheckError):
    """A claims file is malformed or inconsistent with the notebooks."""


class PageError(FactcheckError):
    """A page names an unknown claim, or a claim is shown on no page (or on two)."""


class ExecutionError(FactcheckError):
    """One or more notebooks failed, crashed or timed out."""

    def __init__(self, failures):
        self.failures = list(failures)
        super().__init__("\n".join(f.message for f in self.failures))


class EvidenceError(FactcheckError):
    """Executed evidence is missing, empty, or carries no assertion."""
