"""`samizdat check SOURCE.md`: golden cases in tests/check/, and scan_notes edge cases.

Each folder tests/check/<case>/ holds `in.md` (the smallest manuscript showing the
problem, plus any file it points at) and `golden.txt`: the exact stderr lines of
`samizdat check tests/check/<case>/in.md` run from the repository root, then
`exit: N`. `SAMIZDAT_REGEN=1 pytest tests/test_check.py` rewrites the goldens; review
the diff before committing it.
"""

import os
import re

import pytest

from conftest import MANUSCRIPT, ROOT
from samizdat import cli
from samizdat.checks import lint
from samizdat.source import manuscript, text
from samizdat.source.notes import scan_notes
from samizdat.errors import UserError

CASES = ROOT / "tests" / "check"
REGEN = os.environ.get("SAMIZDAT_REGEN") == "1"
CODES = {"C001", "C002", "C003", "C004", "C005", "C006",
         "F000", "F001", "F002", "F003", "F004", "F005", "F006", "F007", "F008",
         "M001", "M002", "M003", "M004", "M005", "M006", "M007", "M008", "M009", "M011",
         "M012", "M013", "M014", "M015",
         "N001", "N002", "N003", "N004", "N005", "N006", "N007", "N008",
         "R001", "R002", "R003", "R004", "R005", "R006", "R007", "R008", "R009", "R010",
         "R011"}
WARNINGS = {"M004", "M005", "M006", "M012", "M014", "M015", "N006", "N008", "R007", "R008", "R009", "R010",
            "R011"}


def run_check(capsys, monkeypatch, path):
    """(stderr lines, exit status) of `samizdat check path`, run from the repo root."""
    monkeypatch.chdir(ROOT)
    status = cli.main(["check", str(path)])
    out, err = capsys.readouterr()
    assert out == ""
    return err.splitlines(), status


def case_names():
    return sorted(p.name for p in CASES.iterdir() if p.is_dir())


def source_of(case):
    """The case's manuscript: in.md (in.muse for a Muse text), unless the case is about
    the file's name (then the one .md file it holds)."""
    folder = CASES / case
    others = sorted(p.name for p in folder.glob("*.md"))
    if (folder / "in.muse").exists():
        return f"tests/check/{case}/in.muse"
    name = "in.md" if (folder / "in.md").exists() or not others else others[0]
    return f"tests/check/{case}/{name}"


@pytest.mark.parametrize("case", case_names())
def test_golden(case, capsys, monkeypatch):
    """The user sees exactly the golden lines and exit status."""
    lines, status = run_check(capsys, monkeypatch, source_of(case))
    got = "\n".join([*lines, f"exit: {status}"]) + "\n"
    golden = CASES / case / "golden.txt"
    if REGEN:
        golden.write_text(got, encoding="utf-8")
    assert got == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", case_names())
def test_case_shows_its_code_alone(case):
    """A case named after a code finds that code only, with a line number where one exists."""
    *lines, status = (CASES / case / "golden.txt").read_text(encoding="utf-8").splitlines()
    code = case.split("-")[0].upper()
    if case == "clean":
        assert lines == [] and status == "exit: 0"
        return
    # M009 names the shelf's samizdat.yaml beside the text, which it is about
    shown = f"tests/check/{case}/samizdat.yaml" if code == "M009" else source_of(case)
    assert lines and all(line.startswith(f"{code} {shown}") for line in lines)
    assert status == ("exit: 0" if code in WARNINGS else "exit: 1")
    if code not in ("F000", "F002", "F006", "F007", "M009"):  # the file as a whole
        assert all(re.match(rf"{code} \S+/in\.md:\d+: \S", line) for line in lines)


def test_every_code_has_a_case():
    assert {name.split("-")[0].upper() for name in case_names()} - {"CLEAN"} == CODES


def test_real_manuscript_is_clean(capsys, monkeypatch):
    assert run_check(capsys, monkeypatch, MANUSCRIPT.relative_to(ROOT)) == ([], 0)


# --- notes: what pandoc reads as a call or a definition --------------------------

def scan(text):
    """(calls, {label: text lines}) of `text`, calls as (label, line, inside)."""
    found = scan_notes(text)
    return found.calls, {d.label: d.text for d in found.definitions}


def test_continuation_paragraphs_belong_to_the_note():
    calls, notes = scan("A.[^1]\n\n[^1]: First.\n\n    Second.[^2]\n\n\tThird.\n\nBody.[^3]\n")
    assert notes == {"1": ["First.", "", "    Second.[^2]", "", "\tThird."]}
    assert calls == [("1", 1, None), ("2", 5, "1"), ("3", 9, None)]


def test_lazy_line_belongs_to_the_note():
    calls, notes = scan("A.[^1]\n\n[^1]: First\nline, lazily.[^2]\n[^3]: Next note.\n")
    assert notes == {"1": ["First", "line, lazily.[^2]"], "3": ["Next note."]}
    assert calls == [("1", 1, None), ("2", 4, "1")]


def test_definition_right_after_a_paragraph_is_text():
    # pandoc reads "[^1]: one" here as more of the paragraph, with a call in it.
    calls, notes = scan("A.[^1]\n[^1]: one\n")
    assert notes == {} and calls == [("1", 1, None), ("1", 2, None)]


def test_definition_after_a_heading_counts():
    assert scan("# A[^1]\n[^1]: one\n")[1] == {"1": ["one"]}


def test_two_space_indent_ends_the_note():
    calls, notes = scan("A.[^1]\n\n[^1]: x\n\n  Body.[^2]\n")
    assert notes == {"1": ["x"]} and calls[-1] == ("2", 5, None)


@pytest.mark.parametrize("text", [
    "Text `[^1]` here.",
    "A code span `over\n[^1]` two lines.",
    "Text ``a`[^1]`` here.",
    "Text \\[^1] here.",
    "Text <!-- [^1] --> here.",
    "<!--\n[^1]\n-->",
    "```\n[^1]\n```",
    "~~~~ {.md}\n[^1]\n~~~\n[^1]\n~~~~",
])
def test_calls_in_code_comments_or_escaped_are_text(text):
    assert scan(text)[0] == []


@pytest.mark.parametrize("text, calls", [
    ("Text ``a`` [^1] `b`.", [("1", 1, None)]),
    ("`` ` `` and [^1] and `x`", [("1", 1, None)]),
    ("Unclosed ` then [^1].", [("1", 1, None)]),
    ("```\ncode\n```\nAfter.[^1]", [("1", 4, None)]),
    ("<!-- a -->[^1]", [("1", 1, None)]),
    ("``a`[^1]` b", [("1", 1, None)]),  # no closing ``, so pandoc reads `a` as the code
    ("`not\n\ncode[^1]`", [("1", 3, None)]),  # a code span stops at a blank line
    ("Text\\\\[^1]", [("1", 1, None)]),  # an escaped backslash, then a real call
])
def test_calls_beside_code_and_comments_count(text, calls):
    assert scan(text)[0] == calls


def test_empty_definition_takes_the_next_paragraph():
    # pandoc reads on past one blank line after an empty `[^1]:`
    found = scan_notes("A.[^1]\n\n[^1]:\n\nSwallowed.[^2]\n")
    assert [(d.text, d.swallowed) for d in found.definitions] == [(["", "", "Swallowed.[^2]"], 5)]
    assert found.calls[-1] == ("2", 5, "1")


@pytest.mark.parametrize("text", [
    "A.[^1]\n\n[^1]:\n\n\nBody.\n",
    "A.[^1]\n\n[^1]:\n\n    Note.\n",
    "A.[^1]\n\n[^1]:\n    Note.\n",
    "A.[^1]\n\n[^1]:\nNote\nlazily.\n",
])
def test_empty_definition_swallows_nothing_else(text):
    assert [d.swallowed for d in scan_notes(text).definitions] == [None]


def test_line_starting_with_a_label_ends_the_note():
    calls, notes = scan("A.[^1]\n\n[^1]: x\n  [^2] is body text.\n")
    assert notes == {"1": ["x"]} and calls[-1] == ("2", 4, None)


@pytest.mark.parametrize("text, calls", [
    ("# A\n    code[^1]\n", []),                            # indented code after a heading
    ("A\n\n    code[^1]\n[^2]: x\n", []),                  # a definition may follow code
    ("- A\n\n    more[^1]\n", [("1", 3, None)]),          # a list paragraph, not code
    ("A\n- B\n\n    code[^1]\n", []),                     # no list without a blank line
    ("A\n# B[^1]\n[^2]: x\n", [("1", 2, None), ("2", 3, None)]),  # no heading either
    ("A\n~~~\n[^1]\n~~~\n", [("1", 3, None)]),             # a tilde fence cannot break in
    ("A\n```\n[^1]\n```\n", []),                          # a backtick fence can
    ("```\n[^1]\n", [("1", 2, None)]),                      # an unclosed fence is text
])
def test_blocks_as_pandoc_reads_them(text, calls):
    assert scan(text)[0] == calls


def test_definition_in_a_comment_is_no_definition():
    assert scan("A[^1]\n\n<!--\n\n[^1]: x\n\n-->\nB[^2]\n") == ([("1", 1, None), ("2", 8, None)],
                                                                  {})


def test_only_line_feeds_end_lines():
    # U+2028 and form feeds come in with pasted text; pandoc and editors do not count them
    calls, _ = scan("A\u2028B\x0cC\r\nD[^1]\n\n[^1]: x\n")
    assert calls == [("1", 2, None)]
    assert scan_notes("A\u2028B\n\n[^1]: x\n").definitions[0].line == 3


def test_label_with_hyphen_and_digit():
    calls, notes = scan("A.[^note-1]\n\n[^note-1]: One.\n")
    assert calls == [("note-1", 1, None)] and notes == {"note-1": ["One."]}


def test_fenced_code_in_a_note_is_skipped():
    text = "A.[^1]\n\n[^1]: x\n\n    ```\n    [^2]\n    ```\n\n    After.[^3]\n"
    assert scan(text)[0] == [("1", 1, None), ("3", 9, "1")]


def test_lines_count_from_first_line():
    text = "---\ntitle: T\n---\n\nA.[^1]\n\n[^1]: x\n"
    calls, _ = scan(text)
    assert scan_notes(text, 4).calls == [("1", 5, None)] == calls


# --- findings beyond the one-per-code goldens -------------------------------------

HEAD = ("---\ntitle: T\nauthor: A\ndate: '2005'\nlang: en\nrights: Anti-Copyright\n"
        "identifier: x\n---\n\n")


def findings(tmp_path, body, head=HEAD, files=()):
    """[(code, line)] for a manuscript `head + body` written into tmp_path."""
    for name in files:
        (tmp_path / name).write_text("x")
    path = tmp_path / "in.md"
    path.write_text(head + body, encoding="utf-8")
    return [(f.code, f.line) for f in lint.check(manuscript.load(path))]


@pytest.mark.parametrize("target", [
    "/etc/passwd", "file:///etc/passwd", "../x.png", "a/../../x.png", "%2e%2e/x.png", "C:/x.png",
])
def test_paths_leaving_the_folder_are_refused(tmp_path, target):
    # an image would be read from there: refused; a link is printed as its words
    assert findings(tmp_path, f"![a]({target})\n\n[b]({target})\n") == [("R002", 10), ("R010", 12)]


def test_web_links_are_fine_but_web_images_not(tmp_path):
    body = "[a](https://x.org/p.png) [b](ftp://x.org/) ![c](ftp://x.org/c.png)\n"
    assert findings(tmp_path, body) == [("R003", 10)]


def test_local_files_are_found_with_their_lines(tmp_path):
    body = "![b](sub/missing.png)\n\n![b](sub/missing.png)\n\n![c](my%20file.png)\n"
    assert findings(tmp_path, body) == [("R001", 10), ("R001", 12), ("R001", 14)]


def test_a_link_to_a_file_is_printed_as_its_words_whether_or_not_it_exists(tmp_path):
    # the book carries no file but its images: in the EPUB such a link is RSC-007
    body = "[a](ok.md)\n\n[c](my%20file.md)\n\n[d](x%00.md)\n"
    assert findings(tmp_path, body, files=["ok.md"]) == [("R010", 10), ("R010", 12),
                                                         ("R010", 14)]


def test_a_finding_names_the_line_of_its_use_not_of_a_mention(tmp_path):
    """Issue 25: R009 named line 259 for an image on line 722, an earlier line holding
    the file's name as text. The same image used twice, once with no text alternative;
    a missing one named in prose and in a reference definition; a link to nothing."""
    body = ("The scan is figure.png, and missing.png is lost; see /library/x.\n\n"
            "![The scan](figure.png)\n\n![](figure.png)\n\n![a](missing.png) and "
            "![b](<missing.png>)\n\n[it][ref] and [again](/library/x)\n\n"
            "[ref]: /library/x\n")
    assert findings(tmp_path, body, files=["figure.png"]) == [
        ("R005", 12), ("R005", 14), ("R001", 16), ("R001", 16), ("R010", 18), ("R010", 20),
        ("R009", 14)]


def test_a_muse_texts_links_are_found_on_its_own_lines(tmp_path):
    """backlinks.muse: the Markdown pandoc makes of its lines holds other words (a
    link's words and target both), so only a search of the Muse text finds them."""
    source = ROOT / "tests" / "muse" / "shelf" / "backlinks.muse"
    lines = [f.line for f in lint.check(manuscript.load(source)) if f.code == "R010"]
    assert lines == [6, 6, 6, 6, 8, 8, 8, 10, 10]


def test_a_call_written_as_a_links_words_is_a_link_unless_its_label_is_defined(tmp_path):
    """A web page's notes, converted by pandoc (`<a href="#fn:1"><sup>1</sup></a>`):
    pandoc reads `[^1^](#fn:1)` as a link while no `[^1^]:` exists, so no N001; with
    the definition it is a note (and its call is one)."""
    assert findings(tmp_path, "A.[^1^](#fn:1)\n\n1.  [B. [↩](#fnref:1)]{#fn:1}\n") == [
        ("R007", 12)]
    assert findings(tmp_path, "A.[^1](#x) [^2]\n\n[^1]: One.\n") == [("N001", 10)]


def test_nul_in_a_path_is_a_missing_file(tmp_path):
    assert findings(tmp_path, "![a](x%00.png)\n") == [("R001", 10)]


@pytest.mark.parametrize("field, value, code", [
    ("lang", "en_US", "M015"), ("lang", "xx", "M002"), ("lang", "en-GB", None),
    ("lang", "Русский", "M015"), ("lang", "russian", "M015"), ("lang", "EN-gb", None),
    ("lang", "en\u202e", "M002"), ("lang", "English\u200f", "M002"),  # bidi controls
    ("date", "2005-13-45", "M005"), ("date", "2005-02-30", "M005"), ("date", "2005-02", None),
    ("date", "2005-02-28", None), ("title", "''", "M001"), ("title", "{}", "M001"),
    ("rights", "CC BY-SA 4.0", None), ("rights", "Public domain", None),
    ("rights", "Public domain in the USA", None), ("rights", "No Copyright - United States", None),
    ("rights", "no licence is stated", "M012"), ("rights", "No copyright notice", "M012"),
    ("rights", "Rights unknown", "M012"), ("rights", "No known copyright restrictions", "M012"),
    ("rights", "Copyright status not determined", "M012"),
    ("rights", "All rights reserved", "M003"), ("rights", "Rights unknown. All rights reserved", "M003"),
    ("rights", "No license is granted to copy this text", "M003"), ("rights", "Tom Wetzel", "M003"),
])
def test_metadata_values(tmp_path, field, value, code):
    head = re.sub(rf"(?m)^{field}:.*$", f"{field}: {value}", HEAD)
    line = head.splitlines().index(f"{field}: {value}") + 1
    assert findings(tmp_path, "Text.\n", head) == ([(code, line)] if code else [])


def test_unquoted_bad_date_is_m005_not_a_crash(capsys, monkeypatch, tmp_path):
    # YAML would make 2005-13-45 a timestamp and fail inside the YAML library.
    path = tmp_path / "in.md"
    path.write_text(HEAD.replace("'2005'", "2005-13-45") + "Text.\n", encoding="utf-8")
    lines, status = run_check(capsys, monkeypatch, path)
    assert status == 0 and lines == [f"M005 {path}:4: date '2005-13-45' is not a date written "
                                     "YYYY, YYYY-MM or YYYY-MM-DD: the outputs carry 2005, its "
                                     "first year"]


@pytest.mark.parametrize("value", ["!!int abc", "!!timestamp 2005-13-45", "[" * 1000])
def test_yaml_the_library_cannot_build_is_f003(capsys, monkeypatch, tmp_path, value):
    path = tmp_path / "in.md"
    path.write_text(HEAD.replace("'2005'", value) + "Text.\n", encoding="utf-8")
    lines, status = run_check(capsys, monkeypatch, path)
    assert status == 1 and len(lines) == 1 and lines[0].startswith(f"F003 {path}:")


def test_metadata_lines_count_line_feeds_only(tmp_path):
    head = HEAD.replace("title: T", "title: 'A\u2028B'").replace("lang: en", "lang: English")
    assert findings(tmp_path, "Text.\n", head) == [("M015", 5)]
    with pytest.raises(UserError) as error:  # YAML itself breaks a plain value there
        findings(tmp_path, "Text.\n", HEAD.replace("author: A", "author: A\u2028B"))
    assert [(f.code, f.line) for f in error.value.findings] == [("F003", 3)]


def test_links_are_not_searched_for_unless_they_are_findings(tmp_path, monkeypatch):
    """Each line search reads the text: one per link was quadratic (100,000 links in
    5 MB: 155 s of a 238 s check). Only findings are searched for, at most
    lint.MAX_FINDINGS of a kind, in order."""
    links = "".join(f"[a](https://example.org/{i}) ![b](missing{i}.png) [c](#nowhere{i})\n\n"
                    for i in range(300))
    (tmp_path / "in.md").write_text(HEAD + links, encoding="utf-8")
    ms = manuscript.load(tmp_path / "in.md")
    searches = []
    search = lint._use_line
    monkeypatch.setattr(lint, "_use_line", lambda *a, **k: searches.append(a) or search(*a, **k))
    findings = lint.check_resources(ms) + lint.check_content(ms)
    assert [f.code for f in findings] == ["R001"] * 100 + ["R007"] * 100
    assert [f.line for f in findings[:2]] == [10, 12]
    assert len(searches) == 200


def test_html_comments_are_bounded_before_pandoc_reads_them(tmp_path):
    """F006 at the comment passing MAX_COMMENT_BYTES or MAX_COMMENTS (pandoc took 29 s
    over 110,000 empty ones); a commented-out chapter and its notes are fine."""
    head = "---\ntitle: T\n---\n\n"
    chapter = "<!--\n" + "A sentence of a chapter set aside for now.\n" * 2000 + "-->\n\n"
    for body, line in ((chapter + "<!-- -->\n\n" * 9000, None),
                       ("<!---->\n\n" * 10_001, 5 + 2 * 10_000),
                       ("x\n\n" + chapter * 13, 7 + 12 * 2003)):
        (tmp_path / "in.md").write_text(head + body, encoding="utf-8")
        try:
            manuscript.load(tmp_path / "in.md")
            refused = None
        except UserError as error:
            refused = error.findings[0]
        assert (refused and (refused.code, refused.line)) == ((line and ("F006", line))
                                                              or None)


def test_an_absurd_value_is_refused_at_its_line_in_yaml_and_in_muse(tmp_path):
    """M013 names the key's line: the YAML's, or the Muse header directive's."""
    long = "S" * (text.MAX_TITLE_CHARS + 1)
    (tmp_path / "in.md").write_text(HEAD.replace("title: T", f"title: {long}") + "Text.\n",
                                    encoding="utf-8")
    (tmp_path / "in.muse").write_text(f"#title Short\n\n#author A\n\n#subtitle {long}\n\n"
                                      "Text.\n", encoding="utf-8")
    for name, line in (("in.md", 2), ("in.muse", 5)):
        with pytest.raises(UserError) as error:
            manuscript.load(tmp_path / name)
        assert (error.value.findings[0].code, error.value.findings[0].line) == ("M013", line)
