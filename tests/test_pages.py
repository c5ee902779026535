"""Pages and registry stay in step: unknown ids, unshown claims and repeats fail by name."""

import pytest
from builders import BASIC, claim

from factcheck import PageError, load_registry
from factcheck.pages.placement import claim_pages, scan_pages
from factcheck.pages.shortcodes import find_shortcodes


def check(demo, values=None):
    registry = load_registry(demo.root / "claims", demo.root / "notebooks")
    return claim_pages(scan_pages(demo.root / "docs"), registry, values)


def test_each_claim_is_placed_on_its_page(demo):
    demo.basic(claim_ids=("demo-a", "demo-b"))
    assert check(demo) == {"demo-a": "demo.md", "demo-b": "demo.md"}


def test_unknown_claim_id_on_a_page_fails_with_page_and_line(demo):
    demo.basic()
    demo.write_page("# Other { #other }\n\ntext\n\n<!-- claim: demo-nope -->\n", name="other.md")
    with pytest.raises(PageError, match=r"docs/other\.md:5: unknown claim id 'demo-nope'"):
        check(demo)


def test_claim_on_no_page_fails_naming_the_claim(demo):
    demo.write_notebook("demo/basic.ipynb", BASIC)
    demo.write_claims([claim("demo-shown"), claim("demo-hidden")])
    demo.write_page("# Demo { #demo }\n\n<!-- claim: demo-shown -->\n")
    with pytest.raises(PageError, match=r"claim 'demo-hidden' is shown on no page"):
        check(demo)


def test_claim_on_two_pages_fails(demo):
    demo.basic()
    demo.write_page("# Again { #again }\n\n<!-- claim: demo-basic-claim -->\n", name="again.md")
    with pytest.raises(PageError, match=r"'demo-basic-claim' is already shown on docs/"):
        check(demo)


def test_unknown_value_name_fails(demo):
    demo.basic()
    demo.write_page("# X { #x }\n\nIt is <!-- value: never-recorded --> times faster.\n", name="x.md")
    with pytest.raises(PageError, match=r"docs/x\.md:3: no notebook recorded a value named 'never-recorded'"):
        check(demo, values=set())


def test_misspelt_claim_shortcode_fails(demo):
    demo.basic()
    demo.write_page("# X { #x }\n\n<!-- claims: demo-basic-claim -->\n", name="x.md")
    with pytest.raises(PageError, match=r"unknown shortcode 'claims'"):
        check(demo)


def test_shortcodes_inside_code_fences_are_ignored():
    text = "```markdown\n<!-- claim: shown-as-code -->\n```\n\n<!-- claim: real-one -->\n"
    assert [(c.kind, c.arg, c.line) for c in find_shortcodes(text)] == [("claim", "real-one", 5)]
