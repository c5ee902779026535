"""The claim registry loads valid entries and names the file, claim and field of a bad one."""

import pytest
from builders import BASIC, claim

from factcheck import RegistryError, load_registry


def load(demo):
    return load_registry(demo.root / "claims", demo.root / "notebooks")


def test_valid_entries_load(demo):
    demo.basic(claim_ids=("demo-one", "demo-two"))
    registry = load(demo)
    assert [c.id for c in registry] == ["demo-one", "demo-two"]
    one = registry["demo-one"]
    assert one.section.title == "Demo Section"
    assert one.evidence["pytorch"].cells == ("pt-check",)
    assert one.sources[0].date == "2024-01-02"


def test_the_real_registry_is_valid():
    from builders import REPO

    registry = load_registry(REPO / "claims", REPO / "notebooks")
    assert len(registry) > 0


@pytest.mark.parametrize("field", ["quote", "verdict", "evidence", "sources", "section"])
def test_missing_field_is_named(demo, field):
    demo.write_notebook("demo/basic.ipynb", BASIC)
    entry = claim("demo-missing")
    del entry[field]
    path = demo.write_claims([entry])
    with pytest.raises(RegistryError) as err:
        load(demo)
    assert str(path) in str(err.value)
    assert "claim 'demo-missing'" in str(err.value)
    assert f"field '{field}' is missing" in str(err.value)


def test_a_side_declares_counterfactuals_that_load_in_order(demo):
    demo.write_notebook("demo/basic.ipynb", BASIC)
    entry = claim("demo-counter")
    entry["evidence"]["pytorch"]["counterfactuals"] = [
        {"if": "PyTorch's default changed to 0.9", "code": "import torch\n", "before": "pt-check"},
        {"if": "the data row said otherwise", "code": "rows = []\n"},
    ]
    demo.write_claims([entry])
    side = load(demo)["demo-counter"].evidence["pytorch"]
    assert [(c.condition, c.before) for c in side.counterfactuals] == [
        ("PyTorch's default changed to 0.9", "pt-check"),
        ("the data row said otherwise", None),
    ]
    assert load(demo)["demo-counter"].evidence["tensorflow"].counterfactuals == ()


def test_a_counterfactual_without_code_is_named(demo):
    demo.write_notebook("demo/basic.ipynb", BASIC)
    entry = claim("demo-counter")
    entry["evidence"]["tensorflow"]["counterfactuals"] = [{"if": "Keras's default changed to 0.9"}]
    demo.write_claims([entry])
    with pytest.raises(
        RegistryError, match=r"claim 'demo-counter', field 'evidence.tensorflow.counterfactuals.0.code'"
    ):
        load(demo)


def test_a_difference_says_what_it_changes(demo):
    demo.write_notebook("demo/basic.ipynb", BASIC)
    diff = {"setting": "Epsilon", "changes": "everything", "tensorflow": "a", "pytorch": "b",
            "symptom": "Outputs differ a lot.", "fix": "set the epsilon"}  # fmt: skip
    demo.write_claims([claim("demo-diff", difference=diff)])
    with pytest.raises(RegistryError, match=r"field 'difference.changes' must be one of inference, training, rebuilt"):
        load(demo)


def test_unknown_verdict_is_named(demo):
    demo.write_notebook("demo/basic.ipynb", BASIC)
    demo.write_claims([claim("demo-verdict", verdict="mostly-true")])
    with pytest.raises(RegistryError, match=r"claim 'demo-verdict', field 'verdict' must be one of holds, nuanced"):
        load(demo)


def test_duplicate_id_is_rejected(demo):
    demo.write_notebook("demo/basic.ipynb", BASIC)
    demo.write_claims([claim("demo-twice")], name="a.yaml")
    demo.write_claims([claim("demo-twice")], name="b.yaml")
    with pytest.raises(
        RegistryError, match=r"b\.yaml: claim 'demo-twice', field 'id' is a duplicate \(also in .*a\.yaml\)"
    ):
        load(demo)


def test_unknown_field_is_named(demo):
    demo.write_notebook("demo/basic.ipynb", BASIC)
    demo.write_claims([claim("demo-extra", verdcit="holds")])
    with pytest.raises(RegistryError, match=r"claim 'demo-extra', field 'verdcit' is not a known field"):
        load(demo)


def test_id_must_be_kebab_case(demo):
    demo.write_notebook("demo/basic.ipynb", BASIC)
    demo.write_claims([claim("Demo_Bad")])
    with pytest.raises(RegistryError, match=r"field 'id' has the wrong format \('Demo_Bad'\)"):
        load(demo)


def test_unknown_section_is_named(demo):
    demo.write_notebook("demo/basic.ipynb", BASIC)
    demo.write_claims([claim("demo-section", section="nowhere")])
    with pytest.raises(RegistryError, match=r"claim 'demo-section', field 'section' names unknown section 'nowhere'"):
        load(demo)


@pytest.mark.parametrize(
    "source, message",
    [
        ({"url": "not a url", "title": "Notes", "accessed": "2024-01-02"}, "'sources.0.url' has the wrong format"),
        ({"url": "http://example.org/x", "title": "Notes", "accessed": "2024-01-02"}, "field 'sources.0.url'"),
        ({"url": "https://example.org/x", "title": "Notes", "accessed": "Jan 2024"}, "field 'sources.0.accessed'"),
        ({"url": "https://example.org/x", "title": "Notes", "accessed": "2024-02-31"}, "not a real date"),
        ({"url": "https://example.org/x", "title": "Notes", "published": "2024-13", "accessed": "2024-02-01"},
         "field 'sources.published' is not a real date"),
        ({"url": "https://example.org/x", "title": "Notes", "published": "2024-03-01", "accessed": "2024-02-01"},
         "field 'sources.published' (2024-03-01) is after 'sources.accessed'"),
        ({"url": "https://example.org/x", "title": "Notes"}, "field 'sources.0.accessed' is missing"),
        ({"url": "https://example.org/x", "title": "Notes", "date": "2024-01-02", "accessed": "2024-01-02"},
         "field 'sources.0.date' is not a known field"),
    ],
)  # fmt: skip
def test_malformed_source_is_named(demo, source, message):
    demo.write_notebook("demo/basic.ipynb", BASIC)
    demo.write_claims([claim("demo-source", sources=[source])])
    with pytest.raises(RegistryError, match=r"claim 'demo-source'") as err:
        load(demo)
    assert message in str(err.value)


def test_invalid_yaml_names_the_file(demo):
    path = demo.root / "claims" / "broken.yaml"
    path.write_text("claims:\n  - id: [unclosed\n")
    with pytest.raises(RegistryError, match=r"broken\.yaml: not valid YAML"):
        load(demo)


def test_missing_tagged_cell_is_named(demo):
    demo.write_notebook("demo/basic.ipynb", BASIC)
    demo.write_claims([claim("demo-cell", pt_cells=("pt-check", "pt-gone"))])
    with pytest.raises(RegistryError) as err:
        load(demo)
    assert "claim 'demo-cell', field 'evidence.pytorch.cells': no cell tagged 'pt-gone'" in str(err.value)
    assert "basic.ipynb" in str(err.value)


def test_missing_notebook_is_named(demo):
    demo.write_claims([claim("demo-nb", notebook="demo/absent.ipynb")])
    with pytest.raises(RegistryError, match=r"claim 'demo-nb', field 'evidence.tensorflow.notebook'.*absent\.ipynb"):
        load(demo)


def test_notebook_that_is_not_json_names_the_file(demo):
    (demo.root / "notebooks" / "demo" / "basic.ipynb").write_text("{ this is not json")
    demo.write_claims([claim("demo-json")])
    with pytest.raises(RegistryError, match=r"basic\.ipynb: not a valid notebook"):
        load(demo)


def test_one_url_carries_one_date_everywhere(demo):
    demo.write_notebook("demo/basic.ipynb", BASIC)
    cited = {"url": "https://example.org/notes", "title": "Notes", "published": "2024-01-02", "accessed": "2024-02-01"}
    elsewhere = dict(cited, published="2024-01-05")
    demo.write_claims([claim("demo-first", sources=[cited]), claim("demo-second", sources=[elsewhere])])
    with pytest.raises(
        RegistryError, match=r"claim 'demo-second', field 'sources.published' of https://example.org/notes"
    ):
        load(demo)
