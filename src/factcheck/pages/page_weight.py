"""Lighter pages for phones: fewer elements in code blocks, figures as files (pure functions).

A phone spends most of a section page's main-thread time on style and layout, which grow with
the number of elements. Two sources dominate: syntax highlighting, which wraps every name,
dot and bracket in its own ``<span>``, and inline SVG figures, which bring hundreds of
elements each. ``lean_code`` unwraps the spans whose colour is the code's own colour anyway;
``Figures`` turns executed figures into files the browser loads lazily, outside the DOM.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct

# Pygments token classes drawn in the code's own colour (names), or close to it (punctuation and
# operators, drawn a shade lighter by the theme): their spans are unwrapped, the text stays.
PLAIN_TOKENS = ("n", "p", "o")
_PLAIN_SPAN = re.compile(r'<span class="(?:' + "|".join(PLAIN_TOKENS) + r')">([^<]*)</span>')
_EMPTY_SPAN = re.compile(r"<span></span>")
_CODE_BLOCK = re.compile(r"<pre><code>")
# Inside Material's code blocks (not nbconvert's, whose Pygments style colours them apart):
# keyword constants (None, True) share the names' colour, string prefixes (the f of f"...") and
# whitespace have none; and Material draws each of these groups in one colour, so neighbouring
# spans of a group merge into one (an f-string is one span, not one per brace).
MATERIAL_PLAIN = ("kc", "sa", "w")
MATERIAL_SAME_COLOUR = (
    frozenset({"s", "s1", "s2", "sb", "sc", "si", "ss", "cpf", "l"}),
    frozenset({"m", "mb", "mf", "mh", "mi", "mo", "il"}),
    frozenset({"c", "c1", "ch", "cm", "cs", "sd"}),
)
_GROUP = {token: group for group in MATERIAL_SAME_COLOUR for token in group}
_MATERIAL_CODE = re.compile(r"(<pre><code[^>]*>)(.*?)(</code></pre>)", re.S)
_MATERIAL_PLAIN_SPAN = re.compile(r'<span class="(?:' + "|".join(MATERIAL_PLAIN) + r')">([^<]*)</span>')
_NEIGHBOURS = re.compile(r'<span class="([a-z0-9]+)">([^<]*)</span><span class="([a-z0-9]+)">')


def _merge_neighbours(m: re.Match) -> str:
    first, text, second = m[1], m[2], m[3]
    if first in _GROUP and _GROUP.get(second) is _GROUP[first]:
        return f'<span class="{first}">{text}'
    return m[0]


def _lean_material_code(m: re.Match) -> str:
    code = _MATERIAL_PLAIN_SPAN.sub(r"\1", m[2])
    while True:
        merged = _NEIGHBOURS.sub(_merge_neighbours, code)
        if merged == code:
            break
        code = merged
    return m[1] + code + m[3]


def lean_code(html: str) -> str:
    """``html`` with the highlighting spans of plain tokens removed (their text kept), neighbouring
    spans of one colour merged in Material's code blocks, and every code block reachable by
    keyboard from the start: Material makes an overflowing block focusable only when it mounts
    it, which it now does when the block scrolls into view."""
    html = _EMPTY_SPAN.sub("", _PLAIN_SPAN.sub(r"\1", html))
    html = _CODE_BLOCK.sub('<pre><code tabindex="0">', html)
    return _MATERIAL_CODE.sub(_lean_material_code, html)


FIGURES_DIR = "assets/figures"  # where figure files go, relative to the site root
_LENGTH = re.compile(r"^\s*([\d.]+)\s*(pt|px)?\s*$")


def svg_size(svg: str) -> tuple[int, int] | None:
    """Width and height in CSS pixels from an SVG root's attributes (matplotlib writes points)."""
    root = re.search(r"<svg\b[^>]*>", svg)
    if not root:
        return None
    size = []
    for attr in ("width", "height"):
        m = re.search(rf'\b{attr}="([^"]+)"', root[0])
        length = _LENGTH.match(m[1]) if m else None
        if not length:
            return None
        value = float(length[1]) * (4 / 3 if length[2] == "pt" else 1)
        size.append(round(value))
    return size[0], size[1]


def png_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


class Figures:
    """Figure files collected during a build: content-addressed, so a rebuild writes the same names."""

    def __init__(self):
        self._files: dict[str, bytes] = {}

    def add(self, data: bytes, ext: str) -> str:
        """Store ``data`` and return its path relative to the site root."""
        name = f"{FIGURES_DIR}/{hashlib.sha256(data).hexdigest()[:16]}.{ext}"
        self._files[name] = data
        return name

    def files(self) -> dict[str, bytes]:
        return dict(self._files)


def img_tag(src: str, alt: str, size: tuple[int, int] | None) -> str:
    """A lazily loaded image whose box is reserved before it loads (no layout shift)."""
    from html import escape

    dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
    return f'<img src="{escape(src)}" alt="{escape(alt)}"{dims} loading="lazy" decoding="async">'


def decode_data_uri(uri: str) -> tuple[bytes, str] | None:
    """(bytes, extension) of a base64 ``data:image/png`` or ``data:image/svg+xml`` URI."""
    m = re.match(r"data:image/(png|svg\+xml);base64,(.*)$", uri, re.S)
    if not m:
        return None
    return base64.b64decode(m[2]), "png" if m[1] == "png" else "svg"


# Material's per-page search weight (default 1). A notebook heading matches Material's title
# field, weighed 1,000 times more than text: only a large ratio puts the verdict first (a claim
# that names the words in its reason outranks a notebook heading that names them).
SECTION_SEARCH_BOOST = 100
NOTEBOOK_SEARCH_BOOST = 0.01


def search_meta(src_uri: str, sections: set[str], meta: dict) -> dict:
    """The page's ``search`` front matter, with its boost: search lands on the verdict, so a
    section page ranks above the notebooks that hold its evidence (a page's own setting wins)."""
    search = dict(meta.get("search", {}))
    if src_uri.removesuffix(".md") in sections:
        search.setdefault("boost", SECTION_SEARCH_BOOST)
    elif src_uri.endswith(".ipynb"):
        search.setdefault("boost", NOTEBOOK_SEARCH_BOOST)
    return search
