import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from builders import DemoProject, executed_cases  # noqa: E402


@pytest.fixture
def demo(tmp_path) -> DemoProject:
    """An empty demo project (sections file and lock file only)."""
    return DemoProject(tmp_path / "project")


@pytest.fixture(scope="session")
def site():
    """The real site, built once: every notebook executed (or from cache) and a strict build."""
    from site_build import run_build

    return run_build()


@pytest.fixture(scope="session")
def base_url(site):
    """The built site served on loopback under its site_url path, gzipped like GitHub Pages."""
    from site_server import SiteServer

    with SiteServer(site.dir, site.base_path) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright (its own browser downloads fail here)."""
    import shutil

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.fail("Debian's chromium is not installed: run 'make browser' (the test command does)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Fixture notebooks (builders.CASES ...) executed for real by the matrix's worker."""
    return executed_cases(tmp_path_factory.mktemp("matrix") / "project")
