"""The docs' examples are test files (``docs/examples/test_*.py``) that pages include with
``--8<--``: each is shown somewhere, and each passes as pasted into an unconfigured project.

pytest collects them from ``docs`` (``testpaths``) in roomsim's own run; here they are also run
the way a user runs them: copied into an empty project, with warnings as errors.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLES = sorted((DOCS / "examples").glob("test_*.py"))
_INCLUDE = re.compile(r"^(?:--8<-- \"examples/|examples/)(test_\w+\.py)(?::(\w+))?\"?$", re.M)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")


def _includes() -> dict[str, set[str | None]]:
    found: dict[str, set[str | None]] = {}
    for page in DOCS.rglob("*.md"):
        for name, section in _INCLUDE.findall(page.read_text(encoding="utf-8")):
            found.setdefault(name, set()).add(section or None)
    return found


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_is_shown_by_a_page_and_every_section_exists(example: Path) -> None:
    sections = _includes().get(example.name)
    assert sections, f"no page includes docs/examples/{example.name}"
    text = example.read_text(encoding="utf-8")
    for section in sections - {None}:
        assert f"# --8<-- [start:{section}]" in text and f"# --8<-- [end:{section}]" in text


def test_the_examples_pass_pasted_into_an_empty_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{e.stem: e.read_text(encoding="utf-8") for e in EXAMPLES})
    # the examples use Hypothesis' defaults, whose too_slow health check and deadline measure
    # wall time: on a loaded 2-core CI machine they fail for the machine, not the example
    pytester.makeconftest(
        "from hypothesis import HealthCheck, settings\n"
        "settings.register_profile('loaded', deadline=None,"
        " suppress_health_check=[HealthCheck.too_slow])\n"
        "settings.load_profile('loaded')\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error", "-rA")
    assert result.ret == 0, result.stdout.str()
    outcomes = result.parseoutcomes()
    assert set(outcomes) == {"passed"}, outcomes
    for example in EXAMPLES:  # every file had a test that ran and passed
        result.stdout.fnmatch_lines([f"PASSED {example.name}::*"])
