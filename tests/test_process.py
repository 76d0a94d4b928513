"""Process plumbing: every wait is bounded, whatever a child does."""

import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT
from samizdat import process


def square_or_hang(n):
    """n², or, for 0, a hang that the build's own deadline (SIGALRM) cannot end: the
    worker ignores the signal, as a C library holding a lock would."""
    if n == 0:
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        time.sleep(120)
    return n * n


def test_a_pool_returns_what_finished_and_kills_a_worker_that_hangs():
    started = time.monotonic()
    results = process.pool_map(square_or_hang, [(3,), (0,), (4,), (5,)], workers=2, timeout=3)
    assert time.monotonic() - started < 20
    assert results == [9, None, 16, 25]


def test_a_pool_of_well_behaved_calls_returns_them_all_in_order():
    assert process.pool_map(square_or_hang, [(n,) for n in range(1, 7)], workers=2,
                            timeout=60) == [n * n for n in range(1, 7)]


def pid_of_worker(_):
    return os.getpid()


def test_pool_workers_start_as_lanes_do():
    """One start method for lanes and pools (process.lanes): never a plain fork of a
    process whose Pango has run."""
    context = process.lanes()
    assert context.get_start_method() in ("fork", "forkserver")
    pids = process.pool_map(pid_of_worker, [(n,) for n in range(4)], workers=2, timeout=60)
    assert os.getpid() not in pids and len(set(pids)) <= 2


def environment_value(name):
    return os.environ.get(name)


def test_a_child_sees_the_environment_of_the_moment_it_is_asked(monkeypatch):
    """A fork server keeps the environment it started with; its children must not:
    SOURCE_DATE_EPOCH set or unset since is the outputs' date."""
    monkeypatch.setenv("SAMIZDAT_TEST_VALUE", "first")
    assert process.pool_map(environment_value, [("SAMIZDAT_TEST_VALUE",)], workers=1,
                            timeout=60) == ["first"]
    monkeypatch.setenv("SAMIZDAT_TEST_VALUE", "second")
    assert process.pool_map(environment_value, [("SAMIZDAT_TEST_VALUE",)] * 2, workers=2,
                            timeout=60) == ["second", "second"]


def test_a_builds_stages_are_bounded_in_memory_and_installing_is_not(monkeypatch):
    """process.memory_bounded: past the bound an allocation fails (the build says X016),
    and the bound is lifted on leaving the block."""
    import resource

    before = resource.getrlimit(resource.RLIMIT_DATA)
    monkeypatch.setattr(process, "_memory", [])
    process.bound_memory(2)
    with process.memory_bounded():
        with pytest.raises(MemoryError):
            bytearray(3 * 1024 ** 3)
    assert resource.getrlimit(resource.RLIMIT_DATA) == before
    assert len(bytearray(64 * 1024 ** 2)) == 64 * 1024 ** 2
    finding = process.memory_finding("t.md")
    assert (finding.code, finding.path, finding.is_error) == ("X016", "t.md", True)
    assert "2 GB a process" in finding.message


def test_running_out_of_memory_in_a_build_is_x016_and_changes_nothing(tmp_path, monkeypatch):
    from conftest import ROOT
    from samizdat import build
    from samizdat.errors import UserError

    def exhausted(*args, **kwargs):
        raise MemoryError()

    monkeypatch.setattr(build, "make_all", exhausted)
    with pytest.raises(UserError) as error:
        build.build(ROOT / "tests" / "library" / "mutual-aid-note.md", tmp_path / "out")
    assert [f.code for f in error.value.findings] == ["X016"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == []


def _exhausted():
    raise MemoryError()


def test_a_lane_out_of_memory_is_memory_error_in_the_parent():
    """The build turns it into X016 (a crash would be X009, an internal error)."""
    with process.Lane(_exhausted, (), forked=True) as lane:
        with pytest.raises(MemoryError):
            lane.result()


def test_no_module_of_samizdat_is_imported_once_the_deadline_may_stop_the_build(
        tmp_path, monkeypatch):
    """The stages' imports are derived (process.reached), not listed by hand: a build
    imports nothing of its own after `interruptible()` (the hand-kept list had left
    out kepub, imported mid-build)."""
    import sys

    from samizdat import build as building

    at_deadline = []
    standard = process.interruptible
    monkeypatch.setattr(process, "interruptible", lambda: at_deadline.append(
        {m for m in sys.modules if m.startswith("samizdat.")}) or standard())
    building.build(ROOT / "manuscript" / "workers-power.md", tmp_path / "out")
    after = {m for m in sys.modules if m.startswith("samizdat.")}
    assert at_deadline and after - at_deadline[0] == set()
    assert {"samizdat.outputs.kepub", "samizdat.outputs.pdf", "samizdat.checks.verify"} <= set(process.reached())


def test_the_door_knows_when_pango_has_run():
    """Any layout through the one door (an HTML rendered with no font configuration of
    its own included) says Pango has run, and lanes then never fork this process."""
    probe = ("from samizdat import process, weasy; "
             "assert not weasy.pango_ran(); "
             "assert process.lanes().get_start_method() == 'fork'; "
             "weasy.HTML(string='<p>a</p>').render(); "
             "assert weasy.pango_ran(); "
             "assert process.lanes().get_start_method() == 'forkserver'")
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=120,
                   env={"PYTHONPATH": str(ROOT / "scripts"), "PATH": "/usr/bin:/bin"})
