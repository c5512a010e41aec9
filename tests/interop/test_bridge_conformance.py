"""Bridge consistency: every conformance transcript, every client fed through the bridge.

Each conformance test runs again with a real ``livekit.rtc.Room`` attached to every python
client (``sdk="python"``, the default) the moment it connects; a js client has no
``livekit.rtc`` to mirror it and is left alone.  The SDK must accept every event (nothing
raised, nothing logged as an error) and end in the state of the client's roomsim snapshot.
This checks that roomsim's streams are complete and well-formed as the Python SDK
understands them.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("livekit.rtc")

import tests.conformance as _conformance
from roomsim import Client, ClientDisconnected, Room
from tests.interop._harness import Harness

#: conformance tests the bridge can't run as they are, and why
SKIPPED: dict[str, str] = {}


def _collect() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for info in pkgutil.iter_modules(_conformance.__path__):
        if not info.name.startswith("test_"):
            continue
        mod = importlib.import_module(f"{_conformance.__name__}.{info.name}")
        short = info.name.removeprefix("test_")
        for name, obj in vars(mod).items():
            ours = inspect.isfunction(obj) and obj.__module__ == mod.__name__
            if name.startswith("test_") and ours:
                found[f"test_{short}__{name.removeprefix('test_')}"] = obj
    return found


# pytest collects these module attributes as tests, parametrize marks included
globals().update(_collect())


@pytest.fixture(autouse=True)
def _bridge_every_client(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, request: Any
) -> Iterator[Harness]:
    reason = SKIPPED.get(request.node.originalname)
    if reason:
        pytest.skip(reason)
    harness = Harness()
    original, original_connect = Room.apply, Room.connect

    def mirror(result: Any) -> Any:
        if isinstance(result, Client) and result.sdk == "python" and not harness.has(result):
            # a handler may end the session inside connect(): then there is nothing to mirror
            with contextlib.suppress(ClientDisconnected):
                harness.attach(result)
        return result

    def apply(self: Room, mutation: Any) -> Any:
        return mirror(original(self, mutation))

    def connect(self: Room, *args: Any, **kwargs: Any) -> Any:
        # the common join is fused (roomsim._join): it never calls Room.apply
        return mirror(original_connect(self, *args, **kwargs))

    monkeypatch.setattr(Room, "apply", apply)
    monkeypatch.setattr(Room, "connect", connect)
    yield harness
    monkeypatch.undo()
    harness.check(caplog.records)
