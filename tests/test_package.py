"""Samizdat as a user installs it: a wheel that holds everything a build reads, used
from a folder far from this repository; `--version`; `new` starts a text that builds."""

import os
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(out), str(ROOT)], check=True,
                   capture_output=True, timeout=300)
    return next(out.glob("samizdat-*.whl"))


def test_the_wheel_holds_styles_fonts_filters_and_templates(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("samizdat/styles/print.css", "samizdat/styles/epub.css",
                   "samizdat/styles/fonts/LinLibertine_R.otf",
                   "samizdat/styles/fonts/GentiumBookPlus-Regular.ttf",
                   "samizdat/filters/house.lua", "samizdat/templates/print.html"):
        assert needed in names, needed
    fonts = {p.name for p in (ROOT / "styles" / "fonts").iterdir()}
    assert fonts <= {n.rsplit("/", 1)[-1] for n in names if "/styles/fonts/" in n}
    # the hyphenation patterns pyphen lacks (linebreak.more_hyphenation), their licences
    hyphenation = {p.name for p in (ROOT / "styles" / "hyphenation").iterdir()}
    assert {"hyph_ml.dic", "SOURCE.md"} <= hyphenation <= \
        {n.rsplit("/", 1)[-1] for n in names if "/styles/hyphenation/" in n}


def test_installed_it_starts_and_builds_a_text_anywhere(wheel, tmp_path):
    """Unpacked as pip would install it, away from the repository: --version, new, build
    (every output, no warning)."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}

    def samizdat(*args):
        return subprocess.run([sys.executable, "-m", "samizdat", *args], cwd=work, env=env,
                              capture_output=True, text=True, timeout=300)

    where = subprocess.run([sys.executable, "-c", "import samizdat; print(samizdat.STYLES)"],
                           cwd=work, env=env, capture_output=True, text=True, check=True)
    assert where.stdout.strip() == str(site / "samizdat" / "styles")
    assert samizdat("--version").stdout.startswith("samizdat ")
    assert samizdat("new", "my-text.md", "--title", "T", "--author", "A").returncode == 0
    built = samizdat("build", "my-text.md", "--out", "out")
    assert built.returncode == 0, built.stderr
    assert not [line for line in built.stderr.splitlines() if line[:1] in "EFMPRX"
                and line[1:4].isdigit()]
    for name in ("my-text.epub", "my-text.pdf", "my-text-pamphlet-a4.pdf",
                 "my-text-pamphlet-letter.pdf"):
        assert (work / "out" / name).stat().st_size > 1000, name
