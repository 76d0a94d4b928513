"""framestack.roomy: calls across a frame-stack chunk's end stop mapping memory."""

import resource
import sys

import pytest

from samizdat.outputs import pdf
from samizdat.weasy import framestack

CALLS = 2000


def _leaf():
    return None


def _loop():
    for _ in range(CALLS):
        _leaf()


def _descend(depth, then):
    return then() if depth == 0 else _descend(depth - 1, then)


def _faults(function):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    function()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def _worst_depth(run):
    """Most page faults of CALLS calls made at any depth over more than one 16 KiB
    chunk of frames: one of those depths puts the calls across a chunk's end."""
    return max(_faults(lambda d=depth: run(lambda: _descend(d, _loop))) for depth in range(400))


def test_a_loop_across_a_chunk_end_faults_on_every_call_without_room():
    worst = _worst_depth(lambda function: function())
    if worst < CALLS // 2:
        pytest.skip(f"this CPython ({sys.version.split()[0]}) keeps a spare stack chunk")
    assert worst >= CALLS


def test_with_room_the_same_loops_fault_no_more_than_a_few_pages():
    assert _worst_depth(framestack.roomy(lambda function: function())) < CALLS // 20


def test_roomy_passes_arguments_results_and_errors_through():
    @framestack.roomy
    def divide(a, b=1):
        """Doc kept."""
        return a / b

    assert divide(6, b=3) == 2
    assert divide.__doc__ == "Doc kept." and divide.__name__ == "divide"
    with pytest.raises(ZeroDivisionError):
        divide(1, b=0)


def test_the_pdf_stage_lays_out_inside_a_roomy_frame(monkeypatch, tmp_path):
    seen = []

    def layout(*args, **kwargs):
        frames, frame = [], sys._getframe()
        while frame:
            frames.append(frame.f_code.co_name)
            frame = frame.f_back
        seen.extend(frames)
        raise RuntimeError("stop here")

    monkeypatch.setattr(pdf, "layout", layout)
    with pytest.raises(RuntimeError, match="stop here"):
        pdf.pdf(None, tmp_path / "x.pdf", html="<p>x</p>")
    assert "_roomy_call" in seen
