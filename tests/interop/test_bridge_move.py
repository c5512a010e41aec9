"""The bridge carries a move to ``livekit.rtc`` (faults §5): the moved client's ``rtc.Room``
hears ``moved`` with the new room's name, its new sid, and the new room's participants."""

from __future__ import annotations

from typing import Any

import pytest

rtc = pytest.importorskip("livekit.rtc")

from roomsim import Room, TrackKind, TrackSource  # noqa: E402
from roomsim.livekit import rtc_room  # noqa: E402


def test_a_move_reaches_livekit_rtc_in_the_python_order() -> None:
    """faults §5 (Rust handle_room_moved): token_refreshed, the old remote goes, the new one
    comes, room_updated, moved; ``room.name`` and the local sid are the new room's, the sid
    from right after the token (faults §5.1)."""
    lobby = Room("lobby")
    stage = Room("stage", clock=lobby.clock)
    alice = lobby.connect("alice")
    lobby.connect("carol")
    stage.connect("bob").publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    sdk = rtc_room(alice)
    got: list[tuple[Any, ...]] = []
    for name in (
        "token_refreshed",
        "participant_connected",
        "participant_disconnected",
        "track_published",
        "track_subscribed",
        "room_updated",
        "moved",
    ):
        sdk.on(name, lambda *args, _n=name: got.append((_n, *args)))
    sids: list[str] = []
    note = lambda *_: sids.append(sdk.local_participant.sid)  # noqa: E731
    sdk.on("token_refreshed", note)
    sdk.on("participant_disconnected", note)
    sdk.on("participant_connected", note)
    old = alice.sid
    lobby.move_participant("alice", "stage")
    # Rust updates the local info right after the token, before departures and arrivals
    assert sids == [old, alice.sid, alice.sid] and old != alice.sid
    names = [g[0] for g in got]
    assert names == [
        "token_refreshed",
        "participant_disconnected",
        "participant_connected",
        "track_published",
        "room_updated",
        "moved",
        "track_subscribed",
    ]
    assert sdk.name == "stage"
    assert sdk.local_participant.sid == alice.sid == stage.participants["alice"].sid
    assert list(sdk.remote_participants) == ["bob"]
