"""Shortcodes in page Markdown, written as HTML comments so they stay invisible on GitHub.

``KINDS`` is the one table of shortcode kinds: the parser, the page checks (placement.py) and
the resolver (site.py) all read it. A block shortcode sits on a line of its own and becomes
Markdown blocks; an inline one is replaced inside its line.

    <!-- claim: paradigm-tf-static-graph -->   a claim panel
    <!-- value: tiny-op-ratio -->              a figure recorded by a notebook cell
    <!-- provenance -->                        the "Verified with ..." line for this page

``ShortcodeExtension`` is a plain Python-Markdown extension: it asks a resolver for the
Markdown of each shortcode, so it works with any site generator that uses Python-Markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown import Extension
from markdown.preprocessors import Preprocessor


@dataclass(frozen=True)
class Kind:
    name: str
    block: bool  # a line of its own, replaced by Markdown blocks; else replaced inline
    arg: str  # "required" | "none" | "optional"
    doc: str


KINDS = {
    k.name: k
    for k in (
        Kind("claim", True, "required", "the panel of one claim (its id)"),
        Kind("provenance", True, "none", "'Verified with TensorFlow x, PyTorch y ...' for the page's notebooks"),
        Kind("scoreboard", True, "none", "every claim with its section and verdict, and the counts"),
        Kind("outdated-claims", True, "none", "the claims judged outdated, each with its newest source"),
        Kind("decision-guide", True, "none", "data/decision-guide.yaml as a table"),
        Kind(
            "differences-table", True, "none", "the claims of the page's sections that carry a 'difference', as a table"
        ),
        Kind("differences-checklist", True, "none", "the same rows as a checklist: inference first, then training"),
        Kind("module-source", True, "required", "a module the notebooks embed (its path), shown as code, downloadable"),
        Kind("version-matrix", True, "none", "every claim's outcome on every tested release, by section"),
        Kind("version-runs", True, "none", "the version-matrix runs: versions, dates, libraries left out"),
        Kind("claim-page", True, "required", "a claim's own page: context, panel, every release, changes, citing"),
        Kind("claim-index", True, "none", "every claim by group and verdict, each linking to its page"),
        Kind("verdict-summary", True, "required", "the verdict counts of 'article' or 'beyond', linking to the lists"),
        Kind("highlights", True, "none", "the verdicts that surprise most (data/home.yaml), one line each"),
        Kind("section-list", True, "none", "the site's sections from the nav, with their descriptions"),
        Kind("decision-short", True, "none", "the decision guide's short answer: each need and its pick"),
        Kind("changes", True, "none", "every change of a verdict or of its evidence (data/changes.yaml)"),
        Kind("value", False, "required", "a value a notebook cell recorded (its name)"),
        Kind("releases-checked", False, "none", "the releases the version matrix checked, and when evidence last ran"),
        Kind("claim-count", False, "optional", "how many claims the registry holds (of 'article' or 'beyond')"),
        Kind("verdict-count", False, "required", "how many claims have this verdict"),
    )
}
SHORTCODE = re.compile(r"<!--\s*(?P<kind>[a-z][a-z-]*)(?::\s*(?P<arg>[^\s>]+))?\s*-->")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Shortcode:
    kind: str
    arg: str | None
    line: int  # 1-based


def _looks_like_ours(kind: str) -> bool:
    """A known kind, or a misspelt one (``claims:``), never an ordinary HTML comment."""
    return kind in KINDS or kind.startswith("claim")


def lines_outside_fences(lines):
    """(line, is it prose?) for each line: False inside fenced code blocks and on their fences,
    where a shortcode is an example, not an instruction."""
    in_fence = False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
            yield line, False
            continue
        yield line, not in_fence


def find_shortcodes(text: str) -> list[Shortcode]:
    """All shortcodes outside fenced code blocks, with their line numbers."""
    found = []
    for number, (line, prose) in enumerate(lines_outside_fences(text.splitlines()), start=1):
        if not prose:
            continue
        for m in SHORTCODE.finditer(line):
            if _looks_like_ours(m["kind"]):
                found.append(Shortcode(m["kind"], m["arg"], number))
    return found


class _ShortcodePreprocessor(Preprocessor):
    def __init__(self, md, resolver):
        super().__init__(md)
        self.resolver = resolver

    def run(self, lines):
        out = []

        def stash(html: str) -> str:
            return self.md.htmlStash.store(html)

        def inline(m: re.Match) -> str:
            kind = KINDS.get(m["kind"])
            return self.resolver(m["kind"], m["arg"], stash) if kind and not kind.block else m[0]

        for line, prose in lines_outside_fences(lines):
            if not prose or "<!--" not in line:
                out.append(line)
                continue
            whole = SHORTCODE.fullmatch(line.strip())
            if whole and whole["kind"] in KINDS and KINDS[whole["kind"]].block:
                out.extend(["", *self.resolver(whole["kind"], whole["arg"], stash).splitlines(), ""])
                continue
            out.append(SHORTCODE.sub(inline, line))
        return out


class ShortcodeExtension(Extension):
    """``resolver(kind, arg, stash) -> markdown``; raise to reject an unknown shortcode."""

    def __init__(self, resolver, **kwargs):
        self.resolver = resolver
        super().__init__(**kwargs)

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's name)
        # Priority 29.5: after whitespace normalising (30), which strips stash markers, and before
        # fenced code (25) and raw HTML (20), so generated fences and
        # md_in_html blocks are parsed like hand-written ones.
        md.preprocessors.register(_ShortcodePreprocessor(md, self.resolver), "factcheck-shortcodes", 29.5)
