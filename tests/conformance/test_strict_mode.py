"""``RoomConfig(strict=True)``: what LiveKit drops silently raises a ``SilentlyDropped``
warning (errors reference, "accepted silently"); by default roomsim is as silent as LiveKit."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest

from roomsim import Permission, Room, RoomConfig, SilentlyDropped, TrackKind, TrackSource

STRICT = RoomConfig(strict=True)


def _room(config: RoomConfig) -> Room:
    room = Room("r", config=config)
    room.connect("alice", permission=Permission(can_publish_data=False))
    room.connect("bob", permission=Permission(can_subscribe=False))
    room.connect("carol")
    return room


DROPS: list[tuple[str, Callable[[Room], object]]] = [
    ("data without can_publish_data", lambda r: r.clients["alice"].send_data(b"x")),
    (
        "data to someone not in the room",
        lambda r: r.clients["carol"].send_data(b"x", destination_identities=("ghost",)),
    ),
    (
        "a subscription without can_subscribe",
        lambda r: r.clients["bob"].set_subscribed(
            "carol", r.clients["carol"].publish_track(TrackKind.VIDEO, TrackSource.CAMERA), True
        ),
    ),
    ("a server mute of an unknown track", lambda r: r.mute_published_track("carol", "TR_9", True)),
]


@pytest.mark.parametrize(("label", "act"), DROPS, ids=[d[0] for d in DROPS])
def test_strict_rooms_warn_of_silent_drops(label: str, act: Callable[[Room], object]) -> None:
    room = _room(STRICT)
    with pytest.warns(SilentlyDropped, match="drops it silently"):
        act(room)


@pytest.mark.parametrize(("label", "act"), DROPS, ids=[d[0] for d in DROPS])
def test_default_rooms_stay_silent(label: str, act: Callable[[Room], object]) -> None:
    room = _room(RoomConfig())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        act(room)


def test_a_warning_turned_error_leaves_the_room_unchanged() -> None:
    room = _room(STRICT)
    before = room.snapshot()
    with warnings.catch_warnings():
        warnings.simplefilter("error", SilentlyDropped)
        with pytest.raises(SilentlyDropped):
            room.clients["carol"].send_data(b"x", destination_identities=("ghost",))
    assert room.snapshot() == before
