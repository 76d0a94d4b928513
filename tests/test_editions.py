"""Editions as data: the reader's choices (trim, sheet, type size, font, outputs) give
the table of printed files, and a build makes exactly those, on the right paper."""

import pikepdf
import pytest

from samizdat import build, editions
from samizdat.errors import UserError

MM = editions.MM


def kinds(**choices):
    return [(e.kind, e.page.name, e.sheet and e.sheet.name)
            for e in editions.plan(editions.Choices(**choices))]


def test_the_house_plan_is_a5_with_pamphlets_for_a4_and_letter():
    assert kinds() == [("pdf", "A5", None), ("pamphlet-a4", "A5", "A4"),
                       ("pamphlet-letter", "half-letter", "Letter")]


@pytest.mark.parametrize("trim, sheet", [("a6", "A5"), ("a5", "A4"), ("half-letter", "Letter"),
                                         ("quarter-letter", "half-letter"),
                                         ("120x180mm", "A4"), ("4x6in", "A4")])
def test_the_sheet_follows_the_trim(trim, sheet):
    page = editions.trim(trim)
    assert kinds(trim=page) == [("pdf", page.name, None),
                                (f"pamphlet-{sheet.lower()}", page.name, sheet)]


@pytest.mark.parametrize("key, text", [("trim", "a7"), ("trim", "10x10mm"), ("trim", "120x18"),
                                       ("sheet", "b4"), ("type-size", "40"),
                                       ("type-size", "big"), ("font", "comic"),
                                       ("outputs", "mobi"), ("outputs", "")])
def test_a_choice_samizdat_cannot_make_is_refused_naming_what_it_takes(key, text):
    with pytest.raises(editions.ChoiceError) as refused:
        editions.Choices.of({key: text})
    assert refused.value.key == key


def test_a_sheet_too_small_for_two_pages_is_refused():
    with pytest.raises(editions.ChoiceError, match="do not fit"):
        editions.plan(editions.Choices(sheet=editions.SHEETS["a5"]))
    with pytest.raises(editions.ChoiceError, match="no sheet"):
        editions.sheet_for(editions.trim("400x400mm"))


def test_the_command_line_wins_over_the_manuscript():
    choices = editions.Choices.of({"trim": "a6", "font": "gentium", "outputs": "epub pdf"},
                                  {"trim": "quarter-letter"})
    assert choices.trim.name == "quarter-letter" and choices.font == "gentium"
    assert [e.kind for e in editions.plan(choices)] == ["pdf"]


def boxes(path):
    with pikepdf.open(path) as pdf:
        return {tuple(round(float(v) / MM) for v in page.mediabox[2:]) for page in pdf.pages}


@pytest.mark.parametrize("yaml, given, files, page, sheet", [
    ("trim: a6\n", (), ["t.pdf", "t-pamphlet-a5.pdf", "t-printer-test-a5.pdf", "t.epub",
                 "t.kepub.epub"],
     (105, 148), (210, 148)),
    ("trim: a6\ntype-size: 9pt\nfont: gentium\n", (("trim", "120x180mm"), ("outputs", "pdf,pamphlet")),
     ["t.pdf", "t-pamphlet-a4.pdf", "t-printer-test.pdf"], (120, 180), (297, 210)),
])
def test_a_chosen_trim_builds_with_notes_on_their_page_on_its_sheet(tmp_path, yaml, given,
                                                                   files, page, sheet):
    from test_footnotes import TWO_LINE_NOTE

    source = tmp_path / "t.md"
    source.write_text(TWO_LINE_NOTE.replace("---\n\n", f"{yaml}---\n\n", 1), encoding="utf-8")
    out = tmp_path / "out"
    build.build(source, out, printing=build.PrintOptions(given=given), parallel=False)
    made = sorted(p.name for p in out.iterdir() if p.suffix in (".pdf", ".epub"))
    assert made == sorted(files)
    assert boxes(out / "t.pdf") == {page}
    assert boxes(out / files[1]) == {sheet}


def test_a_bad_choice_in_the_yaml_is_refused_with_its_line(tmp_path):
    from test_footnotes import TWO_LINE_NOTE

    source = tmp_path / "t.md"
    source.write_text(TWO_LINE_NOTE.replace("---\n\n", "trim: b7\n---\n\n", 1), encoding="utf-8")
    with pytest.raises(UserError) as refused:
        build.check(source)
    assert [str(f) for f in refused.value.findings if f.is_error] == [
        f"M008 {source}:7: trim 'b7': one of a5, a6, half-letter, quarter-letter or "
        "WIDTHxHEIGHT with mm or in (e.g. 120x180mm)"]
