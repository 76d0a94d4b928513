"""samizdat.weasy: WeasyPrint imported with quick library lookups, same libraries."""

import ctypes.util
import subprocess
import sys

import pytest
from samizdat import weasy

# Every spelling WeasyPrint 70 (text/ffi.py) may hand to find_library on Linux, plus
# names that exist nowhere and libraries everyone has.
NAMES = ["libgobject-2.0-0", "gobject-2.0-0", "gobject-2.0", "libpango-1.0-0", "pango-1.0",
         "harfbuzz", "harfbuzz-0.0", "harfbuzz-subset", "harfbuzz-vector", "fontconfig-1",
         "fontconfig", "pangoft2-1.0-0", "pangoft2-1.0", "c", "m", "no-such-library-at-all"]


@pytest.mark.parametrize("name", NAMES)
def test_quick_lookup_finds_what_ctypes_finds(name):
    assert weasy.find_library(name) == ctypes.util.find_library(name)


MAPPED = ("import sys, importlib; importlib.import_module(sys.argv[1]); "
          "print('\\n'.join(sorted({l.split()[-1] for l in open('/proc/self/maps') "
          "if '.so' in l})))")


def test_the_same_shared_libraries_load_as_with_a_plain_import():
    loaded = {module: subprocess.run([sys.executable, "-c", MAPPED, module], check=True,
                                     capture_output=True, text=True).stdout.split()
              for module in ("samizdat.weasy", "weasyprint")}
    assert loaded["samizdat.weasy"] == loaded["weasyprint"]
    assert any("libpango-1.0" in path for path in loaded["weasyprint"])


def test_find_library_is_the_standard_one_again_after_the_import():
    assert ctypes.util.find_library is not weasy.find_library


def test_a_module_that_cannot_load_quickly_is_imported_the_standard_way(tmp_path,
                                                                        monkeypatch):
    (tmp_path / "picky_native.py").write_text(
        "import ctypes.util\n"
        "from samizdat import weasy\n"
        "print('could not load')\n"
        "if ctypes.util.find_library is weasy.find_library:\n"
        "    raise OSError('cannot load libpicky')\n"
        "LOADED_BY = ctypes.util.find_library.__module__\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = weasy.import_quickly("picky_native")
    assert module.LOADED_BY == "ctypes.util"
    del sys.modules["picky_native"]


def _streams(pdf_bytes):
    """(raw, decoded) bytes of every Flate stream of a PDF."""
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf_bytes)) as document:
        return [(o.read_raw_bytes(), o.read_bytes()) for o in document.objects
                if isinstance(o, pikepdf.Stream) and o.get("/Filter") == "/FlateDecode"]


def test_write_pdf_deflates_every_stream_at_its_level_and_leaves_pydyf_as_it_was():
    import zlib

    import pydyf

    standard = pydyf.zlib
    document = weasy.HTML(string="<p>" + "Workers' power, " * 400 + "</p>").render()
    streams = _streams(weasy.write_pdf(document))
    assert len(streams) >= 2 and pydyf.zlib is standard
    assert all(raw == zlib.compress(data, weasy.DEFLATE_LEVEL) for raw, data in streams)
    # pydyf's own level 9 is not the same bytes, so the test above can tell them apart.
    assert any(raw != zlib.compress(data, 9) for raw, data in streams)
    assert all(raw == zlib.compress(data, 9) for raw, data in _streams(document.write_pdf()))


@pytest.mark.parametrize("make", ["weasy.footnotes._deferral_fix",
                                  "weasy.footnotes._rounding_fix", "weasy.linebreak._fix"])
def test_a_rebuilt_function_keeps_weasyprints_file_and_lines(make):
    """A traceback through a fixed function points at WeasyPrint's own code."""
    import importlib

    from samizdat import weasy

    module, name = make.rsplit(".", 1)
    fix = getattr(importlib.import_module(f"samizdat.{module}"), name)()
    rebuilt, original = weasy._rebuild(fix), fix.original()
    assert rebuilt is not None and rebuilt is not original
    assert rebuilt.__code__.co_filename == original.__code__.co_filename
    assert rebuilt.__code__.co_firstlineno == original.__code__.co_firstlineno
    lines = [line for _, _, line in rebuilt.__code__.co_lines() if line]
    assert min(lines) == original.__code__.co_firstlineno


def _tagged(document):
    return weasy.write_pdf(document, pdf_variant="pdf/ua-1", pdf_identifier=b"samizdat")


def test_page_references_are_made_once_per_page_count_and_pydyf_is_left_as_it_was():
    import pydyf

    standard = pydyf.PDF.__dict__["page_references"]
    pdf = pydyf.PDF()
    for _ in range(3):
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    with weasy.remembered_page_references() as in_force:
        assert in_force
        first = pdf.page_references
        assert pdf.page_references is first and len(first) == 3
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
        assert pdf.page_references[:3] == first and len(pdf.page_references) == 4
        assert pdf.page_references[3] == f"{pdf.objects[-1].number} 0 R".encode()
    assert pydyf.PDF.__dict__["page_references"] is standard
    assert pdf.page_references is not pdf.page_references  # pydyf's own: a new tuple


def test_a_tagged_pdf_is_the_same_bytes_with_page_references_remembered(monkeypatch):
    html = "".join(f"<h2>Part {n}</h2><p>{'Workers’ power, ' * 300}</p>" for n in range(6))
    document = weasy.HTML(string=html).render()
    remembered = _tagged(document)
    monkeypatch.setattr(weasy, "PAGE_REFERENCES_DIGEST", "another pydyf")
    assert len(document.pages) > 6 and _tagged(document) == remembered


def test_a_pydyf_fix_that_does_not_apply_says_so_once(caplog, monkeypatch):
    import pydyf

    monkeypatch.setattr(weasy, "PAGE_REFERENCES_DIGEST", "another pydyf")
    weasy.say_not_applied.cache_clear()
    standard = pydyf.PDF.__dict__["page_references"]
    for _ in range(2):
        with weasy.remembered_page_references() as in_force:
            assert not in_force and pydyf.PDF.__dict__["page_references"] is standard
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("W001")]
    assert len(said) == 1 and "page_references" in said[0] and "0.13.0" in said[0]
    weasy.say_not_applied.cache_clear()


def _code_objects(code):
    yield code
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            yield from _code_objects(const)


def test_a_fix_with_more_changes_makes_them_all_or_none(monkeypatch):
    import dataclasses
    import dis

    from samizdat.weasy import footnotes

    fix = footnotes._deferral_fix()
    rebuilt = weasy._rebuild(fix)
    # the note lookup skips boxes without a note: `is not None` in the line's generator
    lookups = [c for c in _code_objects(rebuilt.__code__)
               if c.co_name == "<genexpr>" and "footnote" in c.co_names]
    def tests_none(code):  # 3.11 compiles `is not None` in a condition to a jump
        return any(i.opname == "IS_OP" or "NONE" in i.opname for i in dis.get_instructions(code))

    assert lookups and all(tests_none(c) for c in lookups)
    original = [c for c in _code_objects(fix.original().__code__)
                if c.co_name == "<genexpr>" and "footnote" in c.co_names]
    assert original and not any(tests_none(c) for c in original)
    missing = dataclasses.replace(fix, more=(("no such line", "x"),))
    assert weasy._rebuild(missing) is None
