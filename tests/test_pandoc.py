"""Finding and running the bundled pandoc."""

import subprocess
import sys

import pypandoc

from samizdat.source import pandoc


def test_the_pandoc_is_pypandocs_own_and_3_9():
    assert pandoc.executable() == pypandoc.get_pandoc_path()
    version = subprocess.run([pandoc.executable(), "--version"], capture_output=True,
                             text=True, check=True).stdout
    assert version.startswith("pandoc 3.9")


def test_it_is_found_without_importing_pypandoc():
    probe = ("import sys; from samizdat.source import pandoc; pandoc.executable(); "
             "print('pypandoc' in sys.modules)")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "False"


def test_a_run_with_the_smaller_heap_gives_the_same_output():
    text = "Some *text*.[^1]\n\n[^1]: A note.\n"
    ours = pandoc.run(["-t", "html5"], text=text, source="x.md")
    plain = subprocess.run([pandoc.executable(), "--sandbox", "-f", pandoc.READER, "-t",
                            "html5"], input=text.encode(), capture_output=True,
                           check=True).stdout
    assert ours == plain and b'role="doc-noteref"' in ours


def test_the_heap_grows_with_the_text_within_its_bounds():
    low, high = pandoc.HEAP_MB
    assert pandoc.runtime(20_000)[1] == f"-H{low}m"
    assert pandoc.runtime(658_000)[1] == f"-H{658_000 * pandoc.HEAP_PER_BYTE // 2**20}m"
    assert low < 658_000 * pandoc.HEAP_PER_BYTE // 2**20 < high
    assert pandoc.runtime(10**8)[1] == f"-H{high}m"
    assert all(pandoc.MAX_HEAP in pandoc.runtime(size) for size in (0, 10**5, 10**8))


def test_a_long_text_with_the_larger_heap_gives_the_same_output(monkeypatch):
    text = "".join(f"Paragraph {n} of *text*.[^{n}]\n\n[^{n}]: Note {n}.\n\n" for n in range(2000))
    ours = pandoc.run(["-t", "html5"], text=text, source="x.md")
    assert pandoc.runtime(len(text))[1] != pandoc.runtime(0)[1]
    monkeypatch.setattr(pandoc, "HEAP_MB", (16, 16))
    assert pandoc.run(["-t", "html5"], text=text, source="x.md") == ours
