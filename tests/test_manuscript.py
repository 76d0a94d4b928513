"""The manuscript holds every word of the seed, in reading order, each note at its call."""

import re

import pytest

from conftest import SEED


# Seed lines of the title page (3-15) and the colophon (23-31): they live in the YAML.
FRONT_AND_BACK = set(range(1, 17)) | set(range(23, 32))


def seed_chunks():
    """The seed's body paragraphs as runs of words, note lines and colophon left out."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    chunks = []
    for number, line in enumerate(lines, 1):
        if number in FRONT_AND_BACK or not line.strip() or line.startswith(("---", "<sup>")):
            continue
        words = normalise(line).split()
        if words[-1].endswith("-"):
            words[-1] = words[-1][:-1]
        chunks.append(words)
    return chunks


def normalise(text):
    text = re.sub(r"<sup>(\d)</sup>", " ", text)          # note calls
    text = re.sub(r"<sup>(\w+)</sup>", r"\1", text)        # 12<sup>th</sup>
    return text.replace("*", "")


def manuscript_words(real):
    return " ".join(real.paragraphs).split()


def test_every_seed_paragraph_is_in_the_manuscript_in_one_piece(real):
    text = " ".join(manuscript_words(real))
    missing = [" ".join(c[:8]) for c in seed_chunks() if " ".join(c[1:-1]) not in text]
    assert missing == []


def test_the_manuscript_has_exactly_the_seeds_words(real):
    seed = [w for chunk in seed_chunks() for w in chunk]
    for head, tail in (("con", "trol”"), ("sys", "tematically"), ("them", "selves")):
        seed.remove(head)  # words split across the seed's page ends, rejoined
        seed.remove(tail)
        seed.append(head + tail)
    assert sorted(seed) == sorted(manuscript_words(real))


def test_reading_order_follows_the_argument(real):
    starts = [p[:30] for p in real.paragraphs]
    order = ["I was attracted", "Brinton believes that", "The Petrograd soviet",
             "By October 1917", "Limiting their aspiration", "The fate of the factory",
             "Probably the most important", "Did the minority status", "I think it is helpful",
             "When Marx drew up", "I'm not here arguing"]
    found = [next(i for i, s in enumerate(starts) if s.startswith(o)) for o in order]
    assert found == sorted(found)
    assert real.paragraphs[-1].endswith("the people create and control.")


def test_nine_notes_at_their_calls_with_their_full_text(real):
    seed = SEED.read_text(encoding="utf-8")
    notes = dict(re.findall(r"^<sup>(\d)</sup> (.*)$", seed, re.M))
    assert [" ".join(normalise(notes[k]).split()) for k in sorted(notes)] == real.notes
    text = real.text
    for label, after in [("1", "revolution."), ("3", "duties.”"), ("9", "coordinator class")]:
        assert f"{after}[^{label}]" in text


def test_superscripts_are_pandoc_superscripts(real):
    assert real.text.count("20^th^") == 2 and "12^th^" in real.text
    assert "<sup>" not in real.text


def test_metadata_is_complete(real):
    meta = real.meta
    assert meta["title"] == "Workers Power and the Russian Revolution"
    assert meta["author"] == "Tom Wetzel" and str(meta["date"]) == "2005"
    assert meta["rights"] == "Anti-Copyright" and meta["lang"] == "en-US"
    assert real.plain("source") == "Retrieved on 12th October 2020 from libcom.org."
    assert meta["library"] == {"name": "The Anarchist Library (Mirror)",
                               "url": "http://usa.anarchistlibraries.net"}
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", meta["identifier"])
    assert meta["description"] and len(meta["subject"]) >= 3


def test_quotation_marks_are_kept_as_in_the_source(real):
    # pandoc's smart extension would curl the straight quotes: the manuscript turns it off.
    html = real.pandoc(["-t", "html5"]).decode()
    assert '"workers councils"' in html and "“living corpses.”" in html


def test_the_chapter_level_is_the_first_heading_level_used_twice(tmp_path):
    from samizdat.source import manuscript

    def level(body):
        source = tmp_path / "c.md"
        source.write_text("---\ntitle: T\nauthor: A\ndate: 2024\nlang: en\nrights: x\n---\n\n"
                          + body, encoding="utf-8")
        return manuscript.load(source).chapter_level

    assert level("# A\n\n# B\n\n## b\n") == 1
    assert level("# Book\n\n## I\n\n## II\n") == 2
    assert level("## I\n\n## II\n") == 2
    assert level("::: {#x}\n## I\n:::\n\n::: {#y}\n## II\n:::\n") == 2  # inside divs too
    assert level("# Only\n\n## one\n") is None and level("Text.\n") is None


@pytest.mark.parametrize("written, shown, direction", [
    ("ara", "ar", "rtl"), ("heb", "he", "rtl"), ("per", "fa", "rtl"), ("eng", "en", "ltr"),
    ("pt-BR", "pt-BR", "ltr"), ("grc", "grc", "ltr")])
def test_the_language_is_carried_in_bcp_47s_shortest_form(tmp_path, written, shown, direction):
    """TEI conversions write ISO 639-2 (`ara`): the house style's `:lang(ar)` rules, the
    hyphenation and the labels look for `ar`."""
    from samizdat.source import manuscript

    source = tmp_path / "l.md"
    source.write_text(f"---\ntitle: T\nauthor: A\ndate: 2024\nlang: {written}\nrights: x\n"
                      "---\n\nText.\n", encoding="utf-8")
    ms = manuscript.load(source)
    assert (ms.lang, ms.pandoc_meta["lang"], ms.direction) == (shown, shown, direction)
