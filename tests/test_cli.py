"""The command line: argv -> exit status and stderr, never a traceback for bad input."""

import re
import subprocess
import sys

import pytest

from conftest import ROOT
from samizdat import cli

SAMIZDAT = ROOT / ".venv" / "bin" / "samizdat"
N001 = "tests/check/n001-call-never-defined/in.md"
N001_LINE = ("N001 tests/check/n001-call-never-defined/in.md:10: note [^2] is called but "
             "never defined: add a line '[^2]: ...'")

# (argv, exit status, stderr: the exact lines, or a regex searched in the whole of it)
CASES = {
    "no arguments": ([], 2, re.compile(r"^usage: samizdat .*required: command$", re.S)),
    "unknown command": (["print", "x.md"], 2, re.compile(r"invalid choice: 'print'")),
    "check without a file": (["check"], 2, re.compile(r"required: SOURCE")),
    "check, two files": (["check", "a.md", "b.md"], 1,
                         ["F000 a.md: cannot read: No such file or directory",
                          "F000 b.md: cannot read: No such file or directory"]),
    "check, a good and a bad file": (["check", "manuscript/workers-power.md", N001], 1,
                                     [N001_LINE]),
    "build with a bad creep": (["build", N001, "--creep", "-1"], 2,
                               re.compile(r"--creep: must be between 0 and 5 mm, not -1")),
    "build with a bad duplex": (["build", N001, "--duplex", "sideways"], 2,
                                re.compile(r"invalid choice: 'sideways'")),
    "check a missing file": (["check", "nowhere.md"], 1,
                             ["F000 nowhere.md: cannot read: No such file or directory"]),
    "check a folder": (["check", "tests/check"], 1,
                       ["F000 tests/check: cannot read: it is a folder, not a file"]),
    "check the real manuscript": (["check", "manuscript/workers-power.md"], 0, []),
    "check, warning only": (["check", "tests/check/m004-no-identifier/in.md"], 0,
                            re.compile(r"^M004 [^\n]*in\.md:1: [^\n]*\n$")),
    "check, errors": (["check", N001], 1, [N001_LINE]),
    "build a bad manuscript, quiet": (["build", N001, "--out", "{out}", "-q"], 1, [N001_LINE]),
    "build a bad manuscript": (["build", N001, "--out", "{out}"], 1,
                               re.compile(rf"^Step 1/\d+ – Checking the manuscript…\n"
                                          rf"{re.escape(N001_LINE)}\n$")),
    "build a missing file": (["build", "nowhere.md", "--out", "{out}", "-q"], 1,
                             ["F000 nowhere.md: cannot read: No such file or directory"]),
    "build into a file": (["build", "manuscript/workers-power.md", "--out", "README.md", "-q"], 1,
                          ["X002 README.md: the output folder cannot be written: File exists"]),
    "build with no jobs": (["build", N001, "--jobs", "0"], 2,
                           re.compile(r"--jobs: must be between 1 and 256, not 0")),
    "build into an unnamed folder": (["build", N001, "--out", ""], 2,
                                     re.compile(r"--out: an output folder must be named")),
    "build with no time": (["build", N001, "--timeout", "0"], 2,
                           re.compile(r"--timeout: must be between 1 and 86400 s")),
}


def invoke(argv, capsys):
    """(exit status, stderr) of cli.main(argv), SystemExit (argparse) included."""
    try:
        status = cli.main(argv)
    except SystemExit as leave:
        status = leave.code
    return status, capsys.readouterr().err


def snapshot(folder):
    """{relative path: bytes} of every file under `folder`."""
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def out(tmp_path):
    """An output folder holding an earlier build, which a failed build must leave alone."""
    folder = tmp_path / "out"
    (folder / "old").mkdir(parents=True)
    (folder / "in.epub").write_bytes(b"PK\x03\x04 an earlier EPUB")
    (folder / "old" / "in.pdf").write_bytes(b"%PDF-1.7 an earlier PDF")
    return folder


@pytest.mark.parametrize("name", CASES)
def test_cli(name, capsys, monkeypatch, out):
    argv, status, stderr = CASES[name]
    argv = [arg.replace("{out}", str(out)) for arg in argv]
    monkeypatch.chdir(ROOT)
    before = snapshot(out)
    got_status, got = invoke(argv, capsys)
    assert "Traceback" not in got
    assert got_status == status
    if isinstance(stderr, re.Pattern):
        assert stderr.search(got), got
    else:
        assert got.splitlines() == stderr
    assert snapshot(out) == before


def test_failed_build_creates_no_output_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert invoke(["build", N001, "--out", str(tmp_path / "new"), "-q"], capsys)[0] == 1
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("argv, status, first", [
    ([str(SAMIZDAT), "check", "manuscript/workers-power.md"], 0, None),
    ([str(SAMIZDAT), "check", N001], 1, N001_LINE),
    ([str(SAMIZDAT), "check", "tests/check/f001-not-utf8/in.md"], 1, "F001 "),
    ([sys.executable, "-m", "samizdat", "check", "tests/check/f003-yaml-does-not-parse/in.md"],
     1, "F003 "),
])
def test_installed_entry_point(argv, status, first):
    """The real executable: same lines, nothing on stdout, no traceback."""
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    assert (proc.returncode, proc.stdout) == (status, "")
    assert "Traceback" not in proc.stderr
    if first is None:
        assert proc.stderr == ""
    else:
        assert proc.stderr.splitlines()[0].startswith(first)


def test_the_installed_command_builds_and_reports_to_the_last_line(tmp_path):
    """`samizdat` leaves without the interpreter's teardown (cli.entry): every output
    must be in place and every log line out before it does."""
    proc = subprocess.run([str(SAMIZDAT), "build", "manuscript/workers-power.md", "--out",
                           str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0] == "Step 1/5 – Checking the manuscript…"
    assert lines[-1].startswith("Wrote ") and lines[-1].endswith("index.html")
    sums = (tmp_path / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == 10 and all((tmp_path / line.split("  ")[1]).exists() for line in sums)


def test_version_names_samizdat_and_its_tools(capsys):
    with pytest.raises(SystemExit) as leave:
        cli.main(["--version"])
    out = capsys.readouterr().out
    assert leave.value.code == 0
    assert re.fullmatch(r"samizdat \d+\.\d+\.\d+ \(WeasyPrint [\d.]+, pypandoc_binary [\d.]+\)\n",
                        out), out


def test_new_writes_a_manuscript_check_passes_silently(tmp_path, capsys):
    """Two texts started alike are two books (fresh identifiers); nothing is overwritten."""
    from samizdat import build
    from samizdat.source import manuscript

    made = []
    for name in ("one.md", "two.md"):
        path = tmp_path / name
        argv = ["new", str(path), "--title", "Ein Titel: mit \"Zeichen\"", "--author", "A B",
                "--lang", "de"]
        assert invoke(argv, capsys)[0] == 0
        ms, warnings = build.check(path)
        assert warnings == [] and ms.meta["title"] == 'Ein Titel: mit "Zeichen"'
        assert ms.meta["lang"] == "de" and ms.notes
        made.append(manuscript.load(path).identifier)
    assert made[0] != made[1] and all(i.startswith("urn:uuid:") for i in made)
    before = (tmp_path / "one.md").read_bytes()
    status, err = invoke(["new", str(tmp_path / "one.md"), "--title", "T", "--author", "A"],
                         capsys)
    assert (status, err) == (1, f"X010 {tmp_path / 'one.md'}: already exists: choose another "
                                "name\n")
    assert (tmp_path / "one.md").read_bytes() == before


@pytest.mark.parametrize("command", ["build", "check", "new"])
def test_help_gives_every_options_default(command, capsys):
    sub = cli.parser()._subparsers._group_actions[0].choices[command]
    for action in sub._actions:
        if action.option_strings and action.dest != "help":
            assert re.search(r"\((default|required)", action.help), action.option_strings
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    assert "(default" in capsys.readouterr().out or command == "check"


def test_one_finding_is_one_line_whatever_the_names_and_texts_hold(tmp_path, capsys):
    """A folder's name and a quoted value come from strangers: a line end or a mark that
    reorders text in them is shown escaped, so no finding reads as another's line."""
    folder = tmp_path / "x\nE001 fake.md:1: all is well\u202e"
    folder.mkdir()
    text = (ROOT / N001).read_text(encoding="utf-8")
    (folder / "in.md").write_text(text.replace("lang: en", 'lang: "en\\u2028E001 f: ok"'),
                                  encoding="utf-8")
    status, err = invoke(["check", str(folder / "in.md")], capsys)
    lines = err.splitlines()
    assert status == 1 and [line[:5] for line in lines] == ["M002 ", "N001 "]
    assert all("\u202e" not in line and "\u2028" not in line for line in lines)
    assert "x\\nE001 fake.md:1: all is well\\u202e/in.md:" in lines[1]


@pytest.mark.parametrize("option", ["--rights", "--publisher"])
@pytest.mark.parametrize("value", ["free \udced\udca0\udc80 to copy", "a\x01b", "a\u2028b"])
def test_a_metadata_option_that_is_not_one_line_of_text_is_refused(option, value, capsys):
    """Bytes that are not UTF-8 on the command line arrive as lone surrogates: a Muse
    text given them ended in X009 (UnicodeEncodeError)."""
    muse = ROOT / "tests" / "muse" / "shelf" / "verse.muse"
    with pytest.raises(SystemExit) as exit_:
        cli.main(["check", str(muse), option, value])
    assert exit_.value.code == 2 and f"argument {option}" in capsys.readouterr().err
