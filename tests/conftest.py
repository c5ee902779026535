import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from builders import DemoProject  # noqa: E402


@pytest.fixture
def demo(tmp_path) -> DemoProject:
    """An empty demo project (sections file and lock file only)."""
    return DemoProject(tmp_path / "project")


@pytest.fixture(scope="session")
def site():
    """The real site, built once: every notebook executed (or from cache) and a strict build."""
    from site_build import run_build

    return run_build()
