"""The fused ``Room.connect`` (``roomsim._join``): when it takes a join, when it leaves it to
the general path, and that each case gives what the general path gives: every client's
events, the handlers' calls, the mutation log, the webhooks and the snapshot."""

from __future__ import annotations

import enum
import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from types import MappingProxyType
from typing import Any

import pytest

from roomsim import (
    InterruptKind,
    KindDetail,
    ParticipantKind,
    Permission,
    Room,
    RoomConfig,
    RoomsimError,
    TrackKind,
    TrackSource,
    _join,
    scenario,
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


class _Str(str):
    pass


class _Dict(dict[str, str]):
    pass


class _Bool(enum.IntEnum):
    TRUE = 1


class _Grant(Permission):  # type: ignore[misc]  # final for mypy only: a subclass still runs
    pass


def test_subclasses_and_odd_types_take_the_general_path_with_its_outcome() -> None:
    def script(room: Room, seen: list[Any]) -> None:
        joins: list[tuple[str, dict[str, Any]]] = [
            (_Str("s1"), {}),
            ("s2", {"name": _Str("n")}),
            ("s3", {"metadata": _Str("m")}),
            ("s4", {"active": _Bool.TRUE}),
            ("s5", {"attributes": _Dict(k="v")}),
            ("s6", {"attributes": MappingProxyType(_Dict(k="v"))}),
            ("é", {}),
            ("s7", {"permission": _Grant(hidden=True)}),
            ("s8", {"kind_details": []}),
            ("s9", {"auto_subscribe": 0}),
            ("s10", {"keep_events": 1}),
            ("s11", {"sdk": _Str("js")}),
            ("s12", {"client_protocol": True}),
            ("s13", {"name": "\udc80"}),
            ("s14", {"permission": Permission(hidden=True), "kind": ParticipantKind.EGRESS}),
        ]
        for identity, options in joins:
            outcome(partial(room.connect, identity, **options), seen)
        c = room.connect("s15", sdk="js", on={"track_published": seen.append})
        publishes: list[tuple[TrackKind, Any, dict[str, Any]]] = [
            (TrackKind.AUDIO, TrackSource.MICROPHONE, {"name": _Str("x")}),
            (TrackKind.AUDIO, TrackSource.MICROPHONE, {"muted": _Bool.TRUE}),
            (TrackKind.AUDIO, TrackSource.MICROPHONE, {"name": "\udc80"}),
            (TrackKind.VIDEO, TrackSource.MICROPHONE, {}),
            (TrackKind.AUDIO, "microphone", {}),
        ]
        for kind, source, extra in publishes:
            outcome(partial(c.publish_track, kind, source, **extra), seen)

    taken = same(script, config=RoomConfig(max_participants=12))
    assert taken == ["obs", "publish obs", "s14", "s15", "publish s15"]


def test_faults_forks_and_limits_give_the_general_paths_joins_and_publishes() -> None:
    def script(room: Room, seen: list[Any]) -> None:
        a = room.connect("a")
        b = room.connect("b", sdk="js")
        room.interrupt("a", kind=InterruptKind.NETWORK)
        outcome(lambda: a.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE), seen)
        outcome(lambda: room.connect("hidden", permission=Permission(hidden=True)), seen)
        room.interrupt("b")
        outcome(lambda: b.publish_track(TrackKind.VIDEO, TrackSource.CAMERA), seen)
        outcome(lambda: room.connect("b"), seen)  # the same identity while it reconnects
        room.advance(30.0)  # the server closes a's session
        outcome(lambda: room.connect("a"), seen)
        outcome(lambda: a.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE), seen)
        room.advance(100.0)
        held = room.connect("held", active=False)
        outcome(lambda: held.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE), seen)
        room.remove_participant("held")
        outcome(lambda: held.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE), seen)
        fork = Room.from_snapshot(room.snapshot())
        outcome(lambda: fork.connect("forked"), seen)
        for c in fork.all_clients:
            outcome(partial(c.publish_track, TrackKind.AUDIO, TrackSource.MICROPHONE), seen)
        seen.extend((c.identity, c.drain()) for c in fork.all_clients)
        seen.extend([list(fork.log), list(fork.webhooks), fork.snapshot()])
        for i in range(5):
            outcome(partial(room.connect, f"x{i}"), seen)  # until the room is full
        room.shutdown()
        outcome(lambda: room.connect("late"), seen)
        outcome(lambda: a.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE), seen)

    for config in (
        RoomConfig(),
        RoomConfig(token_refresh_interval=10.0, max_participants=5),
        RoomConfig(max_participants=7),
    ):
        taken = same(script, config=config)
        assert "forked" in taken and "publish forked" in taken and "x0" in taken
    assert "forked" in same(script, keep_log=False)


def test_joins_and_publishes_from_handlers_during_an_advance_log_the_same() -> None:
    def script(room: Room, seen: list[Any]) -> None:
        count = [0]

        def join(e: Any) -> None:
            count[0] += 1
            if count[0] < 3:
                c = room.connect(f"late{count[0]}", sdk="js" if count[0] == 1 else "python")
                c.publish_track(TrackKind.VIDEO, TrackSource.CAMERA, name="v")
                room.connect("obs", permission=Permission(hidden=True))  # replaces the watcher

        room.clients["obs"].on("connection_quality_changed", join)
        room.advance(12.0)
        room.advance(3.0)

    expected = ["obs", "publish obs", "late1", "publish late1", "obs"]
    for config in (RoomConfig(), RoomConfig(token_refresh_interval=4.0)):
        assert same(script, config=config)[:5] == expected
    assert same(script, keep_log=False)[:5] == expected


def test_a_dump_of_fused_joins_is_the_general_paths_and_replays() -> None:
    dumps = []
    for on in (True, False):
        seen: list[Any] = []
        with fused(on) as taken:
            room = Room("r", config=RoomConfig(max_participants=20, token_refresh_interval=30.0))
            room.connect("obs").publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
            joins(room, seen)
            room.connect("hidden", permission=Permission(hidden=True, can_publish=False))
            room.advance(31.0)
        assert ("hidden" in taken) is on
        out = io.StringIO()
        scenario.dump(room, out, events_of=[c.identity for c in room.all_clients])
        replayed = scenario.check(io.StringIO(out.getvalue())).room
        assert replayed.participants == room.participants
        dumps.append((out.getvalue(), replayed.snapshot()))
    assert dumps[0] == dumps[1]
