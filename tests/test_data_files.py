"""Dated facts: every timeline event and community figure carries a source URL and a date."""

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from builders import REPO

DATA = sorted((REPO / "data").glob("*.yaml"))
ISO_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


def load(name: str):
    return yaml.safe_load((REPO / "data" / name).read_text())


def _is_date(value) -> bool:
    if isinstance(value, dt.date):
        return True
    if not isinstance(value, str) or not ISO_DATE.match(value):
        return False
    dt.date.fromisoformat(value if len(value) == 10 else value + "-01")
    return True


@pytest.mark.parametrize("index, event", list(enumerate(load("timeline.yaml")["events"])))
def test_timeline_event_has_a_date_and_a_source(index, event):
    assert _is_date(event.get("date")), f"timeline event #{index + 1} ({event.get('short')}): bad or missing date"
    assert str(event.get("source", "")).startswith("https://"), f"timeline event #{index + 1}: missing https source"


def test_timeline_is_in_date_order():
    dates = [str(e["date"]) for e in load("timeline.yaml")["events"]]
    assert dates == sorted(dates)


@pytest.mark.parametrize("figure", load("community.yaml")["figures"], ids=lambda f: f.get("id", "?"))
def test_community_figure_has_a_source_and_the_date_it_was_true(figure):
    assert _is_date(figure.get("date")), f"{figure.get('id')}: missing date"
    assert str(figure.get("url", "")).startswith("https://"), f"{figure.get('id')}: missing https url"
    assert figure.get("source"), f"{figure.get('id')}: missing source name"


def _walk(node, path="$"):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")


@pytest.mark.parametrize("path", DATA, ids=lambda p: Path(p).name)
def test_every_url_is_https_and_every_date_is_iso(path):
    problems = []
    for where, mapping in _walk(yaml.safe_load(path.read_text())):
        for key, value in mapping.items():
            if key in ("url", "source") and isinstance(value, str) and "://" in value:
                if not re.match(r"^https://[^\s/]+\.[^\s/]+(/\S*)?$", value):
                    problems.append(f"{where}.{key}: {value!r} is not an https URL")
            if key in ("date", "checked") or key.endswith("_date"):
                if not _is_date(value):
                    problems.append(f"{where}.{key}: {value!r} is not YYYY-MM-DD (or YYYY-MM)")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)
