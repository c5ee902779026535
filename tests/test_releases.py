"""Since which release: committed version-matrix results become a strip and a sentence on each
claim panel, a Versions page and per-release outcomes in claims.json, without executing any old
release. A could-not-run is never shown as a failure."""

from __future__ import annotations

from builders import build_site
from test_render import render_page

from factcheck.releases import Mark, Matrix, ranges, sentence, side_summary, strip_html
from factcheck.results import COULD_NOT_RUN, FAILS, HOLDS, NotebookResult, Reason, RunResult, SideResult, write_result


def _marks(outcomes: dict[str, str]) -> list[Mark]:
    return [Mark(release, f"{release}.1", outcome, "AssertionError: moved" if outcome == FAILS else None, "2026-11-29")
            for release, outcome in outcomes.items()]  # fmt: skip


def test_consecutive_releases_read_as_ranges():
    releases = ["2.0", "2.1", "2.2", "2.3", "2.4"]
    assert ranges(releases, {"2.1", "2.2", "2.4"}) == ["2.1–2.2", "2.4"]
    assert ranges(releases, set(releases)) == ["2.0–2.4"]


def test_a_claim_that_holds_on_some_releases_only_says_since_when():
    tf = _marks({"2.12": HOLDS, "2.13": HOLDS})
    torch = _marks({"2.0": FAILS, "2.1": HOLDS, "2.2": HOLDS})
    text = sentence({"tensorflow": tf, "pytorch": torch})
    assert text == "Holds on TensorFlow 2.12–2.13 (every release tested) and PyTorch 2.1–2.2; fails on PyTorch 2.0."
    assert side_summary("pytorch", torch) == "on PyTorch 2.1–2.2; fails on 2.0"


def test_could_not_run_is_never_called_a_failure():
    torch = _marks({"2.0": COULD_NOT_RUN, "2.1": HOLDS})
    text = sentence({"tensorflow": _marks({"2.12": HOLDS}), "pytorch": torch})
    assert "could not run on PyTorch 2.0" in text and "fails" not in text


def test_every_release_holding_reads_as_one_phrase():
    text = sentence({"tensorflow": _marks({"2.12": HOLDS, "2.13": HOLDS}), "pytorch": _marks({"2.0": HOLDS})})
    assert text == "Holds on every release tested: TensorFlow 2.12–2.13 and PyTorch 2.0."


def test_the_strip_is_one_bar_per_framework_read_by_its_summary():
    strip = strip_html("demo-x", {"tensorflow": _marks({"2.12": HOLDS, "2.13": FAILS}), "pytorch": []}, "../versions/")
    assert strip.count('class="release-strip__bar"') == 1, "no bar for an untested framework"
    assert 'role="img" aria-label="TensorFlow: on TensorFlow 2.12; fails on 2.13"' in strip
    assert 'title="2.12 ✓ · 2.13 ✗"' in strip and 'href="../versions/#demo-x"' in strip


def _run(framework: str, release: str, version: str, claims: dict) -> RunResult:
    return RunResult(
        kind="matrix", framework=framework, requested=release, got={framework: version}, date="2026-11-29",
        status="complete", wall={"total": 60.0}, environment=None,
        notebooks={"demo/basic.ipynb": NotebookResult("demo/basic.ipynb", "ran", "0123456789abcdef")}, claims=claims,
    )  # fmt: skip


def test_a_site_builds_its_strips_versions_page_and_claims_json_from_committed_results(demo):
    demo.basic()
    (demo.root / "docs" / "versions.md").write_text("# Versions { #versions }\n\n<!-- version-matrix -->\n\n"
                                                    "<!-- version-runs -->\n")  # fmt: skip
    folder = demo.root / "data" / "version-matrix"
    missing = Reason("missing-package", "No module named 'torch.export'", package="torch.export")
    write_result(_run("torch", "2.0", "2.0.1", {"demo-basic-claim": {
        "pytorch": SideResult(COULD_NOT_RUN, ("pt-check",), reason=missing),
        "tensorflow": SideResult(HOLDS, ("tf-check",))}}), folder / "torch-2.0.json")  # fmt: skip
    refreshed = _run("torch", "2.1", "2.1.2", {"demo-basic-claim": {"pytorch": SideResult(HOLDS, ("pt-check",))}})
    refreshed.notebooks["demo/basic.ipynb"].ran_on = "2026-12-01"  # re-executed by `make matrix REFRESH=1`
    write_result(refreshed, folder / "torch-2.1.json")
    write_result(_run("tensorflow", "2.12", "2.12.1", {"demo-basic-claim": {
        "tensorflow": SideResult(FAILS, ("tf-check",), error="AssertionError: eager is off", cell=4)}}),
        folder / "tensorflow-2.12.json")  # fmt: skip
    assert not Matrix.load(folder).empty

    site = build_site(demo.root)
    panel = render_page(site, "<!-- claim: demo-basic-claim -->\n")
    assert "Holds on PyTorch 2.1; fails on TensorFlow 2.12; could not run on PyTorch 2.0." in panel
    versions = render_page(site, (demo.root / "docs" / "versions.md").read_text(), page="versions.md")
    assert '<th scope="row" id="demo-basic-claim">' in versions
    assert "AssertionError: eager is off" in versions, "the error line of a failure is listed"
    assert 'class="rel rel--holds rel--changed' in versions, "the first release where the outcome changes"
    assert "run before the notebook" in versions, "a result older than the notebook says so"
    assert "2026-11-29 (1 notebook re-run 2026-12-01, same packages)" in versions, "a refresh is dated"
    releases = site.claims_json(lambda page: page)["claims"][0]["releases"]
    assert releases["pytorch"]["2.0"]["outcome"] == COULD_NOT_RUN and releases["pytorch"]["2.1"]["outcome"] == HOLDS
    assert releases["pytorch"]["2.1"]["run_date"] == "2026-12-01", "a refreshed notebook's result carries its date"
    assert releases["tensorflow"]["2.12"] == {
        "version": "2.12.1", "outcome": FAILS, "detail": "AssertionError: eager is off", "run_date": "2026-11-29"
    }  # fmt: skip


def test_a_site_without_results_shows_no_strip(demo):
    demo.basic()
    site = build_site(demo.root)
    assert "release-strip" not in render_page(site, "<!-- claim: demo-basic-claim -->\n")
    assert site.claims_json(lambda page: page)["claims"][0]["releases"]["summary"] == "Not yet run on other releases."


def test_a_strip_draws_one_stripe_per_run_of_releases_with_the_same_outcome():
    tf = _marks({"2.12": FAILS, "2.13": FAILS, "2.14": HOLDS, "2.15": HOLDS})
    torch = _marks({"2.0": HOLDS, "2.1": HOLDS})
    strips = strip_html("demo", {"tensorflow": tf, "pytorch": torch}, "../versions/")
    assert "linear-gradient(90deg, var(--rel-fails) 0.00% 50.00%, var(--rel-holds) 50.00% 100.00%)" in strips
    assert 'style="background:var(--rel-holds)"' in strips, "a side with one outcome is one colour"
    assert "2.12 ✗ · 2.13 ✗ · 2.14 ✓ · 2.15 ✓" in strips, "the tooltip still names every release"
