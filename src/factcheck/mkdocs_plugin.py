"""The one file that knows MkDocs: it wires MkDocs' events to the pipeline in site.py and writes
the files the pipeline returns.

on_config        load sources (registry, notebooks, hygiene); register the shortcode extension;
                 add the executed notebooks to the nav; the Colab ref for the templates
on_pre_build     execute what the cache lacks; assemble the site (place claims, verify evidence)
on_files         publish the executed notebooks as pages (mkdocs-jupyter renders them)
on_page_*        the page's shortcode resolver; lean code blocks; search boosts; notebook-page
                 repairs (notebook_page.py); a description for notebook pages
on_post_build    write claims.json, badges, figures, social card, the fwbench wheel and
                 build/public-urls.txt; log the time each stage of the build took
"""

from __future__ import annotations

import logging
import posixpath
import time
from collections import defaultdict
from pathlib import Path

from mkdocs.config import config_options as opt
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File
from mkdocs.utils import get_relative_url

from . import search_rank
from . import site as pipeline
from .errors import FactcheckError
from .notebook_page import NotebookPageCache, tidy_notebook_page
from .notebook_page import notebook_links as _notebook_links
from .page_weight import lean_code
from .placement import scan_pages
from .project import Project
from .publish import Commit
from .shortcodes import ShortcodeExtension

log = logging.getLogger("mkdocs.plugins.factcheck")
# Material's per-page search weight (default 1). A notebook heading matches Material's title
# field, weighed 1,000 times more than text: only a large ratio puts the verdict first (a claim
# that names the words in its reason outranks a notebook heading that names them).
SECTION_SEARCH_BOOST = 100
NOTEBOOK_SEARCH_BOOST = 0.01


class FactcheckConfig(Config):
    execute = opt.Type(bool, default=True)
    """Run notebooks the cache lacks. Off: use whatever is already executed (fails if missing)."""
    jobs = opt.Type(int, default=2)
    """Notebooks executed in parallel."""
    notebooks_nav_title = opt.Type(str, default="Notebooks")
    sync_notebooks = opt.Type(bool, default=False)
    """Rewrite stale generated notebook cells before loading (`make serve`), instead of failing."""


class StageClock:
    """How long each stage of a build took, logged at its end (`make build` prints it)."""

    def __init__(self):
        self.stages: dict[str, float] = {}
        self._mark = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - self._mark
        self._mark = now

    def summary(self) -> str:
        total = sum(self.stages.values())
        parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.stages.items())
        return f"build stages: {parts}; total {total:.1f} s"


class FactcheckPlugin(BasePlugin[FactcheckConfig]):
    def __init__(self):
        self.sources: pipeline.Sources | None = None
        self.site: pipeline.Site | None = None
        self.resolve_on_page = None  # the resolver of the page being rendered
        self.clock = StageClock()
        self._files = []

    def _fail(self, exc: FactcheckError):
        raise PluginError(f"{type(exc).__name__}:\n{exc}") from None

    def on_config(self, config, **kwargs):
        self.clock = StageClock()
        project = Project.at(Path(config.config_file_path).parent)
        try:
            if self.config.sync_notebooks:
                from .support import sync_notebooks

                for rel in sync_notebooks(project):
                    log.info("Rewrote the generated cells of notebooks/%s", rel)
            self.sources = pipeline.load(project)
        except FactcheckError as exc:
            self._fail(exc)
        config.markdown_extensions.append(
            ShortcodeExtension(lambda kind, arg, stash: self.resolve_on_page(kind, arg, stash))
        )
        if config.nav is not None:
            config.nav.append({self.config.notebooks_nav_title: self._notebook_nav()})
        # The Colab button opens the source notebook at the commit this site was built from.
        config.extra["colab_ref"] = Commit.of(project.root).sha or config.extra.get("colab_branch", "main")
        self._sections = {s.id for s in self.sources.registry.sections}
        self.clock.lap("load claims and notebooks")
        return config

    def _notebook_nav(self) -> list:
        registry = self.sources.registry
        titles = {s.id: s.title for s in registry.sections}
        groups = defaultdict(list)
        for rel, source in self.sources.notebooks.items():
            groups[rel.split("/")[0]].append({source.title: f"notebooks/{rel}"})
        order = [s.id for s in registry.sections]
        keys = sorted(groups, key=lambda k: (order.index(k) if k in order else len(order), k))
        return [{titles.get(k, k.replace("-", " ").capitalize()): groups[k]} for k in keys]

    def on_pre_build(self, config, **kwargs):
        try:
            if self.config.execute:
                pipeline.execute(self.sources, jobs=self.config.jobs, progress=log.info).raise_for_failures()
            self.clock.lap("execute (what the cache lacks)")
            self.site = pipeline.assemble(
                self.sources,
                scan_pages(Path(config.docs_dir)),
                site_url=self.sources.project.published_url,
                repo_url=config.repo_url,
            )
            self.clock.lap("assemble and verify evidence")
        except FactcheckError as exc:
            self._fail(exc)

    @event_priority(100)  # before mkdocs-jupyter wraps notebook files
    def on_files(self, files, config, **kwargs):
        project = self.sources.project
        for rel in self.sources.notebooks:
            files.append(
                File(
                    f"notebooks/{rel}",
                    src_dir=str(project.executed_dir),
                    dest_dir=config.site_dir,
                    use_directory_urls=config.use_directory_urls,
                )
            )
        return files

    @event_priority(-100)  # after every plugin has added or replaced files
    def on_nav(self, nav, config, files, **kwargs):
        self._files = list(files)
        self.clock.lap("collect files and nav")
        return nav

    def on_page_markdown(self, markdown, page, **kwargs):
        self.resolve_on_page = self.site.resolver(page.file.src_uri, page.url)
        if "<!-- claim:" in markdown:
            # Claim pages need the width for two evidence columns; the header tabs navigate.
            page.meta.setdefault("hide", ["navigation"])
        return markdown

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
            return get_relative_url(target.url, page.url) + (f"#{fragment}" if fragment else "")

        url_dir = posixpath.dirname(page.url)
        figures: dict[str, bytes] = {}

        def figure(data: bytes, ext: str) -> str:
            name = self.site.figures.add(data, ext)
            figures[name] = data
            return posixpath.relpath(name, url_dir or ".")

        toc = [item.id for item in _flatten(page.toc)]
        links = {href: resolve(href) for href in _notebook_links(html)}
        cache = NotebookPageCache(self.sources.project.root / ".cache" / "notebook-pages")
        key = cache.key(html, toc, links, page.url, page.title)
        hit = cache.get(key)
        if hit is not None:
            tidied, cached_figures = hit
            for name, data in cached_figures.items():
                self.site.figures.add(data, name.rsplit(".", 1)[1])
            return tidied
        tidied = tidy_notebook_page(html, toc, lambda h: links[h] if h in links else resolve(h), figure, page.title)
        cache.put(key, tidied, figures)
        return tidied

    def on_page_context(self, context, page, config, **kwargs):
        """Notebook pages get their own description (section pages set one in front matter)."""
        if page.file.src_uri.endswith(".ipynb") and not page.meta.get("description"):
            claims = self.sources.registry.claims_for_notebook(page.file.src_uri.removeprefix("notebooks/"))
            page.meta["description"] = (
                f"Executed notebook, run by CI in TensorFlow and PyTorch: {page.title}. "
                f"Evidence for {len(claims)} claim{'s' if len(claims) != 1 else ''} of Framework Facts."
            )
        return context

    def on_post_build(self, config, **kwargs):
        self.clock.lap("render pages (MkDocs, Material, mkdocs-jupyter)")
        base = config.site_url or ""
        urls = {f.src_uri: f.url for f in self._files}
        for rel, content in self.site.files(lambda page: base + urls.get(page, page)).items():
            target = Path(config.site_dir, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        # After Material's search plugin (listed before this one) wrote the index.
        search_index = Path(config.site_dir, "search", "search_index.json")
        if search_index.is_file():
            search_rank.rewrite(search_index, {claim.id for claim in self.sources.registry})
        build_dir = Path(self.sources.project.root, "build")
        build_dir.mkdir(exist_ok=True)
        public = public_urls(self._files, self.site.placement.page_of, config.site_url or "/")
        (build_dir / "public-urls.txt").write_text("\n".join(public) + "\n")
        self.clock.lap("write claims.json, badges, figures, downloads")
        log.info("Wrote claims.json and badges for %d claims", len(self.sources.registry))
        log.info(self.clock.summary())


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
