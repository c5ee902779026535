"""What a run used: package versions and the machine (for execution records and provenance)."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

from ..vocabulary import COMPANION, EVIDENCE_LIBRARIES

# Recorded besides Python, the frameworks and Keras: NumPy, torchvision and the evidence libraries.
EVIDENCE_PACKAGES = ("numpy", COMPANION["pytorch"], *EVIDENCE_LIBRARIES)


def package_version(*dists: str) -> str | None:
    """The installed version of the first of ``dists`` that is installed."""
    for dist in dists:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


def version_record() -> dict:
    """The versions a run used: the two frameworks, Keras, Python and every evidence library."""
    record = {
        "python": platform.python_version(),
        "tensorflow": package_version("tensorflow-cpu", "tensorflow"),
        "torch": package_version("torch"),
        "keras": package_version("keras"),
    }
    record.update({name: package_version(name) for name in EVIDENCE_PACKAGES})
    return record


def machine_record() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "system": platform.system()}
