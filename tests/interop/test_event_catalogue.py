"""design §3: roomsim's events plus the ones it does not simulate are exactly
``livekit.rtc``'s ``EventTypes``, so a new SDK event is noticed."""

from __future__ import annotations

import typing

import pytest

from roomsim import events

room_module = pytest.importorskip("livekit.rtc.room")


def test_every_python_sdk_event_is_simulated_or_listed_as_not_simulated() -> None:
    sdk = set(typing.get_args(room_module.EventTypes))
    python_events = {cls.name for cls in events.ALL_EVENTS if "python" in cls.sdks}
    listed = python_events | (set(events.NOT_SIMULATED) - {"participants_updated"})
    assert sdk - listed == set(), "livekit.rtc has events roomsim neither emits nor lists"
    assert python_events - sdk == set(), "roomsim marks events as Python's that livekit.rtc lacks"
    # what roomsim says it does not simulate is really an SDK event (or the internal one)
    assert set(events.NOT_SIMULATED) - sdk == {"participants_updated"}


def test_the_js_only_events_are_not_in_the_python_sdk() -> None:
    sdk = set(typing.get_args(room_module.EventTypes))
    for cls in events.ALL_EVENTS:
        if "python" not in cls.sdks:
            assert cls.name not in sdk, cls.name
