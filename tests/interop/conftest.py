from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _verify_attribute_mirror(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every interop test checks the facade's kept attributes against the client's view."""
    try:
        from roomsim.livekit._rtc_events import Encoder
    except ImportError:  # no livekit: the interop tests skip themselves
        yield
        return
    monkeypatch.setattr(Encoder, "verify_mirror", True)
    yield
