"""The fused update verbs (``roomsim._hot``): when they take a verb, when they leave it to the
general path, and that each case gives what the general path gives (the random histories are
in ``tests/property/test_hot_paths.py``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from types import MappingProxyType
from typing import Any

import pytest

from roomsim import (
    InterruptKind,
    Permission,
    Room,
    RoomConfig,
    RoomsimError,
    TrackKind,
    TrackSource,
)
from roomsim import mutations as M
from roomsim._hot import HOT
from roomsim.events import ALL_EVENTS, Event

GRANT = Permission(can_update_metadata=True)


@contextmanager
def general_path() -> Iterator[None]:
    """Every verb through the general path while this runs."""
    saved = dict(HOT)
    HOT.clear()
    try:
        yield
    finally:
        HOT.update(saved)


@contextmanager
def counting() -> Iterator[list[bool]]:
    """What each fused verb answered (True: it did the verb) while this runs, in the order
    the verbs ended; a fused verb raises only after its commit (a handler failed)."""
    answers: list[bool] = []
    saved = dict(HOT)

    def spy(fn: Callable[[Room, Any], bool]) -> Callable[[Room, Any], bool]:
        def wrapped(room: Room, m: Any) -> bool:
            try:
                answers.append(fn(room, m))
            except BaseException:
                answers.append(True)
                raise
            return answers[-1]

        return wrapped

    HOT.update({k: spy(fn) for k, fn in saved.items()})
    try:
        yield answers
    finally:
        HOT.update(saved)


Script = Callable[[Room, list[Any]], None]


def run(script: Script, *, fused: bool, config: RoomConfig | None = None) -> list[Any]:
    """Run ``script`` on a new room (two granted participants, "obs" watching everything) and
    return what it recorded, then every client's events."""
    room = Room("r", config=config or RoomConfig())
    seen: list[Any] = []
    obs = room.connect("obs", permission=GRANT)
    for cls in ALL_EVENTS:
        obs.on(cls.name, seen.append)
    room.connect("agent", permission=GRANT, keep_events=False)
    try:
        if fused:
            script(room, seen)
        else:
            with general_path():
                script(room, seen)
    finally:
        seen.extend((c.identity, c.sid, c.drain()) for c in room.all_clients)
        seen.append([repr(m) for m in room.log])
    return seen


def same(script: Script, config: RoomConfig | None = None) -> list[bool]:
    """Run ``script`` both ways, check that everything recorded is the same, and return what
    the fused verbs answered."""
    with counting() as answers:
        fused = run(script, fused=True, config=config)
    assert fused == run(script, fused=False, config=config)
    return answers


def outcome(f: Callable[[], Any], seen: list[Any]) -> None:
    try:
        f()
    except RoomsimError as e:
        seen.append((type(e).__name__, str(e)))


def test_the_common_update_takes_the_fused_verb_and_gives_the_same_events() -> None:
    def script(room: Room, seen: list[Any]) -> None:
        agent = room.clients["agent"]
        second = room.connect("second", permission=GRANT, sdk="js")
        second.on("participant_attributes_changed", lambda e: seen.append(("second", e)))
        second.on("participant_name_changed", lambda e: seen.append(("second", e)))
        agent.set_attributes({"state": "busy", "task": "t-1"})
        agent.set_attributes({"state": "idle", "task": ""})  # a change and a deletion
        agent.set_attributes({"state": "idle", "gone": ""})  # nothing changes
        agent.set_metadata("m")
        agent.set_metadata("")
        agent.set_name("Agent")
        agent.set_name("Agent")

    assert same(script) == [True] * 7


def test_the_diff_of_an_update_where_some_keys_change_nothing_is_the_general_paths() -> None:
    """The fused verb counts the keys that change nothing in its one pass: none (the diff is
    the update's own copy), some (the diff is the others, in the update's order), all, or
    an empty update (no change, no event)."""

    def script(room: Room, seen: list[Any]) -> None:
        agent = room.clients["agent"]
        agent.set_attributes({"a": "1", "b": "2", "c": "3"})
        agent.set_attributes({})  # empty: nothing changes
        agent.set_attributes({"a": "1", "b": "x", "zz": "", "c": ""})  # some change nothing
        agent.set_attributes({"zz": "", "a": "1"})  # every key changes nothing
        agent.set_attributes({"a": "", "b": "y"})  # every key changes (a deletion)
        seen.append(dict(room.participants["agent"].attributes))

    assert same(script) == [True] * 5
    fused = run(script, fused=True)
    changes = [dict(e.changed_attributes) for e in fused if type(e).__name__.endswith("Changed")]
    assert changes == [{"a": "1", "b": "2", "c": "3"}, {"b": "x", "c": ""}, {"a": "", "b": "y"}]


def test_the_mutation_keeps_a_frozen_copy_as_the_general_path_leaves_it() -> None:
    room = Room("r")
    room.connect("a", permission=GRANT)
    given = {"k": "v"}
    m = M.SetAttributes(identity="a", attributes=given)
    with counting() as answers:
        room.apply(m)
    given["k"] = "changed later"
    assert answers == [True]
    assert type(m.attributes) is MappingProxyType and dict(m.attributes) == {"k": "v"}
    assert room.log[-1] is m
    assert room.participants["a"].attributes == {"k": "v"}


@pytest.mark.parametrize(
    ("update", "why"),
    [
        ({"k": "é"}, "non-ASCII value (the general path counts its UTF-8 bytes)"),
        ({"é": "v"}, "non-ASCII key"),
        ({"k": 1}, "a value of the wrong type"),
        ({1: "v"}, "a key of the wrong type"),
        (["k"], "not a mapping"),
        ({"k": "v" * 40}, "over max_attributes_size"),
    ],
)
def test_inputs_off_the_fast_path_go_the_general_way(update: Any, why: str) -> None:
    def script(room: Room, seen: list[Any]) -> None:
        outcome(lambda: room.apply(M.SetAttributes(identity="agent", attributes=update)), seen)

    assert same(script, RoomConfig(max_attributes_size=32)) == [False], why


def test_refusals_are_the_general_paths() -> None:
    def script(room: Room, seen: list[Any]) -> None:
        room.connect("mute", permission=Permission(can_update_metadata=False))
        for m in (
            M.SetAttributes(identity="mute", attributes={"k": "v"}),  # no grant
            M.SetAttributes(identity="nobody", attributes={"k": "v"}),
            M.SetAttributes(identity="", attributes={"k": "v"}),
            M.SetMetadata(identity="agent", metadata="x" * 40),  # over the limit
            M.SetName(identity="agent", name=3),  # type: ignore[arg-type]
            M.SetName(identity="mute", name="N"),
        ):
            outcome(partial(room.apply, m), seen)

    config = RoomConfig(max_metadata_size=16)
    assert same(script, config) == [False] * 6


def test_a_reconnecting_observer_holds_the_update_as_the_general_path_does() -> None:
    def script(room: Room, seen: list[Any]) -> None:
        agent = room.clients["agent"]
        room.interrupt("obs", kind=InterruptKind.NETWORK)
        agent.set_attributes({"k": "during the cut"})
        agent.set_metadata("during")
        seen.append("resuming")  # the held updates come after this, with the resume
        room.resume("obs")
        agent.set_attributes({"k": "after"})

    assert same(script) == [True] * 3


def test_a_hidden_participant_is_seen_by_itself_only() -> None:
    def script(room: Room, seen: list[Any]) -> None:
        ghost = room.connect("ghost", permission=Permission(can_update_metadata=True, hidden=True))
        mine: list[Any] = []
        # its own handler reads its own participant: the update is already there
        ghost.on(
            "participant_attributes_changed", lambda e: mine.append((e, ghost.local_participant))
        )
        ghost.set_attributes({"k": "v"})
        ghost.set_name("G")
        seen.append((mine, room.clients["obs"].remote_participants.get("ghost")))

    assert same(script) == [True, True]


def test_handlers_that_raise_or_call_verbs_see_what_the_general_path_shows() -> None:
    def script(room: Room, seen: list[Any]) -> None:
        obs, agent = room.clients["obs"], room.clients["agent"]

        def nested(e: Event) -> None:
            obs.set_metadata(f"saw {e.name}")  # committed inside dispatch, delivered after
            seen.append(("metadata then", room.participants["obs"].metadata))

        def boom(e: Event) -> None:
            raise ValueError("handler failed")

        obs.on("participant_attributes_changed", nested)
        agent.set_attributes({"k": "1"})
        obs.on("participant_name_changed", boom)
        outcome(lambda: agent.set_name("renamed"), seen)
        agent.set_attributes({"k": "2"})

    # the handler's own set_metadata runs inside dispatch: the general path commits it
    assert same(script) == [False, True, True, False, True]


def test_other_threads_and_closed_rooms_get_the_general_paths_errors() -> None:
    def script(room: Room, seen: list[Any]) -> None:
        agent = room.clients["agent"]

        def elsewhere() -> None:
            try:
                agent.set_name("T")
            except RoomsimError as e:
                seen.append(type(e).__name__)  # the message names the threads' idents

        worker = threading.Thread(target=elsewhere)
        worker.start()
        worker.join()
        room.apply(M.DeleteRoom())
        outcome(lambda: room.apply(M.SetAttributes(identity="agent", attributes={})), seen)

    assert same(script) == [False, False]


def test_a_logged_room_logs_the_same_mutations() -> None:
    def script(room: Room, seen: list[Any]) -> None:
        agent = room.clients["agent"]
        room.advance(1.0)
        agent.set_attributes(MappingProxyType({"k": "v"}))
        room.advance(0.5)
        agent.set_attributes({"k": "v"})

    assert same(script) == [True, True]


def test_each_client_gets_its_own_event_object_as_from_its_projector() -> None:
    room = Room("r")
    a, b = room.connect("a", permission=GRANT), room.connect("b")
    got: list[Event] = []
    for c in (a, b):
        c.on("participant_attributes_changed", got.append)
    with counting() as answers:
        a.set_attributes({"k": "v"})
    assert answers == [True]
    assert got[0] == got[1] and got[0] is not got[1]


@pytest.mark.parametrize("interval", [0.4, 0.0])
def test_mutes_take_the_fused_verb_and_more_facts_the_general_dispatch(interval: float) -> None:
    def script(room: Room, seen: list[Any]) -> None:
        agent = room.clients["agent"]
        mic = agent.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
        cam = agent.publish_track(TrackKind.VIDEO, TrackSource.CAMERA)
        room.set_audio_levels({"agent": 0.5})
        room.advance(1.0)
        for sid, muted in ((cam, True), (cam, True), (cam, False), (mic, True), (mic, False)):
            agent.set_track_muted(sid, muted)
            seen.append(("muted", sid, muted, room.now))
        room.advance(1.0)
        outcome(lambda: agent.set_track_muted("TR_none", True), seen)
        # a participant not yet ACTIVE: only its own client sees its mute
        joining = room.connect("joining", permission=GRANT, active=False)
        own = joining.publish_track(TrackKind.VIDEO, TrackSource.CAMERA)
        joining.set_track_muted(own, True)
        seen.append(joining.drain())

    # with speakers updated at once (interval 0), a mic's mute commits a speaker change too:
    # the fused verb commits, and the general dispatch delivers the facts
    # (the first: the audio levels, a fused verb too)
    assert same(script, RoomConfig(speaker_interval=interval)) == [True] * 6 + [False, True]


def test_audio_levels_take_the_fused_verb_and_refusals_the_general_path() -> None:
    def script(room: Room, seen: list[Any]) -> None:
        agent = room.clients["agent"]
        agent.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
        given = {"agent": 0.5, "obs": 0}
        m = M.SetAudioLevels(levels=given)
        room.apply(m)
        given["agent"] = 0.0  # the room keeps its own copy
        seen.append((type(m.levels), dict(m.levels)))
        room.advance(1.0)
        room.set_audio_levels(MappingProxyType({"agent": 0.0}))
        room.advance(1.0)
        for levels in ({"agent": 1.5}, {"agent": True}, {"nobody": 0.5}, {"": 0.1}, [("a", 1)]):
            outcome(partial(room.set_audio_levels, levels), seen)  # type: ignore[arg-type]
        seen.append(room.participants["agent"].audio_level)

    for interval in (0.4, 0.0):  # speakers at the next tick, or at once (a fact per change)
        assert same(script, RoomConfig(speaker_interval=interval)) == [True] * 2 + [False] * 5


def test_a_handler_that_tries_a_move_fails_as_on_the_general_path() -> None:
    def script(room: Room, seen: list[Any]) -> None:
        Room("stage", clock=room.clock)
        obs, agent = room.clients["obs"], room.clients["agent"]
        obs.on("participant_attributes_changed", lambda e: room.move_participant("agent", "stage"))
        outcome(lambda: agent.set_attributes({"k": "v"}), seen)  # a move waits for the verb
        room.move_participant("agent", "stage")
        seen.append(sorted(room.participants))

    assert same(script) == [True]


class _Str(str):
    pass


class _Dict(dict[str, str]):
    pass


class _Skewed(dict[str, str]):
    """A dict whose reads differ from what it stores (a read-only view copies the storage)."""

    def __getitem__(self, k: str) -> str:
        return "read"

    def items(self) -> Any:
        return [(k, "read") for k in self]


class _Copying(dict[str, str]):
    def copy(self) -> _Copying:
        return _Copying(self)


def test_subclassed_and_odd_maps_from_js_and_hidden_clients_match_the_general_path() -> None:
    """Each kind of map the general path's copy reads its own way, updated by a js client, a
    hidden js client and a js client seen by a handler (its events are the general path's)."""

    def script(room: Room, seen: list[Any]) -> None:
        js = room.connect(
            "js", permission=GRANT, sdk="js", on={"participant_attributes_changed": seen.append}
        )
        hidden = Permission(can_update_metadata=True, hidden=True)
        for who in (js, room.connect("hid", permission=hidden, sdk="js")):
            for update in (
                {"a": "1"},
                _Dict(b="2"),
                MappingProxyType(_Dict(c="3")),  # fused: the view copies a plain dict
                MappingProxyType(_Copying(d="4")),
                MappingProxyType(_Skewed(e="5")),  # fused: the copy is the storage
                _Skewed(f="6"),
                {_Str("g"): "7"},
                {"h": _Str("8")},
                {"i": "\udc80"},
                {"a": "", "b": "", "c": "3"},
                {"": "x"},
                {"": ""},
                {"k": "v" * 30},
            ):
                outcome(partial(who.set_attributes, update), seen)  # type: ignore[arg-type]
                seen.append(dict(room.participants[who.identity].attributes))
        seen.extend([room.snapshot(), list(room.webhooks)])

    answers = [True, False, True, False, True, False, False, False, False, True, True, True]
    assert same(script) == [*answers, True] * 2
    assert same(script, RoomConfig(max_attributes_size=20)) == [*answers, False] * 2
