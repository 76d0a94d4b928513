"""patches.py: every runtime change to code Samizdat does not own, in one table, each
gated on the source (or interpreter) it was written for."""
import ast
import dataclasses
import sys
from pathlib import Path

import pytest

from samizdat import weasy
from samizdat.weasy import framestack, patches

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "scripts" / "samizdat"


@pytest.fixture
def said(caplog):
    patches.say_not_applied.cache_clear()
    yield lambda: [r.getMessage() for r in caplog.records if r.getMessage().startswith("W001")]
    patches.say_not_applied.cache_clear()


@pytest.mark.parametrize("patch", patches.PATCHES, ids=lambda p: p.name)
def test_every_gate_opens_on_the_pinned_versions(patch, said):
    assert patches.opens(patch.name) and said() == []


@pytest.mark.parametrize("patch", patches.PATCHES, ids=lambda p: p.name)
def test_every_patch_names_a_test_that_exists(patch):
    file, name = patch.proof.split("::")
    tree = ast.parse((ROOT / file).read_text(encoding="utf-8"))
    assert name in {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_docs_hold_the_table():
    assert patches.markdown() in (ROOT / "docs" / "patches.md").read_text(encoding="utf-8"), \
        "run `python -m samizdat.weasy` and put its table in docs/patches.md"


def _calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            yield name, node


def test_every_patch_in_the_code_is_in_the_table_and_every_one_is_used():
    named = set()
    for module in PACKAGE.rglob("*.py"):
        for name, call in _calls(ast.parse(module.read_text(encoding="utf-8"))):
            if name in ("applied", "opens", "patch") and call.args and \
                    isinstance(call.args[0], ast.Constant):
                named.add(call.args[0].value)
            if name == "SourceFix":
                patch = [k.value.value for k in call.keywords if k.arg == "patch"]
                assert patch, f"{module.name}: a SourceFix names no patch"
                named.add(patch[0])
    assert named - set(patches.BY_NAME) == set() and set(patches.BY_NAME) - named == set()


def test_nothing_is_swapped_outside_a_gate():
    """A function that swaps (outside patches.py itself) also asks the gate first:
    patches.opens, or a SourceFix's _rebuild (which compares the source's digest)."""
    for module in PACKAGE.rglob("*.py"):
        if module.name == "patches.py":
            continue
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            names = {name for name, _ in _calls(function)}
            if "swapped" in names:
                assert names & {"opens", "_rebuild"}, f"{module.name}: {function.name} swaps ungated"


def test_a_shut_gate_changes_nothing_and_says_so_once(monkeypatch, said):
    import pydyf

    deflate = patches.patch("deflate-level")
    other = dataclasses.replace(deflate, targets=(("pydyf.Stream.data", "another pydyf"),))
    monkeypatch.setitem(patches.BY_NAME, "deflate-level", other)
    standard = pydyf.zlib
    for _ in range(2):
        with patches.applied("deflate-level", (pydyf,), "zlib", object()) as in_force:
            assert not in_force and pydyf.zlib is standard
    assert len(said()) == 1 and "pydyf.Stream.data" in said()[0] and "0.13.0" in said()[0]
    assert "more slowly" in said()[0]


def test_the_deflate_level_is_not_applied_to_another_pydyf(monkeypatch, tmp_path):
    import zlib

    other = dataclasses.replace(patches.patch("deflate-level"),
                                targets=(("pydyf.Stream.data", "another pydyf"),))
    monkeypatch.setitem(patches.BY_NAME, "deflate-level", other)
    levels, standard = [], zlib.compressobj
    monkeypatch.setattr(zlib, "compressobj", lambda level=-1: levels.append(level) or standard(level))
    document = weasy.HTML(string="<p>x</p>").render()
    weasy.write_pdf(document, tmp_path / "x.pdf")
    assert levels and set(levels) == {9}  # pydyf's own


def test_hyphenation_is_left_to_another_pyphen(monkeypatch, said):
    import pyphen

    other = dataclasses.replace(patches.patch("standard-hyphenation"),
                                targets=(("pyphen.Pyphen.iterate", "another pyphen"),))
    monkeypatch.setitem(patches.BY_NAME, "standard-hyphenation", other)
    from samizdat.weasy import linebreak

    standard = pyphen.Pyphen.iterate
    with linebreak.standard_hyphenation() as in_force:
        assert not in_force and pyphen.Pyphen.iterate is standard
    assert "pyphen.Pyphen.iterate" in said()[0]


def test_frame_room_is_left_out_on_another_interpreter(monkeypatch, said):
    monkeypatch.setattr(sys, "version_info", (3, 14, 0, "final", 0))
    depth = framestack.roomy(lambda: sys._getframe().f_back.f_code.co_name)()
    assert depth != "_roomy_call" and "CPython 3.14" in said()[0]
    monkeypatch.undo()
    assert framestack.roomy(lambda: sys._getframe().f_back.f_code.co_name)() == "_roomy_call"
