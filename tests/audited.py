"""Run `samizdat ARGS...` with an audit hook on every file Python opens (sys.addaudithook,
the "open" event: open(), io.open, os.open), in this process and the lanes it forks.

    python tests/audited.py LOG ARGS...

Each open appends to LOG its path as it resolves at that moment (symbolic links
followed: a swap during the build shows as the file it led to), then a NUL. os.open
(which may open a name relative to a folder's descriptor, which the event does not
name) is wrapped instead: it writes the file it opened as /proc/self/fd names it.
With SAMIZDAT_AUDIT_SWAP set to `NAME:TARGET`, a thread swaps file NAME (in the
working folder) with a link to TARGET and back, again and again, while the build
runs. What C libraries open themselves (fontconfig's fonts, Pango) is not seen;
WeasyPrint and pandoc read only bytes handed to them (pdf.LocalFetcher,
epub.stage_media)."""

import os
import sys

if __name__ == "__main__":  # a fork server imports this file again, as __mp_main__
    os.environ["SAMIZDAT_AUDIT_LOG"] = sys.argv.pop(1)
LOG = os.open(os.environ["SAMIZDAT_AUDIT_LOG"],
              os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
_busy = []


def _hook(event, args):
    """open() and io.open: the path as it resolves now (os.open is _os_open's)."""
    if event != "open" or _busy or isinstance(args[0], int) or args[1] is None:
        return
    _busy.append(True)
    try:
        os.write(LOG, os.fsencode(os.path.realpath(os.fsdecode(args[0]))) + b"\0")
    finally:
        _busy.pop()


_standard_open = os.open


def _os_open(path, flags, mode=0o777, *, dir_fd=None):
    """os.open, and the file it opened as the kernel names it (/proc/self/fd): exact,
    whatever folder descriptor it was opened from; a refused open opened nothing."""
    fd = _standard_open(path, flags, mode, dir_fd=dir_fd)
    _busy.append(True)
    try:
        os.write(LOG, os.fsencode(os.readlink(f"/proc/self/fd/{fd}")) + b"\0")
    finally:
        _busy.pop()
    return fd


os.open = _os_open


def _swap(name, target):
    """Make NAME a link to TARGET and back, each an atomic rename, until the end."""
    import itertools
    import time

    with open(name, "rb") as stream:
        data = stream.read()
    swapping = f".{name}.swapping"
    for turn in itertools.count():
        if turn % 2 == 0:
            os.symlink(target, swapping)
        else:
            with open(swapping, "wb") as stream:
                stream.write(data)
        os.replace(swapping, name)
        time.sleep(0.002)


sys.addaudithook(_hook)  # here, in the fork server and in every process they start

if __name__ == "__main__":
    if os.environ.get("SAMIZDAT_AUDIT_SWAP"):
        import threading

        threading.Thread(target=_swap, args=os.environ["SAMIZDAT_AUDIT_SWAP"].split(":", 1),
                         daemon=True).start()

    from samizdat import cli  # its imports are audited too

    sys.argv = ["samizdat", *sys.argv[1:]]
    cli.entry()  # as the command runs: main(), its temporary folder removed, os._exit
