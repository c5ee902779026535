"""The social preview cards (og:image), drawn at build time so a shared link shows the site as
it is: the site's card with its current verdict counts, and each claim's card with the claim, its
verdict and the one-line reason."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

from ..vocabulary import VERDICT, VERDICTS

WIDTH, HEIGHT, DPI = 1200, 630, 100  # the size link previews expect (1.91:1)
CARD_VERSION = 1  # bump when the drawing of claim cards changes


def social_card_png(counts: dict[str, int], subtitle: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, facecolor="#303f9f")
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(0, HEIGHT)
    ax.axis("off")
    ax.text(80, 500, "Framework Facts", color="white", fontsize=54, fontweight="bold", va="center")
    ax.text(80, 410, subtitle, color="#e8eaf6", fontsize=26, va="center")
    total = sum(counts.values())
    ax.text(80, 300, f"{total} claims checked by running code", color="white", fontsize=30, va="center")
    x = 80
    for verdict in VERDICTS:
        text = f"{counts.get(verdict.id, 0)} {verdict.label.lower()}"
        width = 60 + 21 * len(text)
        ax.add_patch(
            FancyBboxPatch(
                (x, 150), width, 70, boxstyle="round,pad=0,rounding_size=35",
                facecolor=verdict.colour, edgecolor="white", linewidth=2,
            )
        )  # fmt: skip
        ax.text(x + width / 2, 185, text, color="white", fontsize=26, fontweight="bold", ha="center", va="center")
        x += width + 24
    buffer = io.BytesIO()
    # No timestamp or software version in the file: the same counts give the same bytes.
    fig.savefig(buffer, format="png", dpi=DPI, facecolor=fig.get_facecolor(), metadata={"Software": None})
    return buffer.getvalue()


def _wrap(text: str, width: int, lines: int) -> list[str]:
    import textwrap

    wrapped = textwrap.wrap(text, width)
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1].rstrip(" .,;:") + "…"
    return wrapped


def claim_card_png(claim: str, verdict: str, reason: str, cache_dir: Path | None = None) -> bytes:
    """One claim's preview card: the claim, its verdict badge and the one-line reason. Cached by
    content (drawing eighty cards each build would cost seconds)."""
    key = hashlib.sha256(json.dumps([CARD_VERSION, claim, verdict, reason]).encode()).hexdigest()[:24]
    cached = Path(cache_dir) / f"{key}.png" if cache_dir else None
    if cached is not None and cached.is_file():
        return cached.read_bytes()
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    v = VERDICT[verdict]
    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, facecolor="#303f9f")
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(0, HEIGHT)
    ax.axis("off")
    ax.text(80, 560, "Framework Facts: TensorFlow vs PyTorch, checked by running code", color="#c5cae9",
            fontsize=20, va="center")  # fmt: skip
    y = 480
    for line in _wrap(claim, 38, 4):
        ax.text(80, y, line, color="white", fontsize=31, fontweight="bold", va="center")
        y -= 50
    y -= 12
    label = v.label
    width = 60 + 24 * len(label)
    ax.add_patch(
        FancyBboxPatch(
            (80, y - 55), width, 76, boxstyle="round,pad=0,rounding_size=38",
            facecolor=v.colour, edgecolor="white", linewidth=2,
        )
    )  # fmt: skip
    ax.text(80 + width / 2, y - 17, label, color="white", fontsize=30, fontweight="bold", ha="center", va="center")
    y -= 110
    for line in _wrap(reason, 58, 3):
        ax.text(80, y, line, color="#e8eaf6", fontsize=23, va="center")
        y -= 38
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor=fig.get_facecolor(), metadata={"Software": None})
    data = buffer.getvalue()
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(data)
    return data
