"""What the numbers were measured on: CPU, cores, versions, BLAS pools, relevant env vars."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

ENV_VARS = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "TF_ENABLE_ONEDNN_OPTS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "KMP_BLOCKTIME",
    "OMP_WAIT_POLICY",
    "TORCHINDUCTOR_CACHE_DIR",
    "FWBENCH_MODE",
)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> list[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                return sorted(f for f in flags if f.startswith(("avx", "amx", "fma")))
    except OSError:
        pass
    return []


def version(*dists: str) -> str | None:
    for d in dists:
        try:
            return metadata.version(d)
        except metadata.PackageNotFoundError:
            continue
    return None


def versions() -> dict:
    return {
        "python": platform.python_version(),
        "numpy": version("numpy"),
        "tensorflow": version("tensorflow-cpu", "tensorflow"),
        "keras": version("keras"),
        "torch": version("torch"),
        "threadpoolctl": version("threadpoolctl"),
    }


def machine_info() -> dict:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    info = {
        "cpu_model": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "simd_flags": cpu_flags(),
        "system": f"{platform.system()} {platform.release()}",
        "env": {k: os.environ.get(k) for k in ENV_VARS},
    }
    try:
        import psutil

        info["physical_cores"] = psutil.cpu_count(logical=False)
        info["memory_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
        info["load_avg_1m"] = os.getloadavg()[0]
    except Exception:  # psutil is optional
        pass
    return info


def blas_pools() -> list[dict]:
    """threadpoolctl's view of the BLAS/OpenMP pools loaded in *this* process."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keep = ("user_api", "internal_api", "num_threads", "version", "architecture", "threading_layer", "prefix")
    return [{k: p.get(k) for k in keep} for p in threadpool_info()]
