"""The social preview card (og:image): the site's name and its current verdict counts, drawn
at build time so the numbers on a shared link match the site."""

from __future__ import annotations

import io

from ..vocabulary import VERDICTS

WIDTH, HEIGHT, DPI = 1200, 630, 100  # the size link previews expect (1.91:1)


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
