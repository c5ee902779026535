"""The real site: strict build, links and anchors, search index, claims.json, provenance."""

from __future__ import annotations

import json
import posixpath
import re
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
from bs4 import BeautifulSoup
from builders import REPO

from factcheck import load_registry

pytestmark = pytest.mark.site
REGISTRY = load_registry(REPO / "claims", REPO / "notebooks")
SECTION_PAGES = [s.id for s in REGISTRY.sections]


def test_strict_build_logs_no_warning(site):
    assert "WARNING" not in site.build_log, site.build_log


@cache
def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _ids(path: Path) -> set[str]:
    soup = _soup(path)
    return {el["id"] for el in soup.find_all(id=True)} | {el["name"] for el in soup.find_all("a", attrs={"name": True})}


def _target(site, page: Path, ref: str) -> tuple[Path | None, str]:
    """Resolve a link found in ``page`` to (file in site/, fragment); None for external links."""
    url = urlparse(ref)
    if url.scheme in ("mailto", "data", "javascript"):
        return None, ""
    if url.scheme or url.netloc:
        if url.netloc != "framework-facts.github.io":
            return None, ""
        path = url.path
    elif url.path.startswith("/"):
        path = url.path
    else:
        page_url = "/" + page.relative_to(site.dir).as_posix()
        path = posixpath.normpath(posixpath.join(posixpath.dirname(page_url), url.path)) if url.path else page_url
        path = path + "/" if url.path.endswith("/") and not path.endswith("/") else path
        return _as_file(site.dir, path), unquote(url.fragment)
    if not path.startswith(site.base_path):
        return site.dir / "__outside_the_site__", ""
    return _as_file(site.dir, "/" + path[len(site.base_path) :]), unquote(url.fragment)


def _as_file(root: Path, path: str) -> Path:
    target = root / path.lstrip("/")
    if path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target


def test_every_internal_link_and_anchor_resolves(site):
    broken = []
    for page in sorted(site.dir.rglob("*.html")):
        soup = _soup(page)
        refs = [a.get("href") for a in soup.find_all(["a", "link"], href=True)]
        refs += [el.get("src") for el in soup.find_all(["img", "script"], src=True)]
        for ref in refs:
            target, fragment = _target(site, page, ref)
            if target is None:
                continue
            where = f"{page.relative_to(site.dir)} -> {ref}"
            if not target.is_file():
                broken.append(f"{where}: no such file")
            elif fragment and target.suffix == ".html" and fragment not in _ids(target):
                broken.append(f"{where}: no element with id {fragment!r}")
    assert not broken, "\n".join(broken[:40])


def _search_index(site) -> dict:
    return json.loads((site.dir / "search" / "search_index.json").read_text())


def test_search_index_finds_every_claim_by_its_words(site):
    text = " ".join(doc["title"] + " " + doc["text"] for doc in _search_index(site)["docs"])
    missing = [c.id for c in REGISTRY if c.claim.split(".")[0][:60] not in text]
    assert not missing


def _executed_stream_lines() -> set[str]:
    """Printed lines (24+ characters) that appear only in outputs: not in code, prose or claims."""
    lines = set()
    code = "".join(p.read_text() for p in [*(REPO / "docs").glob("*.md"), *(REPO / "claims").glob("*.yaml")])
    for path in (REPO / "build" / "executed" / "notebooks").rglob("*.ipynb"):
        nb = json.loads(path.read_text())
        code += "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        for cell in nb["cells"]:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream" and out.get("name") == "stdout":
                    text = "".join(out["text"]) if isinstance(out["text"], list) else out["text"]
                    lines.update(line.strip() for line in text.splitlines() if len(line.strip()) >= 24)
    return {line for line in lines if line not in code}


def test_search_index_holds_no_executed_output(site):
    index = json.dumps(_search_index(site)["docs"], ensure_ascii=False)
    index = re.sub(r"<[^>]+>", "", index)
    outputs = _executed_stream_lines()
    assert outputs, "expected executed notebooks with printed output"
    leaked = sorted(line for line in outputs if json.dumps(line, ensure_ascii=False)[1:-1] in index)
    assert not leaked, leaked[:10]


def test_search_index_stays_small(site):
    """The index holds prose and claims, not code, outputs or tables of claims (about 290 KB)."""
    size = (site.dir / "search" / "search_index.json").stat().st_size
    assert size <= 500_000, f"search index is {size} bytes"


def test_claims_json_lists_every_claim_with_a_resolvable_url(site):
    data = json.loads((site.dir / "claims.json").read_text())
    assert {c["id"] for c in data["claims"]} == {c.id for c in REGISTRY}
    assert sum(data["counts"].values()) == len(REGISTRY)
    for entry in data["claims"]:
        target, fragment = _target(site, site.dir / "index.html", entry["url"])  # the claim's own page
        assert target is not None and target.is_file() and not fragment, entry["url"]
        assert entry["id"] in target.parent.name, entry["url"]
        target, fragment = _target(site, site.dir / "index.html", entry["section_url"])  # its place in its section
        assert target is not None and target.is_file(), entry["section_url"]
        assert fragment == entry["id"] and fragment in _ids(target)
        for fw in ("tensorflow", "pytorch"):
            assert entry["evidence"][fw]["passed"] is True
            assert entry["evidence"][fw]["cells"][0]["execution_count"] >= 1
        assert entry["versions"]["tensorflow"] and entry["versions"]["torch"] and entry["verified_on"]


@pytest.mark.parametrize("section", SECTION_PAGES)
def test_section_page_ends_with_provenance_from_the_execution_record(site, section):
    assert REGISTRY.in_section(section), f"section {section!r} has no claims"
    html = site.page(section)
    # A run that crosses midnight gives a range of dates ("on 2026-11-25 to 2026-11-26").
    day = r"\d{4}-\d{2}-\d{2}"
    assert re.search(
        rf"Verified with TensorFlow 2\.\d+\.\d+, PyTorch 2\.\d+\.\d+, Python 3\.\d+\.\d+ on {day}(?: to {day})?, ", html
    )


@cache
def _placed() -> dict:
    from factcheck.pages.placement import claim_pages, scan_pages

    return claim_pages(scan_pages(REPO / "docs"), REGISTRY)


def test_every_claim_panel_has_its_anchor_badge_and_both_frameworks(site):
    for cid, page in _placed().items():
        soup = _soup(site.dir / page.removesuffix(".md") / "index.html")
        heading = soup.find(id=cid)
        assert heading is not None and heading.name == "h3", cid
        panel = heading.find_next_sibling("div", class_="claim-panel")
        assert panel["data-claim"] == cid
        assert panel.select_one(".verdict-badge")
        labels = [label.get_text(strip=True) for label in panel.select(".claim-evidence .fw-switch label")]
        assert labels == ["TensorFlow", "PyTorch"], cid
        assert len(panel.select(".nb-outputs")) >= 2


def test_every_heading_has_an_explicit_id():
    missing = []
    for page in sorted((REPO / "docs").glob("*.md")):
        in_fence = False
        for number, line in enumerate(page.read_text().splitlines(), start=1):
            if line.startswith("```"):
                in_fence = not in_fence
            if not in_fence and re.match(r"#{1,6} ", line) and not re.search(r"\{ #[a-z0-9-]+[^}]*\}\s*$", line):
                missing.append(f"docs/{page.name}:{number}: {line}")
    assert not missing, "headings need an explicit id, e.g. '## TensorFlow { #paradigm-tensorflow }':\n" + "\n".join(
        missing
    )


def test_notebook_pages_link_the_executed_download_and_colab(site):
    from factcheck.publish.banner import Commit

    commit = Commit.of(REPO).sha
    pages = sorted((site.dir / "notebooks").glob("*/*/index.html"))
    assert pages
    for page in pages:
        soup = _soup(page)
        download = soup.select_one(".nb-actions a[download]")
        assert "/" not in download["href"], f"{page}: a relative link to the file next to the page"
        target, _ = _target(site, page, download["href"])
        executed = json.loads(target.read_text())
        assert any(cell.get("outputs") for cell in executed["cells"]), f"{target} is not the executed notebook"
        colab = soup.select_one('.nb-actions a[href^="https://colab.research.google.com/github/"]')
        ref, source = colab["href"].split("/blob/")[1].split("/", 1)
        assert ref == commit, f"Colab opens the source at the commit the site was built from, not {ref}"
        assert (REPO / source).is_file(), colab["href"]


def test_the_site_works_at_any_base_path(site):
    """Served under another path (a mirror, a PR preview), every relative link and asset of a
    section page and a notebook page, downloads included, still loads."""
    import urllib.request

    from site_server import SiteServer

    broken = []
    with SiteServer(site.dir, "/some/mirror/") as base:
        for rel in ("paradigm/", "notebooks/paradigm/eager-and-graphs/"):
            page = site.dir / rel / "index.html"
            soup = _soup(page)
            refs = [a["href"] for a in soup.select(".md-content a[href], .nb-actions a[href]")]
            refs += [el["src"] for el in soup.find_all(["img", "script"], src=True)]
            refs += [link["href"] for link in soup.find_all("link", rel="stylesheet")]
            for ref in refs:
                if "://" in ref or ref.startswith(("#", "mailto:", "data:")):
                    continue
                url = urljoin(base + rel, ref.split("#")[0])
                try:
                    urllib.request.urlopen(url, timeout=10).read(1)
                except Exception as exc:  # noqa: BLE001 (any failure is a broken link)
                    broken.append(f"{rel} -> {ref}: {exc}")
    assert not broken, "\n".join(broken[:20])


def test_every_listed_public_url_still_resolves(site):
    listed = [line for line in (REPO / "public-urls.txt").read_text().splitlines() if line.strip()]
    dead = []
    for url in listed:
        target, fragment = _target(site, site.dir / "index.html", url)
        if target is None or not target.is_file() or (fragment and fragment not in _ids(target)):
            dead.append(url)
    assert not dead, "public URLs that no longer resolve (add a redirect in mkdocs.yml):\n" + "\n".join(dead)


def test_public_url_list_is_up_to_date(site):
    listed = set((REPO / "public-urls.txt").read_text().split())
    built = set((REPO / "build" / "public-urls.txt").read_text().split())
    new = sorted(built - listed)
    assert not new, "new public URLs: run 'make urls' and commit public-urls.txt:\n" + "\n".join(new)


def test_every_claim_has_a_badge_and_a_shields_endpoint(site):
    for claim in REGISTRY:
        svg = (site.dir / "badges" / f"{claim.id}.svg").read_text()
        assert f"{claim.id}: " in svg and claim.verdict in svg
        endpoint = json.loads((site.dir / "badges" / f"{claim.id}.json").read_text())
        assert endpoint["schemaVersion"] == 1 and endpoint["message"] == claim.verdict


def test_built_site_holds_no_machine_paths_addresses_or_tracebacks(site):
    import os

    patterns = {
        "machine path": re.compile(r"(/work/|/root/|/home/\w+/|/tmp/|/\.venv/)"),
        "memory address": re.compile(r"\b0x[0-9a-f]{8,16}\b"),
        "traceback": re.compile(r"Traceback \(most recent call last\)"),
        "user name": re.compile(re.escape("/" + os.environ.get("USER", "root") + "/")),
    }
    found = []
    for path in sorted(site.dir.rglob("*")):
        if path.suffix not in (".html", ".json", ".ipynb", ".txt") or "assets" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for what, pattern in patterns.items():
            m = pattern.search(text)
            if m:
                found.append(f"{path.relative_to(site.dir)}: {what} {text[max(0, m.start() - 40) : m.end() + 40]!r}")
    assert not found, "\n".join(found[:20])


def test_every_page_has_its_own_description_and_link_preview_tags(site):
    descriptions, problems = {}, []
    for path in sorted(site.dir.rglob("index.html")):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        if soup.find("meta", attrs={"http-equiv": "refresh"}):
            continue  # a redirect stub left for a moved page
        rel = str(path.relative_to(site.dir))

        def meta(key, soup=soup):
            tag = soup.find("meta", attrs={"property": key}) or soup.find("meta", attrs={"name": key})
            return tag["content"] if tag else None

        for key in ("description", "og:title", "og:description", "og:image", "og:url", "twitter:card"):
            if not meta(key):
                problems.append(f"{rel}: no {key}")
        canonical = soup.find("link", rel="canonical")
        if canonical and meta("og:url") != canonical["href"]:
            problems.append(f"{rel}: og:url {meta('og:url')} is not the canonical URL {canonical['href']}")
        descriptions.setdefault(meta("description"), []).append(rel)
    card = site.dir / "assets" / "social-card.png"
    assert card.is_file() and card.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "the social card is missing"
    shared = {d: pages for d, pages in descriptions.items() if len(pages) > 1}
    assert not problems, "\n".join(problems)
    assert not shared, f"pages sharing one description: {shared}"
