"""Every change Samizdat makes at run time to code it does not own, in one table.

WeasyPrint, pydyf, pyphen, ctypes and CPython itself are changed while a build runs, each
change only inside a `with` block and only where the code it changes is the code it was
written for: the sha256 of each target's source (`inspect.getsource`), or for a trick on
the interpreter itself, its minor version. A patch whose gate does not open is left out,
said once as W001 with what that costs, and the build goes on: the layout checks still
refuse what a missing fix lets go wrong; a missing speed-up only costs time.

`python -m samizdat.patches` prints the table of docs/patches.md (a test holds the two
together). This module imports nothing heavy: it is read before WeasyPrint is.
"""

import contextlib
import functools
import hashlib
import importlib
import inspect
import sys
import threading
from dataclasses import dataclass

_swapping = threading.RLock()


@dataclass(frozen=True)
class Patch:
    """One runtime change: where (`targets`: dotted name and the sha256 of its source,
    or `python`: the CPython minor versions), what and why, the upstream issue, the
    version it was written for, the test that proves it and the bench that keeps it."""

    name: str
    library: str
    written_for: str
    what: str
    why: str
    upstream: str
    proof: str  # tests/<file>.py::<test>
    bench: str
    cost: str  # what a build loses when the gate stays shut
    targets: tuple = ()  # (dotted name, sha256 of its source)
    python: tuple = ()  # ((3, 11), ...): the interpreters a trick on CPython was written for

    @property
    def digest(self):
        """The sha256 of the one target (patches with one target)."""
        (_, digest), = self.targets
        return digest


PATCHES = (
    Patch("notes-deferral", "WeasyPrint", "70.0",
          "a line's overflow defers the page's notes only under `footnote-policy: auto`",
          "a note was pushed one or two pages past its call whatever footnote-policy said",
          "Kozea/WeasyPrint#2502, #1564", "tests/test_footnotes.py::test_unfixed_weasyprint_"
          "misplaces_and_detection_agrees_with_the_pdf", "none: a fix", "a note may be printed "
          "after its call's page, and refused (P001)",
          (("weasyprint.layout.block._linebox_layout",
            "e07bbe000974787ee370be1f419a01a21b327a1a1e3025a65afd47589060883d"),)),
    Patch("notes-rounding", "WeasyPrint", "70.0",
          "a note no more than 0.01 px below its footnote area's bottom fits",
          "a rounding error pushed a note that fits onto the next page",
          "none filed", "tests/test_footnotes.py::test_a_note_a_rounding_error_pushed_off_its_"
          "page_stays", "none: a fix", "a note may be pushed past its call's page by a "
          "rounding error, and refused (P001)",
          (("weasyprint.layout.LayoutContext._update_footnote_area",
            "2e317e4b066fb80cb369a41cd6f054a127722f9961c18ef4d6e1eef93673c4c1"),)),
    Patch("notes-remembered", "WeasyPrint", "70.0",
          "a note laid out again in a footnote area is a copy of its first layout, moved",
          "the area is laid out afresh for each note added: quadratic in a page's notes",
          "none filed", "tests/test_footnotes.py::test_notes_remembered_give_the_same_pdf_"
          "with_less_layout", "docs/speed.md: a novel given 2,000 notes, A5 layout 33-34 s -> "
          "19-25 s", "pages with many notes are laid out more slowly",
          (("weasyprint.layout.block.block_level_layout",
            "c1301dde9284e24519ee0432b508d6cd79768018d2564d4066f0fdf103982dd6"),)),
    Patch("hanging-spaces", "WeasyPrint", "70.0",
          "a run fits a line if it fits without its trailing spaces",
          "a line kept only a run's first word ('A', the sentence below it)",
          "none filed", "tests/test_linebreak.py::test_fixed_the_run_keeps_its_line_and_the_"
          "emphasis_moves_down", "none: a fix", "a line may hold one word, and be refused (P006)",
          (("weasyprint.text.line_break.split_first_line",
            "39ad1016863ca34de0bea4c9fcffb46da7e27813c87dd82b7011bfa19fe5504f"),)),
    Patch("text-layer", "WeasyPrint", "70.0",
          "a cluster whose glyphs do not spell its characters (or with a mark moved) is "
          "drawn in an ActualText span; each new glyph maps to its own character; a glyph "
          "drawn as nothing moves the pen by its width in thousandths of an em; a "
          "right-to-left mark moved off its pen is drawn with no text of its own, an "
          "inkless copy at its letter giving it",
          "Indic vowel signs were lost or reordered when copying or searching; Yoruba's "
          "marks came out as C1 controls and '©'; a widened U+200B moved the pen 2.4% too "
          "far (Pango units taken for thousandths): Burmese lines ran 1.8-2.4 pt past the "
          "edge", "none filed",
          "tests/test_textlayer.py::test_without_the_fix_the_phrase_is_lost", "none: a fix (its cost is "
          "kept off simple runs: textlayer.SIMPLE)", "copying or searching the PDF loses or "
          "reorders the letters of scripts drawn with reordered or combined glyphs",
          (("weasyprint.draw.text.draw_first_line",
            "1bb8eae6d88e71b17096a034656f3be17da8f1f513c78536c1c38d971927638b"),)),
    Patch("text-arrays", "pydyf", "0.13.0",
          "no TJ array is written with an empty string in it (`[<>-75.3<0001>-71]` is "
          "written `[-75.3<0001>-71]`: the same drawing)",
          "PDFium drops the number ending a TJ array that holds an empty string, which "
          "WeasyPrint writes for a run opening with a moved glyph: Thai, Lao, Khmer, "
          "Burmese justified lines ended 2-7 pt short in Chrome's viewer", "none filed",
          "tests/test_textlayer.py::test_pdfium_draws_every_text_array_as_the_standard_does",
          "none: a fix", "in PDFium (Chrome's viewer) some justified lines end short of the "
          "edge and words after a moved glyph stand a few points to the left",
          (("pydyf.Stream.show_text",
            "3e008af86f62f42c382b8d75f85a92022008f8254db58a9d8f58f137ee7bcc40"),)),
    Patch("script-justification", "WeasyPrint", "70.0",
          "a justified line is widened as its script is: Chinese and Japanese between "
          "characters; Thai, Lao, Khmer, Burmese and Ethiopic at word ends; Korean at its "
          "spaces, measured as drawn",
          "WeasyPrint widens only spaces: CJK lines ended nearly an em short, a Thai line's "
          "one space took the whole gap; Korean lines, whose spaces it measures in the "
          "Hangul font and draws in Libertine's, 3-7 pt short", "none filed",
          "tests/test_breaking.py::test_a_justified_line_reaches_the_right_edge",
          "none: a fix (three Pango layouts more per text box of such a line)",
          "Chinese, Japanese, Thai, Lao, Khmer and Burmese lines are justified by their "
          "spaces alone (short of the edge)",
          (("weasyprint.layout.inline.justify_line",
            "f83b21ff8793ba6b6dfc5fe8e10e4ab6cd6e02b17de02da97200902166148a81"),
           ("weasyprint.text.line_break.Layout.reactivate",
            "0b89ee097104b71376c179f48a98858708b07169dc0212c393263a1a831607c9"))),
    Patch("standard-hyphenation", "pyphen", "0.18.1",
          "pyphen offers only breaks that keep a word's letters",
          "WeasyPrint printed Hungarian 'mennyire' as 'meny-' + 'yire', a misspelt word",
          "none filed", "tests/test_linebreak.py::test_a_word_is_broken_only_where_its_letters_"
          "stay_as_they_are", "none: a fix", "a word with a non-standard break may be misspelt, "
          "and refused (P002)",
          (("pyphen.Pyphen.iterate",
            "f2a0f8af4dc26910174e902ee864bbe74911445a0fe9ec89f87f76678554006c"),)),
    Patch("more-hyphenation", "pyphen", "0.18.1",
          "pyphen also knows TeX's hyph-utf8 patterns for Malayalam, Tamil, Hindi, Bengali, "
          "Gujarati, Georgian and Armenian (styles/hyphenation), never a language it has",
          "pyphen has no patterns for them: justified Malayalam and Georgian lines of two or "
          "three long words were spread across the measure in wide gaps", "none filed",
          "tests/test_linebreak.py::test_malayalam_and_georgian_are_hyphenated_and_their_"
          "gaps_stay_narrow", "none: a fix", "Malayalam, Tamil, Hindi, Bengali, Gujarati, "
          "Georgian and Armenian are not hyphenated: justified lines with wide word gaps",
          (("pyphen.language_fallback",
            "6a6256997de342ce9890f201c6793c48431c9baa84f1b344d3aa139f4eebd009"),
           ("pyphen.Pyphen.__init__",
            "1c1b59c9518757356518403be18673731b6c414bb9d1dc84a0a48a518617a23d"))),
    Patch("black-ink", "WeasyPrint", "70.0",
          "while a bound book's interior is written, every RGB colour is black ink alone "
          "(DeviceCMYK 0 0 0 K, its grey)",
          "PDF/X-1a, which IngramSpark asks for, has no RGB; WeasyPrint writes black text "
          "as RGB", "none filed",
          "tests/test_book.py::test_short_interior_is_pdfx_with_bleed_and_even", "none: a fix "
          "(only the interior is written with it)", "a book interior's colours stay RGB, "
          "and it is refused (B002)",
          (("weasyprint.pdf.stream.Stream.set_color",
            "d289ec41ef8285c2dde81e92fbf400ef3b9f22b14d9484529d2ab967e827e451"),)),
    Patch("page-references", "pydyf", "0.13.0",
          "the list of every page's reference is made once per page count",
          "tagging read it 19,000 times for a 244-page PDF: 2.5 of 9.7 s",
          "none filed", "tests/test_weasy.py::test_a_tagged_pdf_is_the_same_bytes_with_page_"
          "references_remembered", "docs/speed.md: tagged write 9.7 -> 6.6 s",
          "tagged PDFs of long texts are written more slowly",
          (("pydyf.PDF.page_references",
            "060bf90aad55931bc24c3575a52af9478a89916aa307e5323142663841cb7798"),)),
    Patch("deflate-level", "pydyf", "0.13.0",
          "PDF streams are deflated at zlib's level 6, not 9",
          "level 9 took 79 ms for 238 KB on the first text's A5 PDF; level 6 24 ms, 242 KB",
          "none filed", "tests/test_weasy.py::test_write_pdf_deflates_every_stream_at_its_"
          "level_and_leaves_pydyf_as_it_was", "docs/speed.md: 79 -> 24 ms per A5 PDF",
          "PDFs are written more slowly (and 1.5% smaller)",
          (("pydyf.Stream.data",
            "bdc2bc513f286de7b7a7220a43e6085daa6ed0056d9c04e3c9b5abe40f3ecf81"),
           ("pydyf.Stream.inline_image",
            "614a782c81db20768aa8977915c98c9d37655f318d07891428e030d7cd28e9c7"))),
    Patch("library-lookup", "ctypes", "CPython 3.11",
          "WeasyPrint's shared-library lookups are answered from one `ldconfig -p` read",
          "ctypes ran ldconfig (and gcc) once per spelling of each library: 0.45 -> 0.30 s",
          "none filed", "tests/test_weasy.py::test_the_same_shared_libraries_load_as_with_a_"
          "plain_import", "docs/speed.md: WeasyPrint's import 0.45 -> 0.30 s",
          "WeasyPrint is imported more slowly",
          (("ctypes.util.find_library",
            "6b29ba9fda50ff66f4bf2f8fcccbbd456a692b1eee5f27fafce32fe6467060dc"),)),
    Patch("frame-room", "CPython", "3.11 to 3.13",
          "layout and PDF writing run from a frame with 512 KiB of spare stack slots",
          "CPython maps and unmaps a 16 KiB frame chunk on every call across its end",
          "python/cpython#142183", "tests/test_framestack.py::test_with_room_the_same_loops_"
          "fault_no_more_than_a_few_pages", "docs/speed.md: library of 6 texts 9.0-9.6 -> "
          "7.4-7.8 s", "deep layout loops may map memory on every call",
          python=((3, 11), (3, 12), (3, 13))),
)
BY_NAME = {patch.name: patch for patch in PATCHES}


def patch(name):
    """The Patch called `name`."""
    return BY_NAME[name]


def digest_of(function):
    """sha256 of `function`'s source, or None when it has none to read."""
    function = getattr(function, "fget", function)  # a property: its getter
    try:
        return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()
    except (OSError, TypeError):
        return None


def resolve(dotted):
    """The object a dotted name names: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            found = inspect.getattr_static(found, part) if inspect.isclass(found) else \
                getattr(found, part)
        return getattr(found, "samizdat_original", found)
    raise ImportError(dotted)


def opens(name, digests=None):
    """Whether patch `name`'s gate opens: each target's source is the one it was written
    for (`digests` overrides the table's, for a module's own constants), or this is one
    of the interpreters it was written for. When not, W001 says so, once."""
    p = patch(name)
    if p.python:
        shut = [f"CPython {sys.version_info[0]}.{sys.version_info[1]}"] \
            if sys.version_info[:2] not in p.python else []
    else:
        digests = digests or [d for _, d in p.targets]
        shut = [dotted for (dotted, _), d in zip(p.targets, digests)
                if digest_of(resolve(dotted)) != d]
    if shut:
        say_not_applied(p.library, ", ".join(shut), _version(p.library), p.library + " " +
                        p.written_for, p.cost)
    return not shut


def _version(library):
    if library == "CPython" or library == "ctypes":
        return "%d.%d.%d" % sys.version_info[:3]
    module = importlib.import_module(library.lower())
    return getattr(module, "__version__", getattr(module, "VERSION", "?"))


@contextlib.contextmanager
def applied(name, owners, attribute, value, *, digests=None):
    """Within the block `attribute` of each of `owners` is `value`, if patch `name`'s
    gate opens (yields True); else nothing changes and the block runs as the library
    has it (yields False, W001 said once)."""
    if not opens(name, digests):
        yield False
        return
    with swapped(owners, attribute, value):
        yield True


@contextlib.contextmanager
def swapped(owners, name, value):
    """Within the block attribute `name` of each of `owners` is `value`; renders and
    writes in other threads wait meanwhile (one swap at a time). Only patches call it."""
    with _swapping:
        before = [getattr(owner, name) for owner in owners]
        for owner in owners:
            setattr(owner, name, value)
        try:
            yield
        finally:
            for owner, standard in zip(owners, before):
                setattr(owner, name, standard)


@functools.cache
def say_not_applied(library, where, version, written_for, consequence):
    """W001, once per fix: a fix to `library` is not applied, because `where` in its
    `version` is not the code the fix was written for (`written_for`)."""
    import logging

    logging.getLogger("samizdat").warning(
        "W001 samizdat: a fix to %s is not applied: %s in %s %s is not the code it was "
        "written for (%s); %s", library, where, library, version, written_for, consequence)


def markdown():
    """The table of docs/patches.md: one row a patch."""
    rows = ["| patch | changes | why | upstream | written for (gate) | proof | bench | "
            "when the gate stays shut |", "| --- " * 8 + "|"]
    for p in PATCHES:
        gate = (", ".join(f"`{dotted}` sha256 {digest[:12]}…" for dotted, digest in p.targets)
                or "CPython " + ", ".join("%d.%d" % v for v in p.python))
        rows.append(f"| `{p.name}` | {p.what} | {p.why} | {p.upstream} | {p.library} "
                    f"{p.written_for}: {gate} | `{p.proof}` | {p.bench} | {p.cost} |")
    return "\n".join(rows) + "\n"

