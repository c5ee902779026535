"""Which page shows which claim: computed once per build from the pages' shortcodes, as a value
(``Placement``) that the page resolver and the site-data writer both read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import PageError
from ..sources.registry import Registry
from .shortcodes import KINDS, find_shortcodes


def scan_pages(docs_dir: Path) -> dict[str, str]:
    """Markdown source of every page, keyed by its path relative to ``docs_dir``."""
    docs_dir = Path(docs_dir)
    return {p.relative_to(docs_dir).as_posix(): p.read_text(encoding="utf-8") for p in sorted(docs_dir.rglob("*.md"))}


@dataclass(frozen=True)
class Placement:
    """claim id -> the page (relative to docs/) that shows it, and the shortcodes of every page."""

    page_of: dict[str, str]
    kinds_on: dict[str, frozenset[str]] = field(default_factory=dict)  # page -> shortcode kinds used

    def __contains__(self, claim_id: str) -> bool:
        return claim_id in self.page_of

    def get(self, claim_id: str) -> str | None:
        return self.page_of.get(claim_id)

    def claims_on(self, page: str) -> list[str]:
        return [cid for cid, p in self.page_of.items() if p == page]

    def uses(self, kind: str) -> bool:
        return any(kind in kinds for kinds in self.kinds_on.values())


def place_claims(pages: dict[str, str], registry: Registry, known_values: set[str] | None = None) -> Placement:
    """Place every claim on exactly one page; fail on unknown ids, shortcodes or values, on a
    claim shown twice, and on a claim shown nowhere (each problem names page and line)."""
    page_of: dict[str, str] = {}
    kinds_on: dict[str, frozenset[str]] = {}
    problems = []
    for page, text in pages.items():
        codes = find_shortcodes(text)
        kinds_on[page] = frozenset(code.kind for code in codes)
        for code in codes:
            where = f"docs/{page}:{code.line}"
            kind = KINDS.get(code.kind)
            if kind is None:
                problems.append(f"{where}: unknown shortcode {code.kind!r}")
            elif kind.arg == "required" and not code.arg:
                problems.append(f"{where}: {code.kind} shortcode without an argument")
            elif code.kind == "claim":
                if code.arg not in registry:
                    problems.append(f"{where}: unknown claim id {code.arg!r}")
                elif code.arg in page_of:
                    problems.append(f"{where}: claim {code.arg!r} is already shown on docs/{page_of[code.arg]}")
                else:
                    page_of[code.arg] = page
            elif code.kind == "value" and known_values is not None and code.arg not in known_values:
                problems.append(f"{where}: no notebook recorded a value named {code.arg!r}")
    for claim in registry:
        if claim.id not in page_of:
            problems.append(
                f"{claim.file}: claim {claim.id!r} is shown on no page "
                f"(add '<!-- claim: {claim.id} -->' to docs/{claim.section.page})"
            )
    if problems:
        raise PageError("\n".join(problems))
    return Placement(page_of, kinds_on)


def claim_pages(pages: dict[str, str], registry: Registry, known_values: set[str] | None = None) -> dict[str, str]:
    """claim id -> page (the mapping alone)."""
    return place_claims(pages, registry, known_values).page_of


def notebook_nav(registry: Registry, notebooks: dict) -> list:
    """The Notebooks menu: each section's notebooks under the section's title, in section order
    (``notebooks``: relative path -> source notebook with a ``title``)."""
    titles = {s.id: s.title for s in registry.sections}
    groups: dict[str, list] = {}
    for rel, source in notebooks.items():
        groups.setdefault(rel.split("/")[0], []).append({source.title: f"notebooks/{rel}"})
    order = [s.id for s in registry.sections]
    keys = sorted(groups, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [{titles.get(k, k.replace("-", " ").capitalize()): groups[k]} for k in keys]


def public_urls(pages: dict[str, str], placed: dict[str, str], site_url: str) -> list[str]:
    """Every URL people may link to: each page (``pages``: source file -> URL), and each
    page#claim-id (sorted, one per line)."""
    urls = {src: site_url + url.removeprefix("./") for src, url in pages.items()}
    listed = set(urls.values())
    listed.update(f"{urls[page]}#{cid}" for cid, page in placed.items() if page in urls)
    return sorted(listed)


def nav_files(nav) -> list[str]:
    """Every page the nav lists, in order, looking inside nested sections (a section that spreads
    over several pages: ``Porting: [porting.md, porting/training.md]``)."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in nav_files(value)]
    if isinstance(nav, list):
        return [page for entry in nav for page in nav_files(entry)]
    return []


def nav_pages(nav: list | None, pages: dict[str, str]) -> tuple[tuple[str, str, str], ...]:
    """(title, page, description) of each top-level entry of the nav, a nested section by its
    first page (``pages``: Markdown source by path, whose front matter gives the description)."""
    import yaml

    out = []
    for entry in nav or []:
        if not isinstance(entry, dict):
            continue
        (title, value), *_ = entry.items()
        page = next(iter(nav_files(value)), None)
        if page is None or page not in pages:
            continue
        description = ""
        text = pages[page]
        if text.startswith("---\n"):
            meta = yaml.safe_load(text[4 : text.find("\n---", 4)]) or {}
            description = str(meta.get("description", ""))
        out.append((title, page, description))
    return tuple(out)
