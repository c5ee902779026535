"""The shared notebook stylesheet keeps what a notebook page can use and nothing else."""

from __future__ import annotations

from bs4 import BeautifulSoup

from factcheck.pages.notebook_css import purge_css, take_page_styles


def test_purge_keeps_rules_whose_classes_are_used_and_drops_the_rest():
    css = ".a .b{color:red}.a .unused{color:blue}.a,.gone{margin:0}p{padding:0}"
    out = purge_css(css, {"a", "b"})
    assert ".a .b{color:red}" in out and "unused" not in out and "gone" not in out
    assert ".a{margin:0}" in out and "p{padding:0}" in out


def test_purge_does_not_require_classes_inside_not():
    out = purge_css(".cell:not(.active) .prompt{opacity:1}", {"cell", "prompt"})
    assert ".cell:not(.active) .prompt{opacity:1}" in out


def test_purge_drops_selectors_that_can_never_match_and_recurses_into_media():
    css = ".w :root{--x:1}.w{--y:2}@media (max-width:10px){.w{--z:3}.nope{--q:4}}@keyframes k{from{opacity:0}}"
    out = purge_css(css, {"w"})
    assert "--x" not in out and ".w{--y:2}" in out
    assert "@media (max-width:10px){.w{--z:3}}" in out and "nope" not in out
    assert "@keyframes k" in out


def test_page_styles_are_taken_out_but_output_styles_stay():
    soup = BeautifulSoup(
        "<style>.w{color:red}</style><style>['pre {}']</style>"
        '<div class="jp-OutputArea"><style scoped>.dataframe{}</style></div>',
        "html.parser",
    )
    assert take_page_styles(soup) == ".w{color:red}"
    assert len(soup.find_all("style")) == 1 and soup.find("style").find_parent(class_="jp-OutputArea")
