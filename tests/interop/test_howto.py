"""The how-to page's examples run as doctests (docs/howto/livekit.md)."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

pytest.importorskip("livekit.rtc")

PAGE = Path(__file__).resolve().parents[2] / "docs" / "howto" / "livekit.md"


def test_the_livekit_howto_examples_run() -> None:
    result = doctest.testfile(
        str(PAGE), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False
    )
    assert result.attempted > 10
    assert result.failed == 0
