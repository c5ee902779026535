"""Claim panels, outputs and provenance render from registry and executed cells alone."""

import markdown
import pytest
from builders import BASIC, TF_ASSERT, TORCH_ASSERT, build_site, claim

from factcheck import EvidenceError, PageError
from factcheck.evidence.extract import EvidenceCell
from factcheck.pages.notebook_page import tidy_notebook_page
from factcheck.pages.render import output_html, outputs_html, provenance
from factcheck.pages.shortcodes import ShortcodeExtension


def render_page(site, text: str, page: str = "demo.md") -> str:
    """Markdown -> HTML with the site's extensions and the site's shortcodes."""
    md = markdown.Markdown(
        extensions=[
            ShortcodeExtension(lambda k, a, s: site.resolver(page)(k, a, s)),
            "attr_list",
            "md_in_html",
            "admonition",
            "pymdownx.details",
            "pymdownx.superfences",
            "pymdownx.tabbed",
            "tables",
        ],
        extension_configs={"pymdownx.tabbed": {"alternate_style": True}},
    )
    return md.convert(text)


def cell(outputs, source="assert True"):
    return EvidenceCell("demo/x.ipynb", "tag", 2, source, tuple(outputs), 3, 0.25)


def test_stdout_is_escaped_and_stderr_left_out():
    html = outputs_html(
        cell(
            [
                {"output_type": "stream", "name": "stdout", "text": "<b>1 < 2</b>\n"},
                {"output_type": "stream", "name": "stderr", "text": "noisy warning\n"},
            ]
        )
    )
    assert "&lt;b&gt;1 &lt; 2&lt;/b&gt;" in html
    assert "noisy warning" not in html


def test_outputs_are_kept_out_of_search():
    html = outputs_html(cell([{"output_type": "stream", "name": "stdout", "text": "x\n"}]))
    assert html.startswith('<section class="nb-outputs" data-search-exclude>')
    assert html.count("<section") == 1


def test_images_and_tables_render_with_alt_text():
    png = {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}}
    assert 'alt="Figure produced by' in output_html(png, "Figure produced by cell 3")
    table = {"output_type": "execute_result", "data": {"text/html": "<table><tr><td>1</td></tr></table>"}}
    assert '<div class="nb-html" tabindex="0"><table>' in output_html(table, "")


def test_silent_cells_say_so():
    assert "assertions passed silently" in outputs_html(cell([]))


def test_provenance_names_versions_date_and_cpu():
    record = {
        "executed_at": "2026-11-25T10:00:00+00:00",
        "versions": {"python": "3.11.7", "tensorflow": "2.21.0", "torch": "2.14.1+cu130"},
        "machine": {"cpu": "Example CPU", "cores": 2},
    }
    text = provenance([record, record])
    assert (
        "Verified with TensorFlow 2.21.0, PyTorch 2.14.1, Python 3.11.7 on 2026-11-25, Example CPU (2 cores)." in text
    )


def test_panel_markdown_becomes_heading_badge_tabs_and_outputs(demo):
    demo.basic()
    site = build_site(demo.root)
    html = render_page(site, "<!-- claim: demo-basic-claim -->\n\n<!-- provenance -->\n")
    assert '<h3 class="claim-title" id="demo-basic-claim">' in html
    assert "verdict-badge--holds" in html
    assert '<label for="fw-demo-basic-claim-tensorflow">TensorFlow</label>' in html
    assert '<label for="fw-demo-basic-claim-pytorch">PyTorch</label>' in html
    tf_panel = html.split('<div class="fw-panel fw-panel--tensorflow">')[1].split(
        '<div class="fw-panel fw-panel--pytorch">'
    )[0]
    assert "tf side 42" in tf_panel and "torch side 42" not in tf_panel
    assert "torch side 42" in html.split('<div class="fw-panel fw-panel--pytorch">')[1]
    assert 'href="notebooks/demo/basic.ipynb"' in html
    assert "Verified with TensorFlow" in html


def test_notebook_page_outputs_are_wrapped_for_search_exclusion():
    html = '<div class="jp-Cell"><div class="jp-OutputArea"><div><pre>42</pre></div></div></div>'
    wrapped = tidy_notebook_page(html, [], lambda href: None)
    assert '<section class="nb-search-excluded" data-search-exclude=""><div class="jp-OutputArea">' in wrapped


def test_embedded_data_folds_to_one_line_naming_its_files_without_the_copy_text():
    source = 'DATA_FILES = {\n    "bench/results/full.json": r"""\n{\n    "schema": 2,\n'
    source += '    "mode": "full"\n}\n""",\n}\n'
    html = (
        '<div class="jp-Cell celltag_embedded-data"><div class="zeroclipboard-container">copy</div>'
        f'<div class="clipboard-copy-txt">{source}</div><div class="highlight-ipynb"><pre>{source}</pre></div></div>'
    )
    page = tidy_notebook_page(html, [], lambda href: None)
    assert "the data files it reads: bench/results/full.json, embedded (8 lines" in page
    assert '"mode"' not in page and "clipboard-copy-txt" not in page and "zeroclipboard" not in page


def test_shared_cells_render_full_width_under_the_columns(demo):
    from builders import claim

    demo.write_notebook(
        "demo/basic.ipynb",
        [
            ("md", "# Shared"),
            ("code", TF_ASSERT + "\nprint('tf')", ["tf-check"]),
            ("code", TORCH_ASSERT + "\nprint('pt')", ["pt-check"]),
            ("code", "print('one figure for both')", ["both-plot"]),
        ],
    )
    entry = claim("demo-shared")
    entry["evidence"]["both"] = {"notebook": "demo/basic.ipynb", "cells": ["both-plot"]}
    demo.write_claims([entry])
    demo.write_page("# Demo { #demo }\n\n<!-- claim: demo-shared -->\n")
    site = build_site(demo.root)
    html = render_page(site, "<!-- claim: demo-shared -->\n")
    assert html.index('class="claim-evidence"') < html.index('class="claim-shared"') < html.index("one figure for both")


def test_code_holding_a_fence_gets_a_longer_fence():
    from factcheck.pages.render import _fence

    block = _fence("doc = '''\n```\n'''", "TensorFlow · tag")
    assert block.startswith('````{ .python title="TensorFlow · tag"') and block.endswith("\n````")


def test_values_in_an_explanation_come_from_the_cell_that_recorded_them(demo):
    from builders import claim

    demo.write_notebook(
        "demo/basic.ipynb",
        [
            ("md", "# Values"),
            (
                "code",
                TF_ASSERT + "\nsize = 21.09\nrecord('demo-kb', size, '{:.1f} KB')",
                ["tf-check"],
            ),
            ("code", TORCH_ASSERT, ["pt-check"]),
        ],
    )
    entry = claim("demo-valued", explanation="The file is <!-- value: demo-kb --> small. It stays small.")
    broken = claim("demo-broken", explanation="The file is <!-- value: demo-nothing --> small. Oops.")
    demo.write_claims([entry])
    demo.write_page("# Demo { #demo }\n\n<!-- claim: demo-valued -->\n")
    site = build_site(demo.root)
    assert "The file is 21.1 KB small." in render_page(site, "<!-- claim: demo-valued -->\n")
    assert site.claims_json(lambda page: page)["claims"][0]["explanation"].startswith("The file is 21.1 KB small.")

    demo.write_claims([entry, broken])
    demo.write_page("# Demo { #demo }\n\n<!-- claim: demo-valued -->\n\n<!-- claim: demo-broken -->\n")
    with pytest.raises(EvidenceError, match=r"demo.yaml: claim 'demo-broken': explanation names value 'demo-nothing'"):
        build_site(demo.root)


def test_a_differences_table_takes_each_default_from_a_recorded_value(demo):
    from builders import claim

    demo.write_notebook(
        "demo/basic.ipynb",
        [
            ("md", "# Defaults"),
            (
                "code",
                TF_ASSERT + "\ntf_eps = 10 ** -3\nrecord('demo-eps-tf', tf_eps, '{:g}')",
                ["tf-check"],
            ),
            (
                "code",
                TORCH_ASSERT + "\npt_eps = 10 ** -5\nrecord('demo-eps-torch', pt_eps, '{:g}')\n"
                "record('demo-gap', 0.25, '{:.2f}')",
                ["pt-check"],
            ),
        ],
    )
    diff = {"setting": "Epsilon", "changes": "inference", "tensorflow": "demo-eps-tf", "pytorch": "demo-eps-torch",
            "symptom": "Outputs differ by <!-- value: demo-gap -->.",
            "fix": "set eps to <!-- value: demo-eps-tf -->"}  # fmt: skip
    origin = {"title": "Framework docs: a layer", "url": "https://example.org/docs/layer"}
    demo.write_claims([claim("demo-eps", difference=diff, origin=origin)])
    demo.write_page("# Demo { #demo }\n\n<!-- differences-table -->\n\n<!-- claim: demo-eps -->\n")
    site = build_site(demo.root)
    html = render_page(site, "<!-- differences-table -->\n\n<!-- claim: demo-eps -->\n")
    assert (
        "<td>Epsilon</td><td>Inference outputs</td><td><code>0.001</code></td><td><code>1e-05</code></td>"
        in html.replace("\n", "")
    )
    assert "Outputs differ by 0.25. Fix: set eps to 0.001" in html
    assert '<a href="https://example.org/docs/layer">Framework docs: a layer</a> (beyond the article)' in html

    diff["pytorch"] = "demo-eps-missing"
    demo.write_claims([claim("demo-eps", difference=diff)])
    with pytest.raises(
        EvidenceError, match=r"claim 'demo-eps': field 'difference.pytorch' names value 'demo-eps-missing'"
    ):
        build_site(demo.root)


def test_the_checklist_lists_what_changes_inference_before_training_each_with_its_fix(demo):
    from builders import claim

    demo.write_notebook(
        "demo/basic.ipynb",
        [
            ("md", "# Defaults"),
            ("code", TF_ASSERT + "\nrecord('demo-a-tf', 1)\nrecord('demo-b-tf', 2)", ["tf-check"]),
            ("code", TORCH_ASSERT + "\nrecord('demo-a-torch', 3)\nrecord('demo-b-torch', 4)", ["pt-check"]),
        ],
    )

    def diff(name, changes):
        return {"setting": f"Setting {name}", "changes": changes, "tensorflow": f"demo-{name}-tf",
                "pytorch": f"demo-{name}-torch", "symptom": "Something differs.",
                "fix": f"fix {name} with <!-- value: demo-{name}-tf -->"}  # fmt: skip

    # the training difference comes first in the registry; the checklist still starts with inference
    demo.write_claims(
        [claim("demo-train", difference=diff("a", "training")), claim("demo-infer", difference=diff("b", "inference"))]
    )
    page = "<!-- differences-checklist -->\n\n<!-- claim: demo-train -->\n\n<!-- claim: demo-infer -->\n"
    demo.write_page("# Demo { #demo }\n\n" + page)
    html = render_page(build_site(demo.root), page)
    inference, training = html.index("The outputs differ"), html.index("Training differs")
    assert inference < html.index("Setting b") < training < html.index("Setting a")
    assert '#demo-infer">Setting b</a>: fix b with 2' in html
    table = render_page(build_site(demo.root), "<!-- differences-table -->\n")
    assert table.index("Setting b") < table.index("Setting a"), "the table follows the same order"


def test_a_module_the_notebooks_embed_is_shown_from_the_file_and_published_for_download(demo):
    (demo.root / "src").mkdir()
    (demo.root / "src" / "helper.py").write_text('"""A helper."""\n\n\ndef twice(x):\n    return 2 * x  # x < 3 & y\n')
    demo.write_notebook("demo/basic.ipynb", BASIC, metadata={"depends": ["src/helper.py"]})
    demo.write_claims([claim("demo-basic-claim")])
    demo.write_page("# Demo { #demo }\n\n<!-- module-source: src/helper.py -->\n\n<!-- claim: demo-basic-claim -->\n")
    site = build_site(demo.root)
    html = render_page(site, "<!-- module-source: src/helper.py -->\n")
    assert "return 2 * x  # x &lt; 3 &amp; y" in html, "the file itself, escaped"
    assert 'href="downloads/helper.py" download' in html
    stash = []
    resolve = site.resolver("demo.md", "demo/")  # as MkDocs serves the page, one folder down
    resolve("module-source", "src/helper.py", lambda raw: stash.append(raw) or "")
    assert 'href="../downloads/helper.py" download' in stash[0]
    assert site.files(lambda page: page)["downloads/helper.py"] == (demo.root / "src" / "helper.py").read_bytes()
    with pytest.raises(PageError, match=r"module-source 'src/other.py' is not a module a notebook declares"):
        render_page(site, "<!-- module-source: src/other.py -->\n")


def test_a_side_no_code_can_decide_says_so_and_need_not_assert(demo):
    from builders import claim

    demo.write_notebook(
        "demo/basic.ipynb",
        [("md", "# Opinion"), ("code", "print('context only')", ["tf-check"]), ("code", TORCH_ASSERT, ["pt-check"])],
    )
    entry = claim("demo-opinion")
    entry["evidence"]["tensorflow"]["untestable"] = "Whether a framework is loved is an opinion, read from surveys."
    demo.write_claims([entry])
    demo.write_page("# Demo { #demo }\n\n<!-- claim: demo-opinion -->\n")
    site = build_site(demo.root)
    html = render_page(site, "<!-- claim: demo-opinion -->\n")
    assert "Judged from sources; no code can test this:</strong> Whether a framework is loved" in html

    del entry["evidence"]["tensorflow"]["untestable"]
    demo.write_claims([entry])
    with pytest.raises(EvidenceError, match="asserts anything"):
        build_site(demo.root)


def test_code_blocks_keep_one_span_per_run_of_one_colour():
    """Material draws string pieces, numbers and comments each in one colour, so neighbouring
    spans of a group merge, and tokens in the code's own colour lose their span (a phone lays
    out fewer elements); nbconvert's code on notebook pages, coloured apart, is left alone."""
    from factcheck.pages.page_weight import lean_code

    material = (
        '<pre><code><span class="nb">print</span><span class="p">(</span><span class="sa">f</span>'
        '<span class="s2">"a </span><span class="si">{</span><span class="n">x</span><span class="si">}</span>'
        '<span class="s2">"</span>, <span class="kc">None</span>, <span class="mi">1</span><span class="mf">.5</span>)'
        "</code></pre>"
    )
    assert lean_code(material) == (
        '<pre><code tabindex="0"><span class="nb">print</span>(f<span class="s2">"a {</span>x'
        '<span class="si">}"</span>, None, <span class="mi">1.5</span>)</code></pre>'
    )
    notebook = '<div class="highlight-ipynb"><pre><span class="sa">f</span><span class="s2">"a</span></pre></div>'
    assert lean_code(notebook) == notebook
