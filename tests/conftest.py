"""Shared fixtures: the real manuscript built once per test session."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MANUSCRIPT = ROOT / "manuscript" / "workers-power.md"
# The text as The Anarchist Library gave it (../shared/source), carried here so the
# tests that compare the manuscript with it run on any clone.
SEED = ROOT / "tests" / "seed" / "000_ff5da7fcc13cb3d5.txt"
sys.path.insert(0, str(ROOT / "scripts"))


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """{kind: path} of the outputs of the real manuscript, built once as `samizdat build`
    does (a library of one: with catalog.xml and index.html beside)."""
    from samizdat.library.local import build_library

    out = tmp_path_factory.mktemp("build")
    books, failures = build_library([MANUSCRIPT], out, jobs=1)
    assert failures == []
    return {kind: out / name for kind, name in books["workers-power"].files.items()}


@pytest.fixture(scope="session")
def real():
    """The real manuscript, loaded."""
    from samizdat.source import manuscript

    return manuscript.load(MANUSCRIPT)
