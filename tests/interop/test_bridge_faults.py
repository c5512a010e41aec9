"""The bridge carries the fault events to ``livekit.rtc`` (faults §2.2, §4.2, §7)."""

from __future__ import annotations

from typing import Any

import pytest

rtc = pytest.importorskip("livekit.rtc")

from roomsim import InterruptKind, Room  # noqa: E402
from roomsim.livekit import rtc_room  # noqa: E402

NAMES = ("connection_state_changed", "reconnecting", "reconnected", "token_refreshed")


def _record(sdk: Any, *names: str) -> list[tuple[Any, ...]]:
    got: list[tuple[Any, ...]] = []
    for name in names:
        sdk.on(name, lambda *args, _n=name: got.append((_n, *args)))
    return got


def test_a_resume_reaches_livekit_rtc_in_the_python_order() -> None:
    """faults §2.2: connection_state_changed(RECONNECTING), reconnecting, token_refreshed,
    connection_state_changed(CONNECTED), reconnected; the SDK keeps the new token."""
    room = Room("r")
    alice = room.connect("alice")
    sdk = rtc_room(alice)
    got = _record(sdk, *NAMES)
    room.interrupt("alice", resume_after=1.0)
    assert sdk.connection_state == rtc.ConnectionState.CONN_RECONNECTING
    room.advance(1.0)
    assert got == [
        ("connection_state_changed", rtc.ConnectionState.CONN_RECONNECTING),
        ("reconnecting",),
        ("token_refreshed",),
        ("connection_state_changed", rtc.ConnectionState.CONN_CONNECTED),
        ("reconnected",),
    ]
    assert sdk.isconnected()
    assert sdk._token == "roomsim-refreshed:r:alice:1"


def test_giving_up_reaches_livekit_rtc_as_a_disconnect() -> None:
    """faults §4.2: connection_state_changed(DISCONNECTED), disconnected(UNKNOWN_REASON)."""
    room = Room("r")
    alice = room.connect("alice")
    room.connect("bob")
    sdk = rtc_room(alice)
    got = _record(sdk, "connection_state_changed", "disconnected")
    room.interrupt("alice", kind=InterruptKind.NETWORK)
    room.advance(44.3)
    assert got == [
        ("connection_state_changed", rtc.ConnectionState.CONN_RECONNECTING),
        ("connection_state_changed", rtc.ConnectionState.CONN_DISCONNECTED),
        ("disconnected", rtc.DisconnectReason.UNKNOWN_REASON),
    ]
    assert not sdk.isconnected()


def test_after_a_full_reconnect_livekit_rtc_keeps_the_old_local_sid() -> None:
    """faults §3.3: the Rust core replaces its local info without an event, so
    ``local_participant.sid`` stays the first session's; the republished track is re-keyed
    at once.  (The bridge feeds no ``participants_updated``, so the participant's own next
    update does not correct the sid either: a deviation, faults §3.3.)"""
    from roomsim import TrackKind, TrackSource

    room = Room("r")
    alice = room.connect("alice")
    track = alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    sdk = rtc_room(alice)
    first = alice.sid
    room.reconnect("alice")
    assert alice.sid != first
    assert sdk.local_participant.sid == first
    [new_track] = alice.local_participant.track_publications
    assert new_track != track
    assert list(sdk.local_participant.track_publications) == [new_track]
