"""Generated hostile manuscripts: pieces a stranger might put in a text, combined at
random. Whatever the mix, `check` answers with coded lines only, never reads a file
outside the manuscript's folder, runs no program but pandoc; and what it accepts
builds an EPUB and a PDF that hold no byte of the planted secret and name no remote
host, in bounded time."""

import subprocess
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from samizdat import STYLES, cli
from samizdat.outputs import epub, pdf
from samizdat.source import manuscript, pandoc, resources
from samizdat.errors import UserError
from test_hostile import MARKER, REMOTE, SECRET_PIXEL, leaks, png

BODY = [
    "![x](../secret.png)", "![x](x.png#/../../secret.png)", "![x](a%2F..%2F..%2Fsecret.png)",
    "![x]({abs})", "![x](file://{abs})", '<img src="../secret.png" alt="x">',
    "<img src='%2e%2e/secret.png' alt='x'>", "![x](<../secret.png>)", "![x](ok.png)",
    "![x](sub/../ok.png)", "![x](link.png)", "![x](.)", "![x](..)", "![x](/etc/passwd)",
    "![x](%00)", "![x](ok.png?../../secret.png)", "<script>x()</script>", "[a]{onclick=x}",
    '<svg><image href="../secret.png"/></svg>', "[l](javascript:x)", "[l](vbscript:x)",
    "<iframe src=//samizdat-remote.invalid></iframe>",
    "<link rel=stylesheet href=https://samizdat-remote.invalid/x.css>",
    "<style>@import url(https://samizdat-remote.invalid/x.css)</style>",
    '<div style="background:url(../secret.png)">x</div>',
    '<object data="../secret.png"></object>', '<img src="data:text/html,x" alt="">',
    '<img srcset="https://samizdat-remote.invalid/x.png 2x" alt="">',
    "> > > > a quote", "A call.[^1]", "[^1]: A note.", "$x^2$", "`code ../secret.png`",
    "| a | b |\n|---|---|\n| 1 | 2 |", "\x0c", "Plain words.", "<b>bold</b>",
    "[web](https://example.org)", "---\ntitle: inner\n---", "`<script>x()</script>`{=epub3}",
    "```{=html4}\n<iframe src=x.html></iframe>\n```", "[l](../secret.png)", "[l](file://{abs})",
]
# Pieces a valid text may hold, some of them odd: half the examples are made of these
# alone, so that builds run too.
BENIGN = ["![x](ok.png)", "![x](sub/../ok.png)", "![x](<my pic.png>)", "A call.[^1]\n\n[^1]: A note.",
          "> > > > a quote", "$x^2$", "`code ../secret.png`", "Plain words.", "<b>bold</b>",
          "| a | b |\n|---|---|\n| 1 | 2 |", "[web](https://example.org)",
          "---\ntitle: inner\n---", '<img src="ok.png" alt="x">',
          '<span title="onclick=x">t</span>', "[l](#top)", "![x](ok.png#frag)",
          "[l](/library/x)", "[l](../other-text.html)", "[l](gemini://x.org/)"]
YAML = [
    "foo: '![](../secret.png)'", "samizdat-media: ../secret.png",
    "header-includes: '<script>x()</script>'", "cover-image: ../secret.png",
    "css: ../secret.css", "title: [a, b]", "a: &a [1]\nb: *a",
    "subtitle: \"<img src='../secret.png'>\"", "description: '[x](javascript:alert(1))'",
    "samizdat-folder: /", "keywords: '<iframe src=https://samizdat-remote.invalid>'",
]
HEAD = ("---\ntitle: T\nauthor: A\ndate: \"2024\"\nlang: en\nrights: Anti-Copyright\n"
        "identifier: urn:uuid:5b0f3c2e-0000-4000-8000-0000000000ff\n{extra}---\n\n")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A folder with the secret beside the book's folder, an image inside it and a
    symbolic link out."""
    world = tmp_path_factory.mktemp("world")
    (world / "secret.png").write_bytes(png(trailer=MARKER))
    (world / "secret.css").write_text("body { color: red }")
    book = world / "book"
    (book / "sub").mkdir(parents=True)
    (book / "ok.png").write_bytes(png(pixel=b"\x20\x90\x20"))
    (book / "my pic.png").write_bytes(png(pixel=b"\x20\x20\x90"))
    (book / "link.png").symlink_to(world / "secret.png")
    return world


pieces = st.one_of(st.lists(st.sampled_from(BODY), min_size=1, max_size=6),
                   st.lists(st.sampled_from(BENIGN), min_size=1, max_size=6))
extras = st.one_of(st.just([]), st.lists(st.sampled_from(YAML), max_size=2))
words = st.one_of(st.just(""), st.text(st.characters(blacklist_categories=("Cs",)),
                                       max_size=30))


@settings(max_examples=150, deadline=30000, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(body=pieces, extra=extras, noise=words)
def test_any_mix_is_refused_in_code_or_built_without_leaks(world, tmp_path_factory, body,
                                                           extra, noise, monkeypatch):
    book = world / "book"
    source = book / "in.md"
    text = "\n\n".join(p.replace("{abs}", str(world / "secret.png")) for p in body)
    source.write_text(HEAD.format(extra="".join(e + "\n" for e in extra)) + text + "\n\n"
                      + noise + "\n", encoding="utf-8")
    opened, programs = [], []
    with monkeypatch.context() as patch:
        patch.setattr(resources, "read_regular", _recording(resources.read_regular, opened))
        patch.setattr(subprocess, "Popen", _recording_popen(programs))
        status = cli.main(["check", str(source)])
        assert status in (0, 1)
        if status == 0:
            out = tmp_path_factory.mktemp("out")
            BUILT.append(body)
            try:
                ms = manuscript.load(source)
                epub.epub(ms, out / "in.epub")
                pdf.pdf(ms, out / "in.pdf")
            except UserError as error:  # refused by a stage: fine, if in code
                assert all(f.code[0] in "ERPX" for f in error.findings)
            assert leaks(out) == []
    assert all(path_inside(p, book) or path_inside(p, STYLES) for p in opened), opened
    assert set(programs) <= {pandoc.executable()}, programs


BUILT = []


def test_the_mixes_included_builds():
    """Run after the property: some of its examples passed the check and were built."""
    assert len(BUILT) >= 10


def path_inside(path, folder):
    from pathlib import Path

    return Path(path).resolve().is_relative_to(folder.resolve())


def _recording(read, opened):
    def read_and_record(path, limit):
        opened.append(path)
        return read(path, limit)
    return read_and_record


def _recording_popen(programs):
    standard = subprocess.Popen

    class Recording(standard):
        def __init__(self, args, *rest, **kwargs):
            programs.append(args[0] if isinstance(args, (list, tuple)) else args)
            super().__init__(args, *rest, **kwargs)
    return Recording


def test_the_leak_detector_finds_the_secret(world, tmp_path):
    """The property above would pass if `leaks` saw nothing: it sees the secret in a
    zip entry and as an image in a PDF."""
    with zipfile.ZipFile(tmp_path / "x.epub", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("EPUB/media/a.png", (world / "secret.png").read_bytes())
    assert leaks(tmp_path) == ["x.epub:EPUB/media/a.png"]
    (tmp_path / "x.epub").unlink()
    book = world / "book"
    (book / "secret-copy.png").write_bytes(png())  # the secret's pixel, inside: allowed
    source = book / "leak.md"
    source.write_text(HEAD.format(extra="") + "![x](secret-copy.png)\n", encoding="utf-8")
    pdf.pdf(manuscript.load(source), tmp_path / "x.pdf")
    assert any(found.startswith("x.pdf:object") for found in leaks(tmp_path))
    assert SECRET_PIXEL and REMOTE
