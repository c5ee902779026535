"""Shortcodes in page Markdown, written as HTML comments so they stay invisible on GitHub.

    <!-- claim: paradigm-tf-static-graph -->   a claim panel (on a line of its own)
    <!-- value: tiny-op-ratio -->              a figure recorded by a notebook cell (inline)
    <!-- provenance -->                        the "Verified with ..." line for this page

``ShortcodeExtension`` is a plain Python-Markdown extension: it asks a resolver for the
Markdown of each shortcode, so it works with any site generator that uses Python-Markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown import Extension
from markdown.preprocessors import Preprocessor

SHORTCODE = re.compile(r"<!--\s*(?P<kind>[a-z][a-z-]*)(?::\s*(?P<arg>[^\s>]+))?\s*-->")
BLOCK_KINDS = {"claim", "provenance", "scoreboard", "outdated-claims", "decision-guide", "differences-table"}
INLINE_KINDS = {"value", "claim-count", "verdict-count"}
KNOWN = BLOCK_KINDS | INLINE_KINDS
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Shortcode:
    kind: str
    arg: str | None
    line: int  # 1-based


def find_shortcodes(text: str) -> list[Shortcode]:
    """All shortcodes outside fenced code blocks, with their line numbers."""
    found, in_fence = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        for m in SHORTCODE.finditer(line):
            if m["kind"] in KNOWN or m["kind"].startswith("claim"):
                found.append(Shortcode(m["kind"], m["arg"], number))
    return found


class _ShortcodePreprocessor(Preprocessor):
    def __init__(self, md, resolver):
        super().__init__(md)
        self.resolver = resolver

    def run(self, lines):
        out, in_fence = [], False

        def stash(html: str) -> str:
            return self.md.htmlStash.store(html)

        for line in lines:
            if _FENCE.match(line):
                in_fence = not in_fence
            if in_fence or "<!--" not in line:
                out.append(line)
                continue
            whole = SHORTCODE.fullmatch(line.strip())
            if whole and whole["kind"] in BLOCK_KINDS:
                out.extend(["", *self.resolver(whole["kind"], whole["arg"], stash).splitlines(), ""])
                continue
            out.append(
                SHORTCODE.sub(
                    lambda m: self.resolver(m["kind"], m["arg"], stash) if m["kind"] in INLINE_KINDS else m[0],
                    line,
                )
            )
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
