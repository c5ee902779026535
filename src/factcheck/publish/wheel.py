"""The fwbench package as a pure-Python wheel, for the benchmark notebooks: the site publishes it
under downloads/, a notebook's Colab cell installs it, and the executor gives it to the notebooks
that import fwbench, as a reader who installed it would have it."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from pathlib import Path

# -- fwbench as a wheel --------------------------------------------------------------------------

_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same sources give the same bytes


def fwbench_version(package_dir: Path, base: str = "0.1.0") -> str:
    """``0.1.0+g<hash>``: the hash of the package's sources, so the Colab cell of a benchmark
    notebook names exactly the wheel built from the code it was verified with."""
    h = hashlib.sha256()
    for path in sorted(Path(package_dir).rglob("*.py")):
        h.update(path.relative_to(package_dir).as_posix().encode() + b"\0" + path.read_bytes())
    return f"{base}+g{h.hexdigest()[:10]}"


def wheel_name(version: str) -> str:
    return f"fwbench-{version}-py3-none-any.whl"


def build_wheel(package_dir: Path, version: str) -> bytes:
    """A pure-Python wheel of the fwbench package (``package_dir`` is src/fwbench)."""
    package_dir = Path(package_dir)
    dist_info = f"fwbench-{version}.dist-info"
    files: list[tuple[str, bytes]] = [
        (f"fwbench/{p.relative_to(package_dir).as_posix()}", p.read_bytes()) for p in sorted(package_dir.rglob("*.py"))
    ]
    files.append(
        (
            f"{dist_info}/METADATA",
            (
                "Metadata-Version: 2.1\nName: fwbench\n"
                f"Version: {version}\n"
                "Summary: Framework Facts' TensorFlow vs PyTorch CPU benchmark (parity first, then timing)\n"
                "Requires-Python: >=3.11\nRequires-Dist: numpy\nRequires-Dist: psutil\n"
            ).encode(),
        )
    )
    files.append(
        (f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: factcheck\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    )
    files.append((f"{dist_info}/top_level.txt", b"fwbench\n"))
    record = []
    for name, data in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    files.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            wheel.writestr(info, data)
    return buffer.getvalue()
