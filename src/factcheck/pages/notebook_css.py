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
from dataclasses import dataclass
from functools import lru_cache

import tinycss2

_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
_NOT = re.compile(r":not\([^()]*\)")  # :not(.x) matches when .x is absent: not a requirement


_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
_WRAPPER = '<div class="jupyter-wrapper"'


def split_page_styles(html: str) -> tuple[str, str | None]:
    """The page without its page-level <style> blocks, and their CSS. mkdocs-jupyter writes them
    all before the notebook's wrapper; taking them out as text spares the HTML parser ~600 KB
    of CSS per page (styles inside outputs, after the wrapper, stay)."""
    head, wrapper, rest = html.partition(_WRAPPER)
    if not wrapper:
        return html, None
    texts = [m[1] for m in _STYLE.finditer(head) if not m[1].lstrip().startswith("[")]
    return _STYLE.sub("", head) + wrapper + rest, ("\n".join(texts) if texts else None)


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


@dataclass(frozen=True)
class _Rule:
    selectors: tuple[tuple[str, frozenset[str], bool], ...]  # (selector, classes it needs, can never match)
    body: str


@dataclass(frozen=True)
class _Group:
    head: str  # "@media (...)"
    rules: tuple


def _compile(rules) -> tuple:
    """The stylesheet as plain data (selectors with the classes they need, bodies serialized once),
    so that purging it for a page is set arithmetic."""
    out = []
    for rule in rules:
        if rule.type == "qualified-rule":
            selectors = tuple(
                (sel, frozenset(_selector_needs(sel)), bool(re.search(r"\S\s+:root", sel)))
                for sel in _split_selectors(tinycss2.serialize(rule.prelude))
            )
            out.append(_Rule(selectors, tinycss2.serialize(rule.content).strip()))
        elif rule.type == "at-rule":
            name = rule.lower_at_keyword
            if name in ("media", "supports", "layer") and rule.content is not None:
                inner = _compile(tinycss2.parse_rule_list(rule.content, True, True))
                out.append(_Group(f"@{rule.at_keyword} {tinycss2.serialize(rule.prelude).strip()}", inner))
            elif name != "charset":
                out.append(tinycss2.serialize([rule]).strip())
    return tuple(out)


def _purge_rules(rules, used: set[str]) -> list[str]:
    kept, seen = [], set()
    for rule in rules:
        if isinstance(rule, _Rule):
            selectors = [sel for sel, needs, never in rule.selectors if needs <= used and not never]
            text = f"{','.join(selectors)}{{{rule.body}}}"
            if selectors and text not in seen:  # the theme CSS arrives twice
                seen.add(text)
                kept.append(text)
        elif isinstance(rule, _Group):
            inner = _purge_rules(rule.rules, used)
            if inner:
                kept.append(f"{rule.head}{{{''.join(inner)}}}")
        else:
            kept.append(rule)
    return kept


@lru_cache(maxsize=4)
def _parsed(css: str) -> tuple:
    # Every notebook page carries the same stylesheet: parse and compile it once per build.
    return _compile(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))


def purge_css(css: str, used: set[str]) -> str:
    """Keep the rules (and selectors) whose classes all occur in ``used``."""
    return "\n".join(_purge_rules(_parsed(css), used)) + "\n"
