"""Scrub executed outputs of what varies by machine and run: build-machine paths, temporary folder
names, kernel process ids, memory addresses, TensorFlow's native log lines. The site, the cache
and the determinism comparison all see outputs through this one function."""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,16}\b")
_TEMP_NAME = re.compile(r"(\$TMPDIR/)tmp[\w-]{6,}")  # mkdtemp()'s default names
# Other per-run folder names: "…tmp…" and mkdtemp(prefix="matrix-torch-2.3-") names.
_OTHER_TEMP_NAME = re.compile(r"(\$TMPDIR/)[\w.-]*?tmp[\w-]{4,}|(\$TMPDIR/[\w.-]+?-)[a-z0-9_]{8}\b")
_KERNEL_PID = re.compile(r"\bipykernel_\d+\b")  # the kernel's code-cell files live under ipykernel_<pid>
# TensorFlow's C++ log lines (written before Python logging starts): timestamps and thread ids
# that change every run and say nothing about the claims.
_NATIVE_LOG = re.compile(
    r"^(?:[IWEF]\d{4} [\d:.]+\s+\d+ \S+:\d+\] .*|WARNING: All log messages before absl::InitializeLog\(\).*)\n?",
    re.MULTILINE,
)


def machine_paths(project_root: Path) -> list[tuple[str, str]]:
    """Build-machine paths that must not reach the site, longest first, with their stand-ins."""
    pairs = {
        sys.prefix: "$VENV",  # as the kernel sees it (a linked environment is not resolved there)
        str(Path(sys.prefix).resolve()): "$VENV",
        str(Path(sys.base_prefix).resolve()): "$PYTHON_HOME",
        str(Path(project_root).resolve()): "$REPO",
        str(Path(tempfile.gettempdir()).resolve()): "$TMPDIR",
        str(Path.home()): "$HOME",
    }
    return sorted(((k, v) for k, v in pairs.items() if len(k) > 1), key=lambda kv: -len(kv[0]))


def sanitize_text(text: str, paths: list[tuple[str, str]]) -> str:
    for path, stand_in in paths:
        # Only whole path components: "/tmp" must not eat the start of "/tmp_x1y2".
        text = re.sub(re.escape(path) + r"(?![\w.…-])", lambda _m, s=stand_in: s, text)
    text = _TEMP_NAME.sub(r"\1tmp…", text)  # mkdtemp() names differ on every run
    text = _OTHER_TEMP_NAME.sub(lambda m: (m.group(1) or m.group(2)) + "…", text)
    text = _KERNEL_PID.sub("ipykernel_…", text)
    return _ADDRESS.sub("0x…", text)


def sanitize_outputs(nb, paths: list[tuple[str, str]]) -> None:
    """Replace machine paths and memory addresses in text outputs (they vary per machine and run)."""
    for cell in nb.cells:
        outputs = cell.get("outputs", [])
        for output in outputs:
            if output.get("name") == "stderr":
                output["text"] = _NATIVE_LOG.sub("", output["text"])
            if "text" in output:
                output["text"] = sanitize_text(output["text"], paths)
            if output.get("output_type") == "error":
                output["traceback"] = [sanitize_text(line, paths) for line in output.get("traceback", [])]
            for mime in ("text/plain", "text/html"):
                if mime in output.get("data", {}):
                    output["data"][mime] = sanitize_text(output["data"][mime], paths)
        if outputs:
            cell["outputs"] = [o for o in outputs if not (o.get("name") == "stderr" and not o["text"].strip())]
