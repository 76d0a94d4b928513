"""Verse set as verse in the EPUB: ragged, unhyphenated, whatever shape it came in
(print: test_printhtml's verse tests)."""

import pytest

from samizdat.outputs import epub
from samizdat.weasy import CSS, HTML, descendants

# pandoc's EPUB XHTML of verse: a line block (Markdown's | lines, Muse's <verse>), a
# poem as Gutenberg's HTML marks it (class poem), and one as Standard Ebooks marks it
# (epub:type z3998:poem, a line indented with <span class="i1">; WeasyPrint reads
# no epub| selector: see the last test for those rules).
PAGE = """<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"
lang="en"><body>
<p id="prose">Prose, for the measure: justified and hyphenated as a book's text is.</p>
<div class="line-block" id="block">I wandered lonely as a cloud<br />
That floats on high o'er vales and hills,</div>
<div class="poem"><p id="gutenberg">When all at once I saw a crowd,<br />
A host, of golden daffodils;</p></div>
<div class="poem" epub:type="z3998:poem"><p id="se"><span>Beside the lake, beneath the trees,</span><br />
<span class="i1" id="indented">Fluttering and dancing in the breeze.</span></p></div>
</body></html>"""


@pytest.fixture(scope="module")
def styles():
    """{id: computed style} of PAGE's elements under the EPUB's style sheet."""
    sheet = CSS(filename=str(epub.STYLES / "epub.css"))
    document = HTML(string=PAGE).render(stylesheets=[sheet])
    found = {}
    for box in descendants(document.pages[0]._page_box):
        element = getattr(box, "element", None)
        if element is not None and element.get("id") and box.element_tag == element.tag:
            found.setdefault(element.get("id"), box.style)
    return found


def test_prose_is_justified(styles):
    assert styles["prose"]["text_align_all"] == "justify"


@pytest.mark.parametrize("verse", ["block", "gutenberg", "se"])
def test_verse_is_ragged_and_unhyphenated(styles, verse):
    """Seen on a 469-page poetry collection: its stanzas were justified like prose."""
    assert styles[verse]["text_align_all"] == "start"
    assert styles[verse]["hyphens"] == "manual"


def test_a_stanzas_first_line_hangs_and_an_indented_line_is_set_in(styles):
    assert styles["se"]["text_indent"].value < 0 < styles["se"]["padding_left"].value
    assert styles["indented"]["margin_left"].value > 0


def test_each_kind_of_poem_gets_the_verse_rule():
    """Standard Ebooks mark a poem (or a song, a hymn, verse in prose) by epub:type
    alone: each has the rule class poem has."""
    import re

    css = (epub.STYLES / "epub.css").read_text(encoding="utf-8")
    found = re.findall(r"([^{}]+?)\s*\{([^}]*)\}", re.sub(r"/\*.*?\*/", "", css, flags=re.S))
    rules = {" ".join(selector.split()): body for selector, body in found}
    body = " ".join(rules[".poem p, .verse p"].split())
    for kind in ("poem", "verse", "song", "hymn"):
        assert " ".join(rules[f'[epub|type~="z3998:{kind}"] p'].split()) == body
