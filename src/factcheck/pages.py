"""Which page shows which claim, and the checks that keep pages and registry in step."""

from __future__ import annotations

from pathlib import Path

from .errors import PageError
from .registry import Registry
from .shortcodes import find_shortcodes


def scan_pages(docs_dir: Path) -> dict[str, str]:
    """Markdown source of every page, keyed by its path relative to ``docs_dir``."""
    docs_dir = Path(docs_dir)
    return {p.relative_to(docs_dir).as_posix(): p.read_text(encoding="utf-8") for p in sorted(docs_dir.rglob("*.md"))}


def claim_pages(pages: dict[str, str], registry: Registry, known_values: set[str] | None = None) -> dict[str, str]:
    """Map claim id -> page, failing on unknown ids, repeated claims and claims on no page."""
    placed: dict[str, str] = {}
    problems = []
    for page, text in pages.items():
        for code in find_shortcodes(text):
            if code.kind == "claim":
                if not code.arg:
                    problems.append(f"docs/{page}:{code.line}: claim shortcode without an id")
                elif code.arg not in registry:
                    problems.append(f"docs/{page}:{code.line}: unknown claim id {code.arg!r}")
                elif code.arg in placed:
                    problems.append(
                        f"docs/{page}:{code.line}: claim {code.arg!r} is already shown on docs/{placed[code.arg]}"
                    )
                else:
                    placed[code.arg] = page
            elif code.kind == "value" and known_values is not None and code.arg not in known_values:
                problems.append(f"docs/{page}:{code.line}: no notebook recorded a value named {code.arg!r}")
            elif code.kind.startswith("claim") and code.kind != "claim-count":
                problems.append(f"docs/{page}:{code.line}: unknown shortcode {code.kind!r}")
    for claim in registry:
        if claim.id not in placed:
            problems.append(
                f"{claim.file}: claim {claim.id!r} is shown on no page "
                f"(add '<!-- claim: {claim.id} -->' to docs/{claim.section.page})"
            )
    if problems:
        raise PageError("\n".join(problems))
    return placed
