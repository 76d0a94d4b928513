"""The printer test sheet: what each side says, the back turned for a long-edge flip,
crosses that meet through the sheet, same bytes twice."""

import re

import pikepdf
import pytest

from pdfread import page_texts
from samizdat.outputs import impose
from samizdat.outputs.printer_sheet import printer_test

SHEETS = pytest.mark.parametrize("sheet", [impose.A4, impose.LETTER], ids=lambda s: s.name)
MODES = pytest.mark.parametrize("duplex", ["short", "long"])


def matrices(path):
    """Per side, the matrix (six numbers) that draws the laid-out side onto the sheet."""
    with pikepdf.open(path) as pdf:
        return [[float(v) for v in re.match(r"q ([-\d. ]+) cm /Side Do Q",
                                            side.Contents.read_bytes().decode()).group(1).split()]
                for side in pdf.pages]


def crosses(path):
    """Per side, the set of line segments drawn on the sheet itself (the crosses)."""
    with pikepdf.open(path) as pdf:
        return [set(re.findall(r"([-\d.]+ [-\d.]+) m ([-\d.]+ [-\d.]+) l",
                               side.Contents.read_bytes().decode())) for side in pdf.pages]


@SHEETS
@MODES
def test_each_side_says_which_it_is_and_how_to_flip(tmp_path, sheet, duplex):
    out = printer_test(tmp_path / "test.pdf", sheet=sheet, duplex=duplex)
    front, back = page_texts(out)
    other = "long" if duplex == "short" else "short"
    assert "Side1—front" in front and "Side2—back" in back
    for text in (front, back):
        assert "↑TOPEDGE" in text
        assert f"Flipon{'the'}{duplex}edge" in text
        assert f"choosetheotherduplexmode({other}edge)" in text
        assert "100mmlong" in text and "crosses" in text
    with pikepdf.open(out) as pdf:
        assert [tuple(round(float(v), 2) for v in side.mediabox[2:]) for side in pdf.pages] == \
            [tuple(round(v, 2) for v in sheet.landscape)] * 2


@SHEETS
def test_the_back_is_turned_for_a_long_edge_flip_only(tmp_path, sheet):
    width, height = sheet.landscape
    short = matrices(printer_test(tmp_path / "short.pdf", sheet=sheet))
    long = matrices(printer_test(tmp_path / "long.pdf", sheet=sheet, duplex="long"))
    assert short == [[1, 0, 0, 1, 0, 0]] * 2
    assert long[0] == [1, 0, 0, 1, 0, 0]
    assert long[1] == pytest.approx([-1, 0, 0, -1, width, height], abs=1e-3)


@MODES
def test_the_crosses_meet_through_the_sheet(tmp_path, duplex):
    """Same place on both sides, and a set that either flip maps onto itself."""
    width, height = impose.A4.landscape
    front, back = crosses(printer_test(tmp_path / "t.pdf", duplex=duplex))
    assert front == back and len(front) == 6

    found = {tuple(float(v) for v in p.split()) for s in front for p in s}

    def maps_onto_itself(flip):
        return all(any(abs(fx - x) + abs(fy - y) < 0.01 for x, y in found)
                   for fx, fy in (flip(*p) for p in found))

    assert maps_onto_itself(lambda x, y: (width - x, y))  # short-edge flip
    assert maps_onto_itself(lambda x, y: (x, height - y))  # long-edge flip
    assert not maps_onto_itself(lambda x, y: (x + 1, y))  # the check can fail
    assert any(abs(x - width / 2) + abs(y - height / 2 + 14) < 0.01 for x, y in found)


def test_same_arguments_same_bytes(tmp_path):
    first = printer_test(tmp_path / "a.pdf", duplex="long").read_bytes()
    assert printer_test(tmp_path / "b.pdf", duplex="long").read_bytes() == first
    assert printer_test(tmp_path / "c.pdf").read_bytes() != first


def test_an_unknown_duplex_mode_is_refused(tmp_path):
    with pytest.raises(ValueError):
        printer_test(tmp_path / "t.pdf", duplex="both")
