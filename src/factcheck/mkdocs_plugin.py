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
import time
from pathlib import Path

from mkdocs.config import config_options as opt
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, InclusionLevel
from mkdocs.utils import get_relative_url

from . import site as pipeline
from .errors import FactcheckError
from .pages import search_rank
from .pages.notebook_page import notebook_description, notebook_page
from .pages.page_weight import lean_code, search_meta
from .pages.placement import nav_files, nav_pages, notebook_nav, public_urls, scan_pages
from .pages.shortcodes import ShortcodeExtension
from .project import Project
from .publish.banner import Commit

log = logging.getLogger("mkdocs.plugins.factcheck")


class FactcheckConfig(Config):
    execute = opt.Type(bool, default=True)
    """Run notebooks the cache lacks. Off: publish only what the cache holds (fails if one is missing)."""
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
        self._nav: list = []
        self._nav_pages: set = set()

    def _fail(self, exc: FactcheckError):
        raise PluginError(f"{type(exc).__name__}:\n{exc}") from None

    def on_config(self, config, **kwargs):
        self.clock = StageClock()
        project = Project.at(Path(config.config_file_path).parent)
        try:
            if self.config.sync_notebooks:
                from .sources.support import sync_notebooks

                for rel in sync_notebooks(project):
                    log.info("Rewrote the generated cells of notebooks/%s", rel)
            self.sources = pipeline.load(project)
        except FactcheckError as exc:
            self._fail(exc)
        config.markdown_extensions.append(
            ShortcodeExtension(lambda kind, arg, stash: self.resolve_on_page(kind, arg, stash))
        )
        self._nav = list(config.nav or [])  # the pages as the site's author listed them
        self._nav_pages = set(nav_files(self._nav))
        if config.nav is not None:
            config.nav.append(
                {self.config.notebooks_nav_title: notebook_nav(self.sources.registry, self.sources.notebooks)}
            )
        # The Colab button opens the source notebook at the commit this site was built from.
        config.extra["colab_ref"] = Commit.of(project.root).sha or config.extra.get("colab_branch", "main")
        self._sections = {s.id for s in self.sources.registry.sections}
        self.clock.lap("load claims and notebooks")
        return config

    def on_pre_build(self, config, **kwargs):
        try:
            report = pipeline.execute(self.sources, jobs=self.config.jobs, progress=log.info, run=self.config.execute)
            report.raise_for_failures()
            self.clock.lap("execute (what the cache lacks)")
            pages = scan_pages(Path(config.docs_dir))
            self.site = pipeline.assemble(
                self.sources,
                report,
                pages,
                config.repo_url,
                nav=nav_pages(self._nav, pages),
                site_url=self.sources.project.published_url,
            )
            self.clock.lap("assemble and verify evidence")
        except FactcheckError as exc:
            self._fail(exc)

    @event_priority(100)  # before mkdocs-jupyter wraps notebook files
    def on_files(self, files, config, **kwargs):
        for src_uri, content in self.site.generated_pages().items():  # a page per claim, and their index
            # Claim pages are reached from their claims, not from the menu; their index is in the nav.
            inclusion = InclusionLevel.INCLUDED if src_uri in self._nav_pages else InclusionLevel.NOT_IN_NAV
            files.append(File.generated(config, src_uri, content=content, inclusion=inclusion))
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
        # every page that shows claims ranks as a section page (the porting section spans two)
        claim_pages_ = self._sections | {p.removesuffix(".md") for p in self.site.placement.page_of.values()}
        page.meta.setdefault("search", {}).update(search_meta(page.file.src_uri, claim_pages_, page.meta))
        if not page.file.src_uri.endswith(".ipynb"):
            return html

        def url_of(path: str) -> str | None:
            target = files.get_file_from_path(path)
            return None if target is None else get_relative_url(target.url, page.url)

        toc = [item.id for item in _flatten(page.toc)]
        cache = self.sources.project.root / ".cache" / "notebook-pages"
        return notebook_page(html, page.file.src_uri, page.url, page.title, toc, url_of, self.site.figures, cache)

    def on_page_context(self, context, page, config, **kwargs):
        """Notebook pages get their own description (section pages set one in front matter)."""
        if page.file.src_uri.endswith(".ipynb") and not page.meta.get("description"):
            claims = self.sources.registry.claims_for_notebook(page.file.src_uri.removeprefix("notebooks/"))
            page.meta["description"] = notebook_description(page.title, len(claims))
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
        pages = {f.src_uri: f.url for f in self._files if f.is_documentation_page()}
        public = public_urls(pages, self.site.placement.page_of, config.site_url or "/")
        (build_dir / "public-urls.txt").write_text("\n".join(public) + "\n")
        self.clock.lap("write claims.json, badges, figures, downloads")
        log.info("Wrote claims.json and badges for %d claims", len(self.sources.registry))
        log.info(self.clock.summary())


def _flatten(toc):
    for item in toc:
        yield item
        yield from _flatten(item.children)
