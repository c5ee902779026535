"""What makes a page slow on a phone, counted from the built files (the same on every machine).

Lighthouse's performance score moves with the machine it runs on, so the tests do not gate on it
(``make lighthouse`` measures it). They gate on what decides it, read from the static site:

- elements the parser builds, and among them the elements laid out at load (everything outside
  the containers that ``content-visibility: auto`` lets the browser skip until they near the
  viewport: a panel's evidence, a notebook cell);
- bytes of HTML (gzipped, as GitHub Pages serves them), and of the JavaScript and CSS the page loads;
- bytes of JavaScript that runs while the page loads: the theme's bundle waits for the reader's
  first action (overrides/main.html holds it with a script type the browser does not run);
- requests that block the first paint (stylesheets, synchronous scripts in the head);
- inline SVG elements and images that load eagerly or without a reserved box.
"""

from __future__ import annotations

import gzip
import posixpath
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup

# Script types a browser runs; any other (JSON data, the theme's held bundle) is only text.
RUNNABLE = ("", "text/javascript", "application/javascript", "module")
# Containers the browser may skip while they are off screen (see panels.css).
SKIPPABLE = (".claim-panel", ".jupyter-wrapper .jp-Cell", ".version-matrix", ".claim-table")


@dataclass(frozen=True)
class PageWeight:
    page: str
    elements: int  # every element in the HTML
    laid_out_at_load: int  # elements outside the skippable containers
    html_gzip: int  # bytes
    js_bytes: int  # scripts the page loads (files, uncompressed) plus inline scripts
    js_bytes_at_load: int  # of those, the ones that run while the page loads (not held for later)
    css_bytes: int  # stylesheets the page loads plus inline styles
    render_blocking: int  # stylesheets without a non-matching media, and head scripts without defer/async
    inline_svg_elements: int  # elements inside inline <svg> in the content (icons included)
    largest_panel: int  # elements in the heaviest claim panel (0 on pages without panels)
    eager_images: int  # content images without loading="lazy", or without width and height


def _asset(site: Path, page_file: Path, ref: str, base_path: str) -> Path | None:
    ref = ref.split("#")[0].split("?")[0]
    if "://" in ref or ref.startswith("data:"):
        return None
    if ref.startswith("/"):
        ref = ref[len(base_path) :] if ref.startswith(base_path) else ref.lstrip("/")
        return site / ref
    return (page_file.parent / ref).resolve()


def measure(site: Path, page_file: Path, base_path: str = "/") -> PageWeight:
    raw = page_file.read_bytes()
    soup = BeautifulSoup(raw.decode("utf-8"), "html.parser")
    elements = soup.find_all(True)
    skipped = set()
    for selector in SKIPPABLE:
        for container in soup.select(selector):
            skipped.update(id(el) for el in container.find_all(True))
    js = js_at_load = css = blocking = 0
    head_scripts = soup.head.find_all("script") if soup.head else []
    for script in soup.find_all("script"):
        runs = script.get("type", "text/javascript") in RUNNABLE
        if script.get("src"):
            path = _asset(site, page_file, script["src"], base_path)
            size = path.stat().st_size if path and path.is_file() else 0
            deferred = script.has_attr("defer") or script.has_attr("async") or script.get("type") == "module"
            if script in head_scripts and not deferred and runs:
                blocking += 1
        else:
            size = len((script.string or "").encode())
        js += size
        js_at_load += size if runs else 0
    for link in soup.find_all("link", rel="stylesheet"):
        path = _asset(site, page_file, link["href"], base_path)
        css += path.stat().st_size if path and path.is_file() else 0
        if link.get("media", "all") in ("all", "screen", ""):
            blocking += 1
    css += sum(len((style.string or "").encode()) for style in soup.find_all("style"))
    content = soup.select_one(".md-content") or soup
    svg = sum(len(s.find_all(True)) + 1 for s in content.find_all("svg"))
    eager = sum(
        1
        for img in content.find_all("img")
        if img.get("loading") != "lazy" or not (img.get("width") and img.get("height"))
    )
    panels = [len(panel.find_all(True)) + 1 for panel in soup.select(".claim-panel")]
    return PageWeight(
        page=posixpath.relpath(page_file.parent.as_posix(), site.as_posix()),
        elements=len(elements),
        laid_out_at_load=sum(1 for el in elements if id(el) not in skipped),
        html_gzip=len(gzip.compress(raw, 9)),
        js_bytes=js,
        js_bytes_at_load=js_at_load,
        css_bytes=css,
        render_blocking=blocking,
        inline_svg_elements=svg,
        largest_panel=max(panels, default=0),
        eager_images=eager,
    )
