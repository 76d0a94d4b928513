"""The build's own temporary folder.

Every temporary file of a build (Samizdat's, WeasyPrint's fonts, pandoc's,
multiprocessing's) goes into one folder that the process owns, named
`samizdat-run-<pid>-…` in the system's temporary folder; the processes it starts make
theirs inside it (TMPDIR). WeasyPrint keeps its fonts' folder until its
FontConfiguration is collected, which a process ending by `os._exit` (the CLI, every
lane and worker) never does: a build left ~7 MB behind each time. Here the owner
removes the whole folder on every way out (`release()`, run at exit too); a process
killed outright leaves its folder behind, and the next build removes it: each folder
holds a lock (flock) for as long as its owner or any child it forked lives.
"""

import contextlib
import fcntl
import multiprocessing.process
import multiprocessing.util
import os
import shutil
import tempfile
from pathlib import Path

PREFIX = "samizdat-run-"
_LOCK = ".lock"
_owned = {}  # pid -> [(folder, its held lock)]: its own, and the socket folder if any
# A Unix socket's path holds at most 107 bytes (sun_path); multiprocessing's fork server
# listens on <its folder>/pymp-XXXXXXXX/listener-XXXXXXXX.
SUN_PATH_MAX = 107
SOCKET_TAIL = len("/pymp-XXXXXXXX/listener-XXXXXXXX")


def own():
    """This process's temporary folder, made (and made the temporary folder of this
    process and its children) on first call; folders of dead builds beside it removed."""
    pid = os.getpid()
    if pid in _owned:
        return _owned[pid][0][0]
    tempfile.tempdir = None  # the TMPDIR of now (a fork server's child has its parent's)
    base = Path(tempfile.gettempdir())
    made = [_make(base, pid)]
    # A worker's folder is inside its parent's, which removes both: no socket room needed
    # there (a worker starts no fork server), and none left in /tmp by a killed worker.
    if not base.name.startswith(PREFIX):
        made += _socket_folder(made[0][0], pid)
    _owned[pid] = made
    os.environ["TMPDIR"] = tempfile.tempdir = str(made[0][0])
    # At exit, after multiprocessing has removed its own folder in it (its finalizer has
    # priority -100; an atexit handler of ours would run first, and it would fail).
    multiprocessing.util.Finalize(None, release, exitpriority=-200)
    return made[0][0]


def _make(base, pid):
    """(folder, its held lock) made in `base`, after the folders of dead builds there are
    removed. Made under another name and locked before it is named: a sweep never sees
    it unlocked."""
    sweep(base)
    making = Path(tempfile.mkdtemp(prefix=f".samizdat-making-{pid}-", dir=base))
    lock = open(making / _LOCK, "wb")  # noqa: SIM115 - held until release()
    fcntl.flock(lock, fcntl.LOCK_EX)
    folder = base / f"{PREFIX}{pid}-{making.name.rsplit('-', 1)[1]}"
    os.rename(making, folder)
    return folder, lock


def release():
    """Remove this process's temporary folder and everything in it (its children's
    too); the temporary folder is the one it had before own(). Idempotent."""
    made = _owned.pop(os.getpid(), None)
    if made is None:
        return
    os.environ["TMPDIR"] = tempfile.tempdir = str(made[0][0].parent)
    if len(made) > 1:
        multiprocessing.process.current_process()._config["tempdir"] = None
    for folder, lock in made:
        shutil.rmtree(folder, ignore_errors=True)
        lock.close()


def _socket_folder(folder, pid):
    """multiprocessing makes its folder (the fork server's socket) in ours; in a deep
    TMPDIR (pytest's, say) the socket's path would pass SUN_PATH_MAX ("AF_UNIX path too
    long"). Then multiprocessing is given a folder of ours in /tmp instead (CPython 3.13
    moves its own there too); release() removes it, a sweep there if the build is
    killed. Returns [(folder, lock)], or [] (not needed, or this Python keeps its
    configuration elsewhere: then as before, said at debug level)."""
    if len(os.fsencode(folder)) + SOCKET_TAIL <= SUN_PATH_MAX:
        return []
    config = getattr(multiprocessing.process.current_process(), "_config", None)
    if not isinstance(config, dict) or config.get("tempdir") or not os.path.isdir("/tmp"):
        import logging

        logging.getLogger("samizdat").debug("the fork server's socket stays in %s", folder)
        return []
    sockets = _make(Path("/tmp"), pid)
    config["tempdir"] = str(sockets[0])
    return [sockets]


def sweep(base):
    """Remove the folders in `base` of builds no longer running (their lock is free)."""
    for folder in Path(base).glob(f"{PREFIX}*"):
        with contextlib.suppress(OSError):
            if not folder.is_symlink() and folder.is_dir() and _abandoned(folder):
                shutil.rmtree(folder, ignore_errors=True)


def _abandoned(folder):
    """Whether no living process holds `folder`'s lock (a folder without one is being
    made right now, or was never a build's: left alone)."""
    try:
        fd = os.open(folder / _LOCK, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
