"""The fused ``Room.connect`` (``roomsim._join``): when it takes a join, when it leaves it to
the general path, and that each case gives what the general path gives: every client's
events, the handlers' calls, the mutation log, the webhooks and the snapshot."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from roomsim import (
    KindDetail,
    ParticipantKind,
    Permission,
    Room,
    RoomConfig,
    RoomsimError,
    TrackKind,
    TrackSource,
    _join,
)
from roomsim import mutations as M
from roomsim.events import ALL_EVENTS

Script = Callable[[Room, list[Any]], None]


@contextmanager
def fused(on: bool) -> Iterator[list[str]]:
    """The fused path on or off while this runs; lists the identities it joined, and
    "publish <identity>" for each track it published."""
    taken: list[str] = []
    names = vars(_join)
    saved_fused, saved_commit = _join.FUSED, names["_commit"]

    def spy(room: Room, apply: Any, args: tuple[Any, ...], make: Any) -> Any:
        taken.append(args[0] if apply is names["join"] else f"publish {args[0]}")
        return saved_commit(room, apply, args, make)

    _join.FUSED, names["_commit"] = on, spy
    try:
        yield taken
    finally:
        _join.FUSED, names["_commit"] = saved_fused, saved_commit


def outcome(f: Callable[[], Any], seen: list[Any]) -> None:
    try:
        f()
    except RoomsimError as e:
        seen.append((type(e).__name__, str(e)))


def run(script: Script, *, on: bool, **room: Any) -> tuple[list[Any], list[str]]:
    """Run ``script`` on a new room with "obs" watching every event; return what it recorded
    (then every client's events, the log, the webhooks, the snapshot) and the fused joins."""
    seen: list[Any] = []
    with fused(on) as taken:
        r = Room("r", **room)
        obs = r.connect("obs", on=dict.fromkeys(ALL_EVENTS, seen.append))
        obs.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
        script(r, seen)
    seen.extend((c.identity, c.sid, c.sdk, c.drain()) for c in r.all_clients)
    seen.append(list(r.log))
    seen.append([repr(m) for m in r.log])
    seen.append(list(r.webhooks))
    seen.append(r.snapshot())
    return seen, taken


def same(script: Script, **room: Any) -> list[str]:
    """Run ``script`` both ways, check that everything recorded is equal, and return the
    identities the fused path joined."""
    fast, taken = run(script, on=True, **room)
    general, none = run(script, on=False, **room)
    assert none == []
    assert fast == general
    return taken


def joins(room: Room, seen: list[Any]) -> None:
    grant = Permission(can_update_metadata=True, can_publish=False)
    room.connect("a", name="Alice", metadata="m", permission=grant)
    room.connect("b", sdk="js", client_protocol=0, auto_subscribe=False)
    held = room.connect("c", active=False, keep_events=False)
    room.connect("d", kind=ParticipantKind.AGENT, on={"participant_connected": seen.append})
    held.activate()
    room.connect("b")  # the same identity again: the old session is replaced
    # the general path's arguments
    outcome(lambda: room.connect("e", attributes={"k": "v"}), seen)
    outcome(lambda: room.connect("f", name="Élodie"), seen)
    details = (KindDetail.FORWARDED,)
    outcome(lambda: room.connect("g", kind=ParticipantKind.SIP, kind_details=details), seen)
    outcome(lambda: room.connect("h", attributes={}), seen)
    outcome(lambda: room.connect("i"), seen)  # fused, or refused when the room is full


def test_the_common_join_takes_the_fused_path_and_gives_the_same_everything() -> None:
    assert same(joins) == ["obs", "publish obs", "a", "b", "c", "d", "b", "i"]


@pytest.mark.parametrize(
    "room",
    [
        {"keep_log": False},
        {"config": RoomConfig(token_refresh_interval=60.0, max_participants=5)},
        {"config": RoomConfig(auto_subscribe=False, quality_interval=0.0)},
    ],
)
def test_the_fused_join_follows_the_room_config_and_log_setting(room: dict[str, Any]) -> None:
    assert same(joins, **room)[:3] == ["obs", "publish obs", "a"]


def test_a_join_from_a_handler_is_fused_and_delivered_after_the_outer_verb() -> None:
    def script(room: Room, seen: list[Any]) -> None:
        def late(e: Any) -> None:
            if e.participant == "first":
                room.connect("second")

        room.clients["obs"].on("participant_active", late)
        room.connect("first")

    assert same(script) == ["obs", "publish obs", "first", "second"]


def test_refused_joins_raise_the_same_errors_with_nothing_changed() -> None:
    def script(room: Room, seen: list[Any]) -> None:
        outcome(lambda: room.connect("y", name="n" * 300), seen)  # over a limit, fused
        outcome(lambda: room.connect(""), seen)
        outcome(lambda: room.connect(7), seen)  # type: ignore[arg-type]
        outcome(lambda: room.connect("z", sdk="rust"), seen)
        outcome(lambda: room.connect("z", client_protocol=3), seen)
        outcome(lambda: room.connect("z", active=1), seen)  # type: ignore[arg-type]
        outcome(lambda: room.connect("z", permission="all"), seen)  # type: ignore[arg-type]
        outcome(lambda: room.connect("z", kind="agent"), seen)  # type: ignore[arg-type]
        room.delete()
        outcome(lambda: room.connect("late"), seen)

    assert same(script, config=RoomConfig(max_name_length=256)) == ["obs", "publish obs", "y"]
    fast, _ = run(script, on=True, config=RoomConfig(max_name_length=256))
    assert [s[0] for s in fast if type(s) is tuple and len(s) == 2][:2] == [
        "LimitExceeded",
        "InvalidArgument",
    ]


def test_the_logged_connect_equals_the_general_paths_value() -> None:
    with fused(True) as taken:
        room = Room("r")
        room.connect("a", name="n", auto_subscribe=False)
    (m,) = room.log
    assert taken == ["a"]
    assert type(m) is M.Connect
    assert m == M.Connect(identity="a", name="n", auto_subscribe=False).checked()
    assert m == M.Connect(identity="a", name="n", auto_subscribe=False)
    replayed = Room("r")
    replayed.apply(m)
    assert replayed.snapshot() == room.snapshot()


def test_another_thread_takes_the_general_path_and_is_refused() -> None:
    room = Room("r")
    errors: list[Any] = []

    def other() -> None:
        with fused(True) as taken:
            outcome(lambda: room.connect("a"), errors)
        errors.append(repr(taken))

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert errors == [(("IllegalState", errors[0][1])), "[]"]
    assert room.participants == {} and room.log == []


def test_the_common_publish_takes_the_fused_path_and_gives_the_same_everything() -> None:
    def script(room: Room, seen: list[Any]) -> None:
        a = room.connect("a", sdk="js")
        held = room.connect("held", active=False)
        listener = room.connect("listener", permission=Permission(can_publish=False))
        a.publish_track(TrackKind.VIDEO, TrackSource.CAMERA, name="cam", muted=True)
        held.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)  # announced at activation
        held.activate()
        a.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE, name="micro")
        a.publish_track(TrackKind.AUDIO, TrackSource.SCREEN_SHARE_AUDIO, name="é")  # general
        outcome(lambda: listener.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE), seen)
        outcome(lambda: a.publish_track("audio", TrackSource.MICROPHONE), seen)  # type: ignore[arg-type]
        a.disconnect()
        outcome(lambda: a.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE), seen)

    taken = same(script)
    assert [t for t in taken if t.startswith("publish")] == [
        "publish obs",
        "publish a",
        "publish held",
        "publish a",
        "publish listener",  # refused by the applier's body: nothing committed
    ]
