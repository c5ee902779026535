"""Is a run's environment usable, and what is in it: each framework's native ops load, a kernel
starts there, both frameworks load in one process torch first; its distributions and their
requirements; which installed package keeps another below its newest release."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

from ..judging.results import Check
from .discovery import canonical
from .pip import pip_env

INSPECT = r"""
import json, sys, platform
from importlib import metadata
dists = {}
requires = {}
for d in metadata.distributions():
    name = d.metadata["Name"]
    if not name:
        continue
    dists[name] = d.version
    requires[name] = list(d.requires or [])
modules = sorted(metadata.packages_distributions())
print(json.dumps({"python": platform.python_version(), "dists": dists, "requires": requires, "modules": modules}))
"""

CHECKS = {
    "torch": "import torch, torchvision\n"
    "torch.ops.torchvision.nms\n"
    "assert (torch.ones(2) + 1).sum().item() == 4\n"
    "import numpy as np\n"
    "assert torch.from_numpy(np.ones(2)).sum().item() == 2\n"
    "print('torch', torch.__version__, 'torchvision', torchvision.__version__, 'numpy', np.__version__)",
    "tensorflow": "import tensorflow as tf\n"
    "assert int(tf.constant(1) + 1) == 2\n"
    "import numpy as np\n"
    "assert float(tf.reduce_sum(tf.constant(np.ones(2)))) == 2\n"
    "import keras\n"
    "print('tensorflow', tf.__version__, 'keras', keras.__version__, 'tf.constant(1) + 1 == 2')",
    "kernel": "import sys\n"
    "import nbformat\n"
    "from nbclient import NotebookClient\n"
    "nb = nbformat.v4.new_notebook()\n"
    "nb.cells.append(nbformat.v4.new_code_cell('import sys; print(sys.prefix)'))\n"
    "NotebookClient(nb, kernel_name='python3', timeout=120).execute()\n"
    "prefix = nb.cells[0].outputs[0]['text'].strip()\n"
    "assert prefix == sys.prefix, f'the kernel runs in {prefix}, not in {sys.prefix}'\n"
    "print('a python3 kernel starts in the environment')",
    "torch-then-tensorflow": "import torch, torchvision\n"
    "import tensorflow as tf\n"
    "torch.ops.torchvision.nms\n"
    "assert int(tf.constant(1) + 1) == 2 and (torch.ones(2) + 1).sum().item() == 4\n"
    "print('both load in one process, torch first')",
}


def check_environment(python: Path, log) -> list:

    checks = []
    for name, code in CHECKS.items():
        try:
            proc = subprocess.run(
                [str(python), "-c", code],
                capture_output=True,
                text=True,
                timeout=300,
                env=kernel_env(python),
                cwd=tempfile.gettempdir(),
            )
            ok = proc.returncode == 0
            lines = [x for x in (proc.stdout + proc.stderr).strip().splitlines() if x.strip()]
            if ok:
                detail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "ok"
            else:
                errors = [x for x in lines if re.match(r"^\w+(Error|Exception)\b", x)]
                detail = (errors[-1] if errors else (lines[-1] if lines else f"exit {proc.returncode}"))[:400]
                if proc.returncode < 0:
                    detail = f"killed by signal {-proc.returncode} ({detail})"
            log.write(f"\n[check {name}] rc={proc.returncode}\n{proc.stdout}\n{proc.stderr[-4000:]}\n")
        except subprocess.TimeoutExpired:
            ok, detail = False, "no answer within 300 s"
        checks.append(Check(name, ok, detail))
    return checks


def kernel_env(python: Path) -> dict:
    from ..run.sandbox import QUIET_ENV

    env = pip_env()
    env.update(QUIET_ENV)
    env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(python.parent.parent)
    env.pop("PYTHONHOME", None)
    return env


def why_not_newest(package: str, newest: str, requires: dict[str, list[str]], extra: str = "") -> str:
    """Which installed packages' requirements exclude ``newest`` of ``package``."""
    from packaging.requirements import InvalidRequirement, Requirement

    blockers = []
    for dist, reqs in requires.items():
        for text in reqs:
            try:
                req = Requirement(text)
            except InvalidRequirement:
                continue
            if canonical(req.name) != canonical(package):
                continue
            if req.marker is not None:
                try:
                    if not req.marker.evaluate({"extra": ""}):
                        continue
                except Exception:  # noqa: BLE001 (a marker we cannot evaluate: count it)
                    pass
            if req.specifier and not req.specifier.contains(newest, prereleases=True):
                blockers.append(f"{dist} requires {package}{req.specifier}")
    parts = ([extra] if extra else []) + sorted(set(blockers))
    return "; ".join(parts)


def inspect(python: Path) -> dict:
    """The environment's Python, distributions, their requirements and modules."""
    env = kernel_env(python)
    out = subprocess.run([str(python), "-c", INSPECT], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


# Import names of the evidence libraries whose distribution name differs.
IMPORT_NAMES = {
    "keras-hub": "keras_hub", "keras-nlp": "keras_nlp", "ai-edge-litert": "ai_edge_litert",
    "litert-torch": "litert_torch", "scikit-learn": "sklearn", "onnxruntime": "onnxruntime",
}  # fmt: skip


# What shows a library works with the release here, beyond importing: transformers imports on
# any torch but gives out stand-ins that raise on first use where the torch is too old for it.
# Its PyTorch models are the PyTorch side's evidence: a TensorFlow run, which judges TensorFlow's
# sides only, needs transformers to import, not its PyTorch models to work beside a torch the run
# holds back (torch 2.1 beside TensorFlow 2.12-2.13, too old for Transformers 5).
SMOKE = {
    "transformers": (
        "torch",
        "from transformers import BertConfig, BertModel\n"
        "BertModel(BertConfig(vocab_size=8, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,"
        " intermediate_size=8))",
    ),
}


def import_error(python: Path, lib: str, framework: str = "torch") -> str | None:
    """Why ``lib`` does not work in the environment of ``python`` (its last error line), or None
    when it imports (and passes its smoke test, ``SMOKE``, in a run of the framework the smoke
    test is for). torch is imported first, as the notebooks do."""
    module = IMPORT_NAMES.get(lib, lib.replace("-", "_"))
    side, smoke = SMOKE.get(lib, (None, ""))
    code = f"import torch\nimport {module}\n{smoke if side == framework else ''}"
    try:
        proc = subprocess.run(
            [str(python), "-c", code], capture_output=True, text=True, timeout=300, env=kernel_env(python),
            cwd=tempfile.gettempdir(),
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return "no answer within 300 s"
    if proc.returncode == 0:
        return None
    lines = [x for x in proc.stderr.strip().splitlines() if x.strip()]
    errors = [i for i, x in enumerate(lines) if re.match(r"^\w+(Error|Exception)\b", x)]
    if not errors:
        return (lines[-1] if lines else f"exit {proc.returncode}")[:400]
    line = lines[errors[-1]]
    if line.rstrip().endswith(("Error", "Error:")) and errors[-1] + 1 < len(lines):
        line = f"{line.rstrip(':')}: {lines[errors[-1] + 1].strip()}"  # the message on the next line
    return line[:400]
