"""Helpers imported by the notebooks themselves (kept free of MkDocs and of the frameworks).

``record(name, value)`` publishes a number or short text from a cell so that page prose
can quote it with ``<!-- value: name -->``: the figure on the page is the figure the
cell computed, never a typed copy.
"""

from __future__ import annotations

from IPython.display import display

from ..vocabulary import VALUE_MIME


def record(name: str, value, fmt: str = "{}", unit: str = "") -> None:
    """Show ``value`` and publish it under ``name`` (lower-case words joined by '-' or '_')."""
    text = fmt.format(value) + (f" {unit}" if unit else "")
    raw = value.item() if hasattr(value, "item") else value
    if not isinstance(raw, (int, float, str, bool)):
        raw = str(raw)
    display(
        {VALUE_MIME: {"name": name, "value": raw, "text": text}, "text/plain": f"{name} = {text}"},
        raw=True,
    )


def plot_style() -> None:
    """Matplotlib settings that read well on the site's light and dark themes: SVG output,
    transparent backgrounds and mid-grey text and axes."""
    import matplotlib as mpl
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("svg")
    grey = "#8a8a8a"
    mpl.rcParams.update(
        {
            "figure.facecolor": "none",
            "axes.facecolor": "none",
            "savefig.facecolor": "none",
            "savefig.transparent": True,
            "text.color": grey,
            "axes.labelcolor": grey,
            "axes.edgecolor": grey,
            "xtick.color": grey,
            "ytick.color": grey,
            "legend.frameon": False,
            "figure.figsize": (6.4, 3.6),
            "svg.hashsalt": "framework-facts",  # stable SVG ids, so rebuilds give identical output
            "svg.fonttype": "none",  # text stays text: smaller files, searchable, themable
        }
    )


def optional_import(module: str, *names: str):
    """``import module`` (or ``from module import names``), or stand-ins where this environment
    cannot import it (a library that needs another framework release, say). A stand-in raises
    ``ModuleNotFoundError`` naming the library as soon as a cell uses it, so only the cells that
    need the library fail, and they say why; the rest of the notebook still runs. For evidence
    libraries only: a framework that lacks an API is a claim's subject, so import frameworks
    plainly."""
    import importlib

    try:
        found = importlib.import_module(module)
        objects = tuple(getattr(found, name) for name in names)
        return objects[0] if len(objects) == 1 else (objects or found)
    except (ImportError, AttributeError) as err:  # AttributeError: a name this release lacks
        error = err
    if isinstance(error, ModuleNotFoundError) and error.name == module:
        message = str(error)
    else:
        message = f"No module named '{module}' that imports here ({type(error).__name__}: {error})"

    class Unavailable:
        def __call__(self, *args, **kwargs):
            raise ModuleNotFoundError(message, name=module)

        def __getattr__(self, attr):
            if attr.startswith("__"):  # a protocol probe or a version: plain "has no attribute"
                raise AttributeError(f"{attr} (not available here: {message})")
            raise ModuleNotFoundError(message, name=module)

    print(f"not available here, so the cells that use it will say so: {message}")
    return Unavailable() if len(names) <= 1 else tuple(Unavailable() for _ in names)


def selected_rows(papers: dict) -> list[dict]:
    """The rows of ``data/research-share.yaml``'s ``conference_papers`` that its ``selection``
    rule keeps: the counted kind (accepted papers), conferences held after PyTorch's public
    release, and venues with at least ``min_rows_per_venue`` such rows. One definition for every
    notebook that reads the series, applied in code rather than by hand."""
    rule = papers["selection"]
    rows = [r for r in papers["rows"] if r["counts"] == rule["counts"] and r["date"] > rule["after_date"][:7]]
    years = {venue: sum(r["venue"] == venue for r in rows) for venue in {r["venue"] for r in rows}}
    return [r for r in rows if years[r["venue"]] >= rule["min_rows_per_venue"]]
