"""Notebook pages carry only the CSS they use, not ~590 KB of JupyterLab's stylesheet.

mkdocs-jupyter inlines JupyterLab's whole stylesheet into every notebook page; almost all of
it styles widgets a static page never shows (Lighthouse: first paint after 2.3 s on its
mobile profile). The plugin takes those <style> blocks out of each page and puts back one,
holding only the rules whose classes occur on that page (about 35 KB, 7 KB gzipped). Inline
rather than a shared file: a linked stylesheet in the page body holds back the first paint
by a round trip, and Material's instant navigation swaps only the body.
"""

from __future__ import annotations

import re
from functools import lru_cache

import tinycss2

_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
_NOT = re.compile(r":not\([^()]*\)")  # :not(.x) matches when .x is absent: not a requirement


def take_page_styles(soup) -> str | None:
    """Remove the page-level <style> blocks (not those inside outputs) and return their CSS."""
    styles = [s for s in soup.find_all("style") if not s.find_parent(class_="jp-OutputArea")]
    texts = []
    for style in styles:
        text = style.string or ""
        # mkdocs-jupyter also writes the Python repr of its Pygments CSS list ("['pre {...") as a
        # style block: not CSS, so it is dropped rather than shared.
        if not text.lstrip().startswith("["):
            texts.append(text)
        style.decompose()
    return "\n".join(texts) if texts else None


def classes_in(html_classes) -> set[str]:
    return {c for value in html_classes for c in (value if isinstance(value, list) else value.split())}


def _selector_needs(selector: str) -> set[str]:
    return set(_CLASS.findall(_NOT.sub("", selector)))


def _can_match(selector: str, used: set[str]) -> bool:
    # ".jupyter-wrapper :root" (80 KB of JupyterLab's variables) can never match: the root
    # element is nobody's descendant.
    return _selector_needs(selector) <= used and not re.search(r"\S\s+:root", selector)


def _split_selectors(prelude: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(prelude):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(prelude[start:i])
            start = i + 1
    parts.append(prelude[start:])
    return [p.strip() for p in parts if p.strip()]


def _purge_rules(rules, used: set[str]) -> list[str]:
    kept = []
    for rule in rules:
        if rule.type == "qualified-rule":
            selectors = [s for s in _split_selectors(tinycss2.serialize(rule.prelude)) if _can_match(s, used)]
            text = f"{','.join(selectors)}{{{tinycss2.serialize(rule.content).strip()}}}"
            if selectors and text not in kept:  # the theme CSS arrives twice
                kept.append(text)
        elif rule.type == "at-rule":
            name = rule.lower_at_keyword
            if name in ("media", "supports", "layer") and rule.content is not None:
                inner = _purge_rules(tinycss2.parse_rule_list(rule.content, True, True), used)
                if inner:
                    kept.append(f"@{rule.at_keyword} {tinycss2.serialize(rule.prelude).strip()}{{{''.join(inner)}}}")
            elif name != "charset":
                kept.append(tinycss2.serialize([rule]).strip())
    return kept


@lru_cache(maxsize=4)
def _parsed(css: str) -> tuple:
    # Every notebook page carries the same stylesheet: parse it once per build.
    return tuple(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))


def purge_css(css: str, used: set[str]) -> str:
    """Keep the rules (and selectors) whose classes all occur in ``used``."""
    return "\n".join(_purge_rules(_parsed(css), used)) + "\n"
