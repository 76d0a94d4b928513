"""The codes of what goes wrong outside the text: each said as its one coded line."""
import errno
import sys

import pytest

from samizdat import STYLES, cli
from samizdat.source import pandoc
from samizdat.errors import UserError, system_finding


def test_x001_pandoc_failing_is_its_last_message():
    with pytest.raises(UserError) as caught:
        pandoc.run(["-t", "nosuchformat"], text="x", source="t.md")
    finding, = caught.value.findings
    assert (finding.code, finding.path) == ("X001", "t.md")
    assert finding.message == "pandoc failed: Unknown output format nosuchformat"


def test_x005_pandoc_that_cannot_be_run(monkeypatch, tmp_path):
    monkeypatch.setattr(pandoc, "executable", lambda: str(tmp_path / "pandoc"))
    with pytest.raises(UserError) as caught:
        pandoc.run(["-t", "json"], text="x", source="t.md")
    assert [f.code for f in caught.value.findings] == ["X005"]
    assert "reinstall" in caught.value.findings[0].message


def test_x006_a_file_of_samizdats_own_missing_is_a_broken_install():
    missing = FileNotFoundError(errno.ENOENT, "No such file or directory", str(STYLES / "print.css"))
    finding = system_finding(missing)
    assert finding.code == "X006" and "reinstall" in finding.message


def test_x008_another_system_error_names_its_file(tmp_path):
    denied = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "x"))
    assert str(system_finding(denied, out_dir=tmp_path / "out")) == f"X008 {tmp_path}/x: Permission denied"


def test_x013_scheduler_without_dask(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    status = cli.main(["build", "manuscript/workers-power.md", "--out", str(tmp_path / "o"),
                       "--scheduler", "tcp://127.0.0.1:1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1
    assert err == ["X013 tcp://127.0.0.1:1: --scheduler needs Dask: pip install 'samizdat[cluster]'"]
    assert not (tmp_path / "o").exists()
