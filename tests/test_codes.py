"""The codes table (docs/codes.md) is held to the code: every code a module can say is
in the table, every code in the table is said by some module, and every code has a test."""
import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = re.compile(r"(?<![A-Za-z0-9-])([BCEFIMNPRWX]\d{3})(?![0-9])")
ROW = re.compile(r"^\| ([BCEFIMNPRWX]\d{3})( \(W\))? \|", re.M)


def said_by_code(package=ROOT / "scripts" / "samizdat"):
    """The codes written in the string literals of the package's modules."""
    codes = set()
    for module in package.rglob("*.py"):
        tokens = tokenize.generate_tokens(io.StringIO(module.read_text(encoding="utf-8")).readline)
        for token in tokens:
            if token.type == tokenize.STRING or token.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
                codes |= set(CODE.findall(token.string))
    return codes


def in_table(text=None):
    """{code: is a warning} of the table in docs/codes.md."""
    text = text if text is not None else (ROOT / "docs" / "codes.md").read_text(encoding="utf-8")
    return {code: bool(w) for code, w in ROW.findall(text)}


def test_every_code_the_code_says_is_in_the_table_and_no_other():
    table = set(in_table())
    assert said_by_code() - table == set(), "codes said but not in docs/codes.md"
    assert table - said_by_code() == set(), "codes in docs/codes.md no module says"


def test_every_code_has_a_test():
    tested = set()
    for path in (ROOT / "tests").rglob("*"):
        if path.is_file() and path.suffix in (".py", ".txt") and path.name != "test_codes.py":
            tested |= set(CODE.findall(path.read_text(encoding="utf-8", errors="replace")))
    tested |= {p.name[:4].upper() for p in (ROOT / "tests" / "check").iterdir()}
    assert set(in_table()) - tested == set()


def test_the_comparison_sees_a_code_missing_from_the_table(tmp_path):
    (tmp_path / "m.py").write_text('print(f"Z100 {x}")\nraise UserError("Q999 no", "F123 x")\n')
    assert said_by_code(tmp_path) == {"F123"}  # Z and Q are no code letters
    (tmp_path / "c.py").write_text('x = "C006 too many parts"\n')
    assert said_by_code(tmp_path) == {"F123", "C006"}  # C: a collection's contents
    assert "F123" not in in_table("| F122 | file | x |\n| M004 (W) | m | y |\n")
    assert in_table("| F122 | file | x |\n| M004 (W) | m | y |\n") == {"F122": False, "M004": True}
