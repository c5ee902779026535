"""The one file that knows MkDocs: wires the engine into a build.

on_config      load and check the registry; register the shortcode Markdown extension;
               add the executed notebooks to the nav
on_pre_build   execute what the cache lacks; check pages against the registry; check that
               every claim's evidence ran and asserts (all before site/ is touched)
on_files       publish the executed notebooks as pages (mkdocs-jupyter renders them)
on_page_*      tell the resolver which page it is on; keep notebook outputs out of search
on_page_context  a description for notebook pages (the preview tags sit in overrides/main.html)
on_post_build  write site/claims.json, the verdict badges (site/badges/<id>.svg|json), the
               social card (site/assets/social-card.png) and build/public-urls.txt (every
               page and claim URL; `make urls` commits it)
"""

from __future__ import annotations

import html
import json
import logging
import posixpath
from collections import defaultdict
from pathlib import Path

from bs4 import BeautifulSoup
from mkdocs.config import config_options as opt
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File
from mkdocs.utils import get_relative_url

from .engine import Engine
from .errors import FactcheckError
from .notebook_css import classes_in, purge_css, take_page_styles
from .notebooks import find_notebooks, read_notebook
from .page_weight import decode_data_uri, lean_code, png_size, svg_size
from .pages import scan_pages
from .project import Project
from .publish import Commit, build_wheel, fwbench_version, wheel_name
from .shortcodes import ShortcodeExtension
from .social import social_card_png

log = logging.getLogger("mkdocs.plugins.factcheck")
SOCIAL_CARD = "assets/social-card.png"  # drawn at build time; overrides/main.html links it
SECTION_SEARCH_BOOST = 100  # Material's per-page search weight (default 1); a notebook heading matches its
# title field, which Material weighs 1,000 times more than text: only a large ratio puts the verdict first
NOTEBOOK_SEARCH_BOOST = 0.1


class FactcheckConfig(Config):
    execute = opt.Type(bool, default=True)
    """Run notebooks the cache lacks. Off: use whatever is already executed (fails if missing)."""
    jobs = opt.Type(int, default=2)
    """Notebooks executed in parallel."""
    notebooks_nav_title = opt.Type(str, default="Notebooks")


def _notebook_title(path: Path) -> str:
    for cell in read_notebook(path).cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


class FactcheckPlugin(BasePlugin[FactcheckConfig]):
    def __init__(self):
        self.engine: Engine | None = None
        self.resolve_on_page = None  # the engine's shortcode resolver for the page being rendered

    def _fail(self, exc: FactcheckError):
        raise PluginError(f"{type(exc).__name__}:\n{exc}") from None

    def on_config(self, config, **kwargs):
        project = Project.at(Path(config.config_file_path).parent)
        try:
            self.engine = Engine(project, jobs=self.config.jobs, progress=log.info, repo_url=config.repo_url)
        except FactcheckError as exc:
            self._fail(exc)

        def resolve(kind, arg, stash):
            return self.resolve_on_page(kind, arg, stash)

        config.markdown_extensions.append(ShortcodeExtension(resolve))
        self._sections = {s.id for s in self.engine.registry.sections}
        if config.nav is not None:
            config.nav.append({self.config.notebooks_nav_title: self._notebook_nav(project)})
        # The Colab button opens the source notebook at the commit this site was built from.
        config.extra["colab_ref"] = Commit.of(project.root).sha or config.extra.get("colab_branch", "main")
        return config

    def _notebook_nav(self, project: Project) -> list:
        titles = {s.id: s.title for s in self.engine.registry.sections}
        groups = defaultdict(list)
        for path in find_notebooks(project.notebooks_dir):
            rel = project.rel_notebook(path)
            groups[rel.split("/")[0]].append({_notebook_title(path): f"notebooks/{rel}"})
        order = [s.id for s in self.engine.registry.sections]
        keys = sorted(groups, key=lambda k: (order.index(k) if k in order else len(order), k))
        return [{titles.get(k, k.replace("-", " ").capitalize()): groups[k]} for k in keys]

    def on_pre_build(self, config, **kwargs):
        try:
            if self.config.execute:
                self.engine.execute()
            self.engine.publish(self.engine.project.published_url)
            self.engine.check_pages(scan_pages(Path(config.docs_dir)))
            self.engine.verify_evidence()
        except FactcheckError as exc:
            self._fail(exc)

    @event_priority(100)  # before mkdocs-jupyter wraps notebook files
    def on_files(self, files, config, **kwargs):
        project = self.engine.project
        for path in find_notebooks(project.notebooks_dir):
            rel = project.rel_notebook(path)
            files.append(
                File(
                    f"notebooks/{rel}",
                    src_dir=str(project.executed_dir),
                    dest_dir=config.site_dir,
                    use_directory_urls=config.use_directory_urls,
                )
            )
        return files

    def on_page_markdown(self, markdown, page, **kwargs):
        self.resolve_on_page = self.engine.resolver(page.file.src_uri, page.url)
        if "<!-- claim:" in markdown:
            # Claim pages need the width for two evidence columns; the header tabs navigate.
            page.meta.setdefault("hide", ["navigation"])
        return markdown

    def on_page_context(self, context, page, config, **kwargs):
        """Notebook pages get their own description (section pages set one in front matter)."""
        if page.file.src_uri.endswith(".ipynb") and not page.meta.get("description"):
            rel = page.file.src_uri.removeprefix("notebooks/")
            claims = self.engine.registry.claims_for_notebook(rel)
            page.meta["description"] = (
                f"Executed notebook, run by CI in TensorFlow and PyTorch: {page.title}. "
                f"Evidence for {len(claims)} claim{'s' if len(claims) != 1 else ''} of Framework Facts."
            )
        return context

    def on_page_content(self, html, page, files, **kwargs):
        html = lean_code(html)
        # Search lands on the verdict: a section page ranks above the notebooks that hold its
        # evidence (Material's per-page boost; set here, before its search plugin reads the page).
        if page.file.src_uri.removesuffix(".md") in self._sections:
            page.meta.setdefault("search", {}).setdefault("boost", SECTION_SEARCH_BOOST)
        if not page.file.src_uri.endswith(".ipynb"):
            return html
        page.meta.setdefault("search", {}).setdefault("boost", NOTEBOOK_SEARCH_BOOST)
        here = posixpath.dirname(page.file.src_uri)

        def resolve(href: str) -> str | None:
            path, _, fragment = href.partition("#")
            target = files.get_file_from_path(posixpath.normpath(posixpath.join(here, path)))
            if target is None:
                return None
            url = get_relative_url(target.url, page.url)
            return url + (f"#{fragment}" if fragment else "")

        url_dir = posixpath.dirname(page.url)

        def figure(data: bytes, ext: str) -> str:
            return posixpath.relpath(self.engine.figures.add(data, ext), url_dir or ".")

        return tidy_notebook_page(html, [item.id for item in _flatten(page.toc)], resolve, figure, page.title)

    def on_post_build(self, config, **kwargs):
        base = config.site_url or ""
        urls = {f.src_uri: f.url for f in self._files} if getattr(self, "_files", None) else {}

        def url_of(page: str) -> str:
            return base + urls.get(page, page)

        data = self.engine.claims_json(url_of)
        Path(config.site_dir, "claims.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        public = public_urls(self._files, self.engine.placed, config.site_url or "/")
        Path(self.engine.project.root, "build").mkdir(exist_ok=True)
        Path(self.engine.project.root, "build", "public-urls.txt").write_text("\n".join(public) + "\n")
        for rel, text in self.engine.badges().items():
            target = Path(config.site_dir, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        for rel, content in self.engine.figures.files().items():
            target = Path(config.site_dir, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        # The benchmark notebooks' package, installable from the site (their Colab cell names it).
        version = fwbench_version(self.engine.project.fwbench_dir)
        wheel = Path(config.site_dir, "downloads", wheel_name(version))
        wheel.parent.mkdir(parents=True, exist_ok=True)
        wheel.write_bytes(build_wheel(self.engine.project.fwbench_dir, version))
        card = Path(config.site_dir, SOCIAL_CARD)
        card.parent.mkdir(parents=True, exist_ok=True)
        card.write_bytes(social_card_png(data["counts"], "TensorFlow vs PyTorch, fact-checked in both frameworks"))
        log.info("Wrote claims.json and badges for %d claims", len(data["claims"]))

    @event_priority(-100)  # after every plugin has added or replaced files
    def on_nav(self, nav, config, files, **kwargs):
        self._files = list(files)
        return nav


def public_urls(files, placed: dict[str, str], site_url: str) -> list[str]:
    """Every URL people may link to: each page, and each page#claim-id (sorted, one per line)."""
    urls = {f.src_uri: site_url + f.url.removeprefix("./") for f in files if f.is_documentation_page()}
    listed = set(urls.values())
    listed.update(f"{urls[page]}#{cid}" for cid, page in placed.items() if page in urls)
    return sorted(listed)


def _flatten(toc):
    for item in toc:
        yield item
        yield from _flatten(item.children)


def tidy_notebook_page(html: str, toc_ids: list[str], resolve, figure=None, title: str = "this notebook") -> str:
    """Fix what mkdocs-jupyter leaves broken on a notebook page.

    - Heading ids: nbconvert derives them differently from the TOC (which drops inline code
      and de-duplicates), so TOC links miss; headings get the TOC's ids, matched in order.
    - Links written in notebook Markdown (``other.ipynb``, ``../page.md``) are not rewritten;
      ``resolve`` maps them to the page's URL.
    - Outputs and the hidden copy of each code cell are kept out of the search index.
    - The empty-src MathJax script nbconvert adds is dropped.
    - Code and output blocks, which scroll sideways, become reachable by keyboard.
    - The inlined JupyterLab CSS shrinks to the rules this page uses (see notebook_css).
    - Figures (base64 images in the page) become files loaded lazily, with a real alt text.
    """
    soup = BeautifulSoup(html, "html.parser")
    headings = [
        h
        for h in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])
        if h.get("id") and not h.find_parent(class_="jp-OutputArea")
    ]
    if len(headings) == len(toc_ids):
        for heading, new_id in zip(headings, toc_ids, strict=True):
            old = heading["id"]
            heading["id"] = new_id
            for link in soup.find_all("a", href=f"#{old}"):
                link["href"] = f"#{new_id}"
    for link in soup.find_all("a", href=True):
        href = link["href"]
        if "://" not in href and not href.startswith(("#", "/", "mailto:")):
            path = href.partition("#")[0]
            if path.endswith((".ipynb", ".md")):
                resolved = resolve(href)
                if resolved:
                    link["href"] = resolved
    # nbconvert emits a MathJax loader with an empty src (no MathJax URL configured): a
    # pointless request for the page itself.
    for script in soup.find_all("script", src=""):
        script.decompose()
    # nbconvert's MathJax configuration (no MathJax is loaded) and Mermaid loader (it would fetch
    # mermaid from a CDN on DOMContentLoaded): dead weight unless the page holds math or a diagram.
    if not soup.select(".jp-Mermaid"):
        for script in soup.find_all("script", type="module"):
            if "mermaid" in (script.string or ""):
                script.decompose()
    for script in soup.find_all("script", type="text/x-mathjax-config"):
        script.decompose()
    if figure is not None:
        _figures_to_files(soup, figure, title)
    _fold_generated_cells(soup)
    # nbconvert's copy button draws two inline SVG icons per code cell; panels.css draws the
    # button from text instead (a dozen fewer elements per cell).
    for icon in soup.select("clipboard-copy svg"):
        icon.decompose()
    for block in soup.select("div.highlight-ipynb, div.jp-OutputArea-output pre"):
        block["tabindex"] = "0"
    _exclude_outputs_from_search(soup)
    css = take_page_styles(soup)
    if css:
        style = soup.new_tag("style")
        style.string = purge_css(css, classes_in(tag["class"] for tag in soup.find_all(class_=True)))
        soup.insert(0, style)
    return str(soup)


def _fold_generated_cells(soup) -> None:
    """The support and embedded-data cells (see support.py) are plumbing for readers who run the
    notebook elsewhere: on the page they fold into one line, their code shown plainly when opened."""
    import re

    for tag, what in (("support", "the helpers this notebook calls"), ("embedded-data", "the data files it reads")):
        for block in soup.select(f"div.jp-Cell.celltag_{tag} div.highlight-ipynb"):
            text = block.get_text()
            files = re.findall(r'^    "([\w./-]+)": ', text, re.M)
            detail = f"{what}: {', '.join(files)}" if files else what
            lines = f"{len(text.splitlines())} lines"
            if tag == "embedded-data":  # the data is in the repository and in the download
                markup = (
                    f'<p class="nb-generated">Generated by <code>make notebooks</code>: {html.escape(detail)}, '
                    f"embedded ({lines}; in the downloaded notebook).</p>"
                )
            else:
                markup = (
                    '<details class="nb-generated"><summary>Generated by <code>make notebooks</code>: '
                    f"{html.escape(detail)} ({lines})</summary>"
                    f'<pre class="nb-generated-source" tabindex="0">{html.escape(text)}</pre></details>'
                )
            folded = BeautifulSoup(markup, "html.parser")
            block.replace_with(folded)


def _figures_to_files(soup, figure, title: str) -> None:
    for number, img in enumerate(soup.select("div.jp-OutputArea img"), start=1):
        if not img["src"].startswith("data:image/"):
            if not img.get("alt"):
                img["alt"] = f"Figure {number} of the notebook {title}"
            continue
        decoded = decode_data_uri(img["src"])
        if decoded is None:
            continue
        data, ext = decoded
        img["src"] = figure(data, ext)
        size = svg_size(data.decode()) if ext == "svg" else png_size(data)
        if size:
            img["width"], img["height"] = str(size[0]), str(size[1])
        img["loading"], img["decoding"] = "lazy", "async"
        if not img.get("alt") or img["alt"].startswith("No description"):
            img["alt"] = f"Figure {number} of the notebook {title}"


def _exclude_outputs_from_search(soup) -> None:
    """Wrap each notebook output area, and the hidden copy of each code cell, in a
    ``<section data-search-exclude>``: Material's search skips them (it tracks exclusion by
    tag name, so the attribute has to sit on a tag the content does not nest)."""
    for div in soup.select("div.jp-OutputArea, div.clipboard-copy-txt"):
        wrapper = soup.new_tag("section")
        wrapper["data-search-exclude"] = ""
        wrapper["class"] = "nb-search-excluded"
        div.wrap(wrapper)
