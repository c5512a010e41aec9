"""The testing docs and the toolkit's docstrings are doctests, run as pytest would run them.

Until ``--doctest-glob='*.md'`` and ``docs`` are in the pytest configuration, this runs them in
a subprocess with exactly those options (so ``getfixture`` and the roomsim fixtures work).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ["docs/howto/testing.md", "docs/tutorial-testing.md"]
MODULES = [
    "roomsim/testing/__init__.py",
    "roomsim/testing/_expect.py",
    "roomsim/testing/_rooms.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "roomsim" / "strategies").glob("*.py")),
    "roomsim/stateful.py",
]


def _pytest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_testing_docs_pass_as_doctests() -> None:
    out = _pytest("--doctest-glob=*.md", *DOCS)
    assert out.returncode == 0, out.stdout + out.stderr
    with_doctests = [d for d in DOCS if ">>> " in (ROOT / d).read_text(encoding="utf-8")]
    assert with_doctests
    assert f"{len(with_doctests)} passed" in out.stdout


def test_the_toolkit_docstrings_pass_as_doctests() -> None:
    out = _pytest("--doctest-modules", "--hypothesis-profile=ci", *MODULES)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "failed" not in out.stdout
