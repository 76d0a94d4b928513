"""No stale output: a build is skipped only when nothing it reads has changed (the input
key, shelf.input_key, over Manuscript.inputs, styles, code, options and tools); one key
for the single build, the library and the cluster's client."""

import logging
import shutil
import zipfile

import pytest

from conftest import ROOT
from samizdat import build
from samizdat.library import local
from samizdat.outputs import shelf
from samizdat.source import manuscript
from test_sandbox import png

TEXTS = ROOT / "tests" / "library"


def _library(source, out, caplog):
    """Build `source` as a library of one; True if it was rebuilt."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="samizdat"):
        books, failures = local.build_library([source], out, jobs=1)
    assert failures == []
    return not any("unchanged, not rebuilt" in r.getMessage() for r in caplog.records)


def _epub_media(path):
    with zipfile.ZipFile(path) as archive:
        return [archive.read(n) for n in archive.namelist() if n.endswith(".png")
                and "cover" not in n]


def test_a_replaced_image_is_rebuilt_into_every_output(tmp_path, caplog):
    source = tmp_path / "text.md"
    source.write_text((TEXTS / "mutual-aid-note.md").read_text() +
                      "\n![A picture](picture.png)\n")
    (tmp_path / "picture.png").write_bytes(png(b"\xff\x00\x00"))
    out = tmp_path / "out"
    assert _library(source, out, caplog)
    assert _epub_media(out / "text.epub") == [png(b"\xff\x00\x00")]
    assert not _library(source, out, caplog)  # nothing changed
    (tmp_path / "picture.png").write_bytes(png(b"\x00\x80\x00"))
    assert _library(source, out, caplog)
    assert _epub_media(out / "text.epub") == [png(b"\x00\x80\x00")]


def test_a_changed_samizdat_yaml_rebuilds_a_muse_text(tmp_path, caplog):
    folder = tmp_path / "shelf"
    shutil.copytree(ROOT / "tests" / "muse" / "shelf", folder)
    source, out = folder / "verse.muse", tmp_path / "out"
    assert _library(source, out, caplog)
    assert not _library(source, out, caplog)
    yaml = folder / "samizdat.yaml"
    yaml.write_text(yaml.read_text().replace("Samizdat", "Another"))
    assert _library(source, out, caplog)


def _key(path, printing=build.PrintOptions()):
    return shelf.input_key(manuscript.load(path), printing)


@pytest.fixture
def text(tmp_path):
    source = tmp_path / "text.md"
    shutil.copy(TEXTS / "mutual-aid-note.md", source)
    return source


def test_the_key_changes_with_the_options(text):
    assert _key(text) != _key(text, build.PrintOptions(given=(("trim", "a6"),)))
    assert _key(text) == _key(text)


def test_the_key_changes_with_the_styles_and_fonts(text, tmp_path, monkeypatch):
    import samizdat

    styles = tmp_path / "styles"
    shutil.copytree(samizdat.STYLES, styles)
    monkeypatch.setattr(samizdat, "STYLES", styles)
    before = _key(text)
    font = next((styles / "fonts").iterdir())
    font.write_bytes(font.read_bytes() + b"\0")
    assert _key(text) != before


def test_the_key_changes_with_samizdats_code(text, tmp_path, monkeypatch):
    import samizdat

    code = tmp_path / "samizdat"
    shutil.copytree(samizdat.PACKAGE, code, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(samizdat, "PACKAGE", code)
    before = _key(text)
    lua = next((code / "filters").glob("*.lua"))
    lua.write_text(lua.read_text() + "\n-- changed\n")
    assert _key(text) != before


def test_the_key_changes_with_the_tools_versions(text, monkeypatch):
    import importlib.metadata

    before = _key(text)
    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version",
                        lambda name: "71.0" if name == "weasyprint" else real(name))
    assert _key(text) != before


def test_the_key_changes_with_an_installed_script_font(tmp_path, monkeypatch):
    """A Telugu text is set in the installed Noto Serif Telugu (fontstack): another
    version of it (a package upgrade) is another input."""
    from samizdat.writing import fontstack

    fonts = tmp_path / "fonts"
    fonts.mkdir()
    monkeypatch.setenv("SAMIZDAT_FONT_DIRS", str(fonts))
    (fonts / "NotoSerifTelugu-Regular.ttf").write_bytes(b"a font")
    source = tmp_path / "te.md"
    source.write_text("---\ntitle: T\nauthor: A\ndate: 2024\nlang: te\nrights: CC0\n---\n\n"
                      "తెలుగు\n", encoding="utf-8")
    assert [f.path for f in fontstack.faces("తెలుగు")] == [
        str(fonts / "NotoSerifTelugu-Regular.ttf")]
    before = _key(source)
    (fonts / "NotoSerifTelugu-Regular.ttf").write_bytes(b"another version of the font")
    assert _key(source) != before
