"""The build reads nothing outside the manuscript's folder and styles/, and nothing from
the network, even when the source checks are bypassed (stages called directly)."""

import zipfile
import zlib
import struct

import pytest

from samizdat.outputs import epub, pdf
from samizdat.source import manuscript
from samizdat.errors import UserError

SECRET = b"SECRET-BYTES-0123456789"


def png(colour=b"\xff\x00\x00"):
    """A valid 1x1 PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" + colour)) + chunk(b"IEND", b""))


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "secret.png").write_bytes(png(b"\x00\x00\xff") + SECRET)
    inside = tmp_path / "book"
    inside.mkdir()
    (inside / "inside.png").write_bytes(png())
    return inside


def write(folder, body):
    path = folder / "book.md"
    path.write_text("---\ntitle: T\nauthor: A\ndate: 2024\nlang: en\nrights: Anti-Copyright\n"
                    "---\n\n" + body + "\n", encoding="utf-8")
    return manuscript.load(path)


OUTSIDE = ["![x](../secret.png)", "![x]({abs})", "![x](file://{abs})",
           '<img src="../secret.png">', '<link rel="stylesheet" href="../secret.png">']


@pytest.mark.parametrize("reference", OUTSIDE)
def test_outside_files_never_reach_the_epub(folder, tmp_path, reference):
    ms = write(folder, "Text " + reference.format(abs=tmp_path / "secret.png"))
    out = tmp_path / "x.epub"
    try:
        epub.epub(ms, out)
    except UserError as error:
        assert {f.code for f in error.findings} <= {"R002", "E005"}
        return
    with zipfile.ZipFile(out) as archive:
        assert not any(SECRET in archive.read(name) for name in archive.namelist())


@pytest.mark.parametrize("reference", OUTSIDE + ["![x](http://example.invalid/a.png)"])
def test_outside_files_never_reach_the_pdf(folder, tmp_path, reference):
    ms = write(folder, "Text " + reference.format(abs=tmp_path / "secret.png"))
    out = tmp_path / "x.pdf"
    with pytest.raises(UserError) as error:
        pdf.pdf(ms, out)
    assert {f.code for f in error.value.findings} == {"R002"}
    assert not out.exists()


def test_images_inside_the_folder_are_used(folder, tmp_path):
    ms = write(folder, "Text ![an image](inside.png)")
    out = epub.epub(ms, tmp_path / "x.epub")
    with zipfile.ZipFile(out) as archive:
        media = [n for n in archive.namelist() if n.endswith(".png")]
        assert [archive.read(n) for n in media] == [png()]
    pdf.pdf(ms, tmp_path / "x.pdf")
    assert (tmp_path / "x.pdf").stat().st_size > 0


def _pdf_after_the_check_with(ms, out, swap):
    """Lay out `ms` (whose images the checks have read), then `swap()` the folder, then
    write the PDF: what WeasyPrint writes must be the bytes the checks read."""
    document = pdf.layout(pdf.print_html(ms), ms=ms, page=pdf.A5)
    swap()
    pdf.write_pdf(document, out)
    return out.read_bytes()


def test_an_image_swapped_for_a_link_out_after_the_check_is_not_read_again(folder, tmp_path):
    ms = write(folder, "Text ![an image](inside.png)")
    ms.media  # the checks' one read

    def swap():
        (folder / "inside.png").unlink()
        (folder / "inside.png").symlink_to(tmp_path / "secret.png")

    written = _pdf_after_the_check_with(ms, tmp_path / "x.pdf", swap)
    assert SECRET not in written and _pixels(tmp_path / "x.pdf") == {b"\xff\x00\x00"}


def test_a_fragment_naming_a_path_through_a_folder_is_not_opened(folder, tmp_path):
    """`x.png#/../../secret.png` names the file x.png; opened raw, through a folder
    called `x.png#`, it would be the secret outside the book's folder."""
    (folder / "x.png").write_bytes(png())
    (folder / "x.png#").mkdir()
    ms = write(folder, "Text ![an image](x.png#/../../secret.png)")
    written = _pdf_after_the_check_with(ms, tmp_path / "x.pdf", lambda: None)
    assert SECRET not in written and _pixels(tmp_path / "x.pdf") == {b"\xff\x00\x00"}


def _pixels(path):
    """The set of RGB pixels of every image in the PDF at `path` (the book's own image
    is red; the secret outside is blue)."""
    import pikepdf

    with pikepdf.open(path) as document:
        data = b"".join(pikepdf.PdfImage(image).read_bytes() for page in document.pages
                        for image in page.get_images().values())
    return {data[i:i + 3] for i in range(0, len(data), 3)}
