"""Property: `check` never crashes, and its verdict on notes is pandoc's own.

Manuscripts are built from notes that are meant to be right (every label defined
once and called), then spoiled at random: undefined and uncalled labels, duplicate
and empty definitions, calls inside notes, blocks glued together without a blank
line, calls hidden in code or comments, in lists and headings; with metadata
present, missing or odd.
"""

import contextlib
import io
import json
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from samizdat import cli
from samizdat.checks import lint
from samizdat.source import manuscript
from samizdat.source.notes import scan_notes
from samizdat.errors import UserError

LABELS = ["1", "2", "3", "10", "a", "B", "b", "note-1"]
WORDS = st.sampled_from(["The", "soviets", "were", "councils.", "Workers'", "power,", "1917",
                         "*factory*", "committees"])
FIELDS = ("title", "author", "date", "lang", "rights", "identifier")
VALUES = {
    "title": st.sampled_from(['"Workers Power"', "''", "[]", "{}"]),
    "author": st.sampled_from(["Tom Wetzel", "[Tom, Maurice]", "123"]),
    "date": st.sampled_from(['"2005"', "2005-13-45", "2005-02-30", "1917-10", "12 October 2020",
                             "2005-01-01 10:00"]),
    "lang": st.sampled_from(["en", "en-US", "en_US", "English", "fr-CA", "x-foo", "zz", "[en]"]),
    "rights": st.sampled_from(["Anti-Copyright", "Tom Wetzel", "CC BY-SA 4.0", "null"]),
    "identifier": st.sampled_from(["urn:uuid:d659f7ba-71b6-4954-9ce7-1665a8ef0d3b", "''"]),
}
ODD = st.text(max_size=12).map(lambda s: json.dumps(s, ensure_ascii=False))
SPOILS = ["undefined call", "uncalled definition", "duplicate", "empty", "call to nothing in note",
          "call in note", "hidden calls", "repeat call", "list and heading"]


def sometimes(draw):
    """True one time in four."""
    return draw(st.integers(0, 3)) == 0


@st.composite
def sentence(draw, calls=()):
    """Words with each of `calls` stuck after one of them, as `word[^label]`."""
    words = draw(st.lists(WORDS, min_size=1, max_size=5))
    for label in calls:
        at = draw(st.integers(0, len(words) - 1))
        words[at] += f"[^{label}]"
    return " ".join(words)


@st.composite
def definition(draw, label, calls=()):
    """`[^label]: text`, maybe with a lazy line and an indented paragraph."""
    lines = [f"[^{label}]: {draw(sentence(calls))}"]
    if sometimes(draw):
        lines.append(draw(sentence()))
    if sometimes(draw):
        lines += ["", draw(st.sampled_from(["    ", "\t"])) + draw(sentence())]
    return "\n".join(lines)


@st.composite
def notes_body(draw):
    """The Markdown after the YAML block: paragraphs and definitions, some spoiled."""
    labels = draw(st.lists(st.sampled_from(LABELS), unique=True, max_size=4))
    spoils = {s for s in SPOILS if sometimes(draw)}
    others = [label for label in LABELS if label not in labels] or ["zz"]
    calls = list(labels)
    if labels and "repeat call" in spoils:
        calls.append(draw(st.sampled_from(labels)))
    if "undefined call" in spoils:
        calls.append(others[0])
    calls = draw(st.permutations(calls))
    split = draw(st.integers(0, len(calls)))
    blocks = [draw(sentence(calls[:split])), draw(sentence(calls[split:]))]
    blocks += [draw(definition(label)) for label in labels]
    blocks += _spoiled_definitions(draw, spoils, labels, others)
    blocks += _other_blocks(draw, spoils, labels)
    blocks = draw(st.permutations(blocks))
    glue = [draw(st.sampled_from(["\n\n"] * 5 + ["\n"])) for _ in blocks]
    return "".join(b + g for b, g in zip(blocks, glue))


def _other_blocks(draw, spoils, labels):
    blocks = []
    if "hidden calls" in spoils:
        label = draw(st.sampled_from(LABELS))
        blocks += [f"Code `[^{label}]` and <!-- [^{label}] --> here.", f"```\n[^{label}]\n```"]
    if labels and "list and heading" in spoils:
        # more calls, where indentation means a list paragraph, not code
        blocks += [f"- {draw(sentence())}\n\n    {draw(sentence(labels[:1]))}",
                   f"# {draw(sentence(labels[-1:]))}"]
    return blocks


def _spoiled_definitions(draw, spoils, labels, others):
    extra = []
    if "uncalled definition" in spoils:
        extra.append(draw(definition(others[-1])))
    if labels and "duplicate" in spoils:
        extra.append(draw(definition(labels[0])))
    if labels and "empty" in spoils:
        extra.append(f"[^{labels[-1]}]:")
    if labels and "call to nothing in note" in spoils:
        extra.append(draw(definition(labels[-1], [others[0]])))
    if len(labels) > 1 and "call in note" in spoils:
        extra.append(draw(definition(labels[0], [labels[1]])))
    return extra


@st.composite
def metadata(draw):
    """A YAML block with each field present, missing or odd."""
    lines = []
    for key in FIELDS:
        choice = draw(st.integers(0, 5))
        if choice == 0:
            continue
        value = draw(ODD if choice == 1 else VALUES[key])
        lines.append(f"{key}: {value}")
    return "---\n" + "\n".join(lines) + "\n---\n\n"


def pandoc_notes(ast):
    """(number of Note elements, the text outside code) of a pandoc AST."""
    notes, words = [0], []

    def walk(node):
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            kind = node.get("t")
            notes[0] += kind == "Note"
            if kind == "Str":
                words.append(node["c"])
            elif kind not in ("Code", "CodeBlock", "RawInline", "RawBlock"):
                walk(node.get("c"))
    walk(ast["blocks"])
    return notes[0], " ".join(words)


def check_command(path):
    """Exit status of `samizdat check path`, its stderr thrown away."""
    with contextlib.redirect_stderr(io.StringIO()):
        return cli.main(["check", str(path)])


@settings(max_examples=50, deadline=timedelta(seconds=2),
          suppress_health_check=[HealthCheck.too_slow])
@given(head=metadata(), body=notes_body())
def test_check_agrees_with_pandoc(tmp_path_factory, head, body):
    """No crash; clean notes are exactly pandoc's notes; an undefined call stays literal."""
    path = tmp_path_factory.getbasetemp() / "property.md"
    path.write_text(head + body, encoding="utf-8")
    status = check_command(path)
    try:
        ms = manuscript.load(path)
        found = lint.check(ms)
        count, text = pandoc_notes(ms.ast)
    except UserError:
        assert status == 1
        return  # the file itself is refused (F003 ...): a coded line, not a crash
    assert status == (1 if any(f.is_error for f in found) else 0)
    codes = {f.code for f in found}
    missing = {f.message.split("'")[1] for f in found if f.code == "M001"}
    assert missing == {k for k in FIELDS[:5] if not lint.given(ms.meta.get(k))}
    if not any(f.code.startswith("N") and f.is_error for f in found):
        calls = [label for label, _, inside in scan_notes(ms.text, ms.yaml_lines + 1).calls
                 if not inside]
        assert count == len(calls)
        assert "N008" in codes or count == len(set(calls))
        assert "[^" not in text
    for finding in found:
        if finding.code == "N001":
            label = finding.message.split("[^")[1].split("]")[0]
            assert f"[^{label}]" in text
