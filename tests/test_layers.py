"""The house, readable from `ls scripts/samizdat`: each room imports only from the rooms
below it, and no module imports itself through others (issue 27).

Read from the sources (every import, a lazy one in a function too), not from a run."""

import ast

from conftest import ROOT

PACKAGE = ROOT / "scripts" / "samizdat"
# Bottom to top: a module or a package (a folder), as samizdat/__init__.py says.
LAYERS = ("errors", "scratch", "writing", "editions", "source", "weasy", "process",
          "outputs", "checks", "build", "library", "cli", "__main__")


def modules(package=PACKAGE):
    """{dotted name below the package: its source file}, packages as their __init__."""
    found = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name, path, known):
    """The modules of this package that module `name` imports."""
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[:len(here) - node.level + 1] + (node.module.split(".") if node.module else [])
            for alias in node.names:
                dotted = ".".join(base + [alias.name])
                found.add(dotted if dotted in known else ".".join(base))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            found |= {n.removeprefix("samizdat.") for n in names if n.startswith("samizdat.")}
    return {f for f in found if f in known and f != name}


def graph(package=PACKAGE):
    """{module: the modules of the package it imports}."""
    known = modules(package)
    return {name: imports(name, path, known) for name, path in known.items()}


def room(name):
    """The layer of module `name`: its package's, or its own at the top."""
    return LAYERS.index(name.split(".")[0]) if name else -1


def upward(edges):
    """Each import of a room above, or of another room on the same floor."""
    return [f"{a} imports {b}" for a, found in edges.items() for b in sorted(found)
            if room(b) > room(a) or (room(b) == room(a) and a.split(".")[0] != b.split(".")[0])]


def circles(edges):
    """Each circle of imports found by a depth-first walk, as `a -> b -> a`."""
    found, done = [], set()

    def visit(name, path):
        for other in sorted(edges[name]):
            if other in path:
                found.append(" -> ".join(path[path.index(other):] + [other]))
            elif other not in done:
                visit(other, path + [other])
        done.add(name)

    for name in sorted(edges):
        if name not in done:
            visit(name, [name])
    return found


def test_every_module_has_a_room():
    assert [n for n in graph() if n and n.split(".")[0] not in LAYERS] == []


def test_each_room_imports_only_from_the_rooms_below():
    assert upward(graph()) == []


def test_no_module_imports_itself_through_others():
    assert circles(graph()) == []


def test_the_checks_see_an_upward_import_and_a_circle(tmp_path):
    """Both fail on a copy of the package with one lazy import added: the floor the
    fonts stand on importing the PDF stage, which imports the fonts."""
    import shutil

    copy = tmp_path / "samizdat"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    glyphs = copy / "writing" / "glyphs.py"
    glyphs.write_text(glyphs.read_text(encoding="utf-8")
                      + "\n\ndef _up():\n    from ..outputs import pdf\n", encoding="utf-8")
    edges = graph(copy)
    assert upward(edges) == ["writing.glyphs imports outputs.pdf"]
    assert any("outputs.pdf" in c and "writing.glyphs" in c for c in circles(edges))
