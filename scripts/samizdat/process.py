"""Process plumbing: the second lane of a build, and the clock every build runs against.

A build runs its stages in two processes (see build.make_all); nothing here knows
what the stages are. Every wait has a timeout: a stuck child, a layout that does
not end, a tool that hangs all end as X004, never as a hang.
"""

import contextlib
import errno
import functools
import os
import re
import signal
import threading
import time
import traceback

from .errors import Finding, UserError

# `from . import a, b`, `from ..a import x` and `from .a import (x, y)`, at any indent
# (stages import lazily)
_RELATIVE_IMPORT = re.compile(
    r"^[ \t]*from (\.+)([\w.]*) import (?:\(([^)]*)\)|([^\n#]*))", re.M)


@functools.cache
def reached(root="build"):
    """Every module of this package that module `root` (dotted, below the package)
    imports, itself or through another, read from their sources: what a build may
    import once it has begun. The build imports them all before its deadline may stop
    it (`interruptible`), and the fork server preloads them, so no list of stages is
    kept by hand."""
    seen, todo = set(), [root]
    while todo:
        name = todo.pop()
        source = _source_of(name)
        if name in seen or source is None:
            continue
        seen.add(name)
        here = name.split(".") if source.name == "__init__.py" else name.split(".")[:-1]
        for dots, module, listed, written in _RELATIVE_IMPORT.findall(
                source.read_text(encoding="utf-8")):
            base = here[:len(here) - len(dots) + 1] + (module.split(".") if module else [])
            # the module named, its packages, and each name that is a module of its own
            todo += [".".join(base[:cut]) for cut in range(1, len(base) + 1)]
            todo += [".".join(base + [n.split(" as ")[0].strip()])
                     for n in (listed or written).split(",") if n.strip()]
    return tuple(f"{__package__}.{name}" for name in sorted(seen))


def _source_of(name):
    """The source file of module `name` (dotted, below this package), or None when it
    is none of its modules (a name a module holds: a class, a function)."""
    from pathlib import Path

    path = Path(__file__).parent.joinpath(*name.split("."))
    for source in (path / "__init__.py", path.with_suffix(".py")):
        if source.is_file():
            return source
    return None

# What one text may take, by default: a 500-page book with hundreds of notes takes
# minutes; a text with 5,000 notes ~10 (WeasyPrint lays out a page's notes again for
# each note it adds: quadratic in the notes of a page; footnotes.remembered_notes
# answers most of those, but not a note among floats).
TIMEOUT = 1800
# What one process of a build may hold, by default, in gigabytes (see bound_memory): the
# A5 layout of a 244-page book peaks at 0.6 GB, 100,000 links in 5 MB of text at 5 GB
# (measured); past that a build on this 24 GB machine would starve the other lane.
MEMORY_GB = 6


def bound_memory(gigabytes):
    """From now on the stages of a build here (see memory_bounded) may hold at most
    `gigabytes` of data in each process."""
    _memory.append(gigabytes)


@contextlib.contextmanager
def memory_bounded():
    """Within the block this process, and each it starts, may hold at most the bound
    of bound_memory, if one was set (RLIMIT_DATA: heap and writable private maps;
    pandoc's reserved address space is not counted, and its heap has its own bound).
    Past it an allocation fails (MemoryError), and the build stops with X016. The
    bound is lifted on leaving: installing the outputs is never cut short. Where the
    system has no such limit, the block runs unbounded, said at debug level."""
    import logging
    import resource

    if not _memory:
        yield
        return
    try:
        before, hard = resource.getrlimit(resource.RLIMIT_DATA)
        limit = int(_memory[-1] * 1024 ** 3)
        resource.setrlimit(resource.RLIMIT_DATA, (
            limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    except (ValueError, OSError, AttributeError) as error:
        logging.getLogger("samizdat").debug("memory not bounded: %s", error)
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (before, hard))


_memory = []  # the bound set, if any


def memory_finding(name):
    """X016 for manuscript `name`: its build needed more memory than its bound."""
    bound = f"{_memory[-1]:g} GB" if _memory else "what the system gave it"
    return Finding("X016", name, None, f"the build needed more memory than its bound "
                   f"({bound} a process) and was stopped: --memory sets the bound")


class Timeout(BaseException):
    """The build's time is up. A BaseException, so that no `except Exception` in a
    library the build drives can swallow it."""


class InternalError(Exception):
    """A fault in Samizdat (not in the input): `details` is the traceback to report."""

    def __init__(self, summary, details=""):
        super().__init__(summary)
        self.details = details


_deadline = threading.local()


@contextlib.contextmanager
def deadline(seconds, *, name):
    """Within the block, raise UserError X004 (naming manuscript `name`) once `seconds`
    have passed. Works in a process's main thread (a SIGALRM timer), where builds run;
    elsewhere the block runs unbounded, but every child process still has its own wait
    bounded (lane, remaining).

    The timer interrupts Python code wherever it is, which is unsafe while a C
    extension is being imported (nanobind aborts the process): until `interruptible()`
    is called, once every module the build needs is imported, an expired timer is
    only noted; `interruptible()` then stops the build at once."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    _deadline.at, _deadline.armed, _deadline.expired = time.monotonic() + seconds, False, False
    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except Timeout:
        raise UserError(Finding("X004", name, None, f"the build took longer than {seconds:g} "
                                "s and was stopped (--timeout sets the limit)")) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        _deadline.at = None


def _expire(signum, frame):
    if getattr(_deadline, "armed", False):
        raise Timeout()
    _deadline.expired = True


def interruptible():
    """From now on the deadline may stop the build anywhere (see deadline); if it has
    passed already, stop now."""
    _deadline.armed = True
    if getattr(_deadline, "expired", False):
        raise Timeout()


def remaining():
    """Seconds left before the current deadline (None if there is none)."""
    at = getattr(_deadline, "at", None)
    return None if at is None else max(0.0, at - time.monotonic())


class Lane:
    """`function(*args)` -> [Finding], run in a forked process (or here, at once, if
    not `forked`). `result()` waits for its findings: a UserError in the lane comes
    back as its findings, an OSError as itself, anything else as InternalError.
    Used as a context manager, a lane not waited for is killed on leaving."""

    def __init__(self, function, args, *, forked):
        self.name, self.process = function.__name__, None
        if not forked:
            try:
                self.findings = function(*args)
            except UserError as error:
                self.findings = error.findings
            return
        context = lanes()
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(target=_lane_child,
                                       args=(send, function, args, dict(os.environ)),
                                       daemon=True)
        self.process.start()
        send.close()

    def result(self):
        """The lane's findings, once it has finished (bounded by the deadline)."""
        if self.process is None:
            return self.findings
        try:
            return _receive(self.receive, self.process, self.name)
        finally:
            self.close()

    def close(self):
        """Kill the lane's process, and any program it started (pandoc, in its process
        group), if it still runs; idempotent."""
        if self.process is not None:
            if self.process.is_alive():
                _kill_group(self.process)
            self.process.join(5)
            self.receive.close()
            self.process = None
            self.findings = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _receive(receive, process, name):
    left = remaining()
    # The deadline's timer interrupts this wait; the poll's own limit is a second bound.
    if not receive.poll(TIMEOUT if left is None else left + 5):
        raise Timeout()
    try:
        kind, value = receive.recv()
    except EOFError:
        process.join(5)
        kind, value = "crash", f"the {name} process ended with exit code {process.exitcode}"
    if kind == "oserror":
        raise OSError(*value)
    if kind == "memory":
        raise MemoryError(value)
    if kind == "crash":
        raise InternalError(f"the {name} process failed", value)
    return value


def pool_map(function, arguments, *, workers, timeout):
    """[function(*args) for args in `arguments`], run in `workers` processes started
    as lanes are (see lanes()); waits at most `timeout` seconds in all. A call not
    finished by then gives None, and every worker still running is killed."""
    from concurrent.futures import ProcessPoolExecutor, wait

    pool, futures = ProcessPoolExecutor(workers, mp_context=lanes()), []
    try:
        here = dict(os.environ)
        futures = [pool.submit(_in_environment, here, function, *args) for args in arguments]
        wait(futures, timeout=timeout)
        return [f.result() if f.done() and not f.cancelled() else None for f in futures]
    finally:
        unfinished = any(not f.done() for f in futures)
        if unfinished:
            for worker in list(getattr(pool, "_processes", {}).values()):
                worker.kill()  # 3.11 has no public way; a hung worker ignores shutdown
        pool.shutdown(wait=not unfinished, cancel_futures=True)


def lanes():
    """The multiprocessing context for lanes and pools, the one start method: a fork of this process while Pango has
    not run here (a fresh `samizdat build`: no second WeasyPrint import), else a fork
    server that has imported WeasyPrint but never laid anything out. Forking after
    Pango ran is not safe: its font-loading thread can leave fontconfig locked in
    the child, which then hangs."""
    import multiprocessing

    from . import weasy

    if not weasy.pango_ran() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(reached()))
    return context


def start_lanes():
    """Start the fork server now if lanes will need it, so its imports overlap the
    main process's work."""
    import sys
    from multiprocessing import forkserver

    weasy = sys.modules.get(f"{__package__}.weasy")  # not imported: Pango cannot have run
    if weasy is not None and weasy.pango_ran():
        lanes()
        forkserver.ensure_running()


def _in_environment(environment, function, *args):
    """`function(*args)` with the environment the parent had when it asked for the call.

    A fork server's children inherit the server's environment as it was when it
    started, not the parent's now: a SOURCE_DATE_EPOCH set (or unset) since would be
    lost, and the outputs' dates with it (seen in the tests: a date from an earlier
    test's build)."""
    _take_environment(environment)
    return function(*args)


def _take_environment(environment):
    """Make `environment` this process's, TMPDIR included (tempfile caches its folder)."""
    import tempfile

    os.environ.clear()
    os.environ.update(environment)
    tempfile.tempdir = None


def _kill_group(process):
    """Kill `process` and its process group (a lane is the leader of its own: a pandoc it
    started would live on, writing into the build's temporary folder as it is removed)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):  # not yet the leader of its group
        process.kill()


def _dies_with_parent():
    """Have the kernel kill this process when its parent dies (Linux's PR_SET_PDEATHSIG):
    a lane leads its own process group, so a build killed outright would not take it
    along, and it would hold the build's temporary folder (scratch) for as long as it
    ran. Elsewhere the lane finishes its work and ends (said at debug level)."""
    import ctypes
    import logging

    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signal.SIGKILL, 0, 0, 0) != 0:  # 1: PR_SET_PDEATHSIG
            raise OSError(ctypes.get_errno(), "prctl")
    except (OSError, AttributeError) as error:
        logging.getLogger("samizdat").debug("a lane outlives a killed build: %s", error)
        return
    if os.getppid() != parent:  # the parent died before prctl
        os._exit(1)


def _lane_child(send, function, args, environment):
    os.setpgid(0, 0)
    _dies_with_parent()
    _take_environment(environment)
    try:
        send.send(("findings", function(*args)))
    except UserError as error:
        send.send(("findings", error.findings))
    except MemoryError:  # the memory bound: the parent says X016
        send.send(("memory", "in the lane"))
    except OSError as error:  # a full disk, a folder gone: the user's to mend
        send.send(("oserror", (error.errno or errno.EIO, error.strerror or str(error),
                               error.filename)))
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
        send.send(("crash", traceback.format_exc()))
