"""Room on CPython's frame stack, so deep loops do not map and unmap memory.

CPython 3.11 to 3.13 keep Python frames in chunks of 16 KiB: a chunk is mapped when a
call does not fit in the current one and unmapped as soon as that call returns
(python/cpython#142183; 3.14 keeps one chunk). A loop that calls across a chunk's
end maps, faults in and unmaps a chunk on every call. Where that end falls depends
on how deep the caller already is, so the same build can be slow in one process and
not in another: a library worker (called from the process pool's loop) spent ~9% of
its CPU on it, 110,000 page faults for 6 texts against 30,000 with room.

`roomy(function)` calls `function` from a frame with SPARE_SLOTS unused stack slots:
CPython maps one chunk big enough for that frame (1 MiB) and every call made inside
fits in what is left of it, so no chunk changes hands while `function` runs.
"""

import functools
import types

from .patches import opens

# 64 Ki slots (512 KiB) make CPython map a 1 MiB chunk (chunk sizes double from
# 16 KiB): ~500 KiB stay free for the calls made inside, thousands of frames deep.
SPARE_SLOTS = 64 * 1024


def _call(function, args, kwargs):
    return function(*args, **kwargs)


# The same code, declaring a deeper value stack than it uses: only the frame's size
# changes (the interpreter reserves the slots and never reads the unused ones).
_roomy_call = types.FunctionType(
    _call.__code__.replace(co_name="_roomy_call",
                           co_stacksize=_call.__code__.co_stacksize + SPARE_SLOTS),
    globals())


def roomy(function):
    """Decorator: run `function` with room on the frame stack (see the module doc)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if not opens("frame-room"):  # another interpreter: a plain call, said once (W001)
            return function(*args, **kwargs)
        return _roomy_call(function, args, kwargs)

    return wrapper
