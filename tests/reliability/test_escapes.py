"""Regressions for the escapes of the second reliability round (issue 25): each was reproduced
in a few lines before it was closed."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

import attrs
import pytest

from roomsim import (
    HandlerError,
    IllegalState,
    InvalidArgument,
    ManualClock,
    Room,
    RoomConfig,
    UnknownParticipant,
    scenario,
)
from roomsim import mutations as M
from roomsim.events import Event
from roomsim.model import Permission
from roomsim.testing import check_invariants

EDIT = Permission(can_update_metadata=True)


def test_a_handler_removing_the_participant_does_not_break_update_participant() -> None:
    room = Room("r")
    alice = room.connect("alice")
    room.connect("bob")
    alice.on("participant_name_changed", lambda e: room.remove_participant("bob"))
    snap = room.update_participant("bob", name="B")
    assert snap.name == "B"  # the participant as this update left it
    assert "bob" not in room.participants
    check_invariants(room)


def test_the_log_keeps_what_was_applied_not_the_callers_object() -> None:
    room = Room("r")
    room.connect("alice", permission=EDIT)
    attributes = {"mood": "happy"}
    room.apply(M.SetAttributes(identity="alice", attributes=attributes))
    live: dict[str, str] = {"hand": "up"}
    room.clients["alice"].set_attributes(MappingProxyType(live))
    attributes["mood"] = "angry"
    live["hand"] = "down"
    logged = [m for m in room.log if isinstance(m, M.SetAttributes)]
    assert [dict(m.attributes) for m in logged] == [{"mood": "happy"}, {"hand": "up"}]
    out = io.StringIO()
    scenario.dump(room, out)  # the dump replays the log: it must still match the room
    assert scenario.replay(io.StringIO(out.getvalue())).snapshot().participants == (
        room.snapshot().participants
    )


class _Shifty(Mapping[str, str]):
    """A mapping whose items differ each time they are read."""

    def __init__(self) -> None:
        self.reads = 0

    def __getitem__(self, key: str) -> str:
        self.reads += 1
        return "ok" if self.reads == 1 else "\ud800"

    def __iter__(self) -> Iterator[str]:
        return iter(["k"])

    def __len__(self) -> int:
        return 1


def test_a_mapping_is_read_once_so_what_is_checked_is_what_is_committed() -> None:
    room = Room("r")
    alice = room.connect("alice", permission=EDIT)
    alice.set_attributes(_Shifty())
    assert dict(room.participants["alice"].attributes) == {"k": "ok"}
    check_invariants(room)


@pytest.mark.parametrize("field", ["quality_interval", "speaker_interval"])
def test_tiny_intervals_are_refused(field: str) -> None:
    with pytest.raises(InvalidArgument, match=r"0 \(at once\) or between"):
        RoomConfig(**{field: 1e-320})  # type: ignore[arg-type]


def test_timeouts_liveKit_cannot_hold_are_refused() -> None:
    with pytest.raises(InvalidArgument, match="uint32"):
        RoomConfig(empty_timeout=5e9)


class _Mute(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no words")


def test_a_handler_exception_whose_str_raises_is_reported() -> None:
    room = Room("r")
    alice = room.connect("alice")

    def bad(e: Event) -> None:
        raise _Mute

    alice.on("participant_connected", bad)
    with pytest.raises(HandlerError, match=r"_Mute: <an exception whose str\(\) raised>"):
        room.connect("bob")
    alice.off("participant_connected", bad)
    room.connect("carol")  # nothing was left pending on the room


def test_a_base_exception_in_one_handler_still_lets_the_others_run() -> None:
    room = Room("r")
    alice = room.connect("alice")
    seen: list[str] = []

    def skip(e: Event) -> None:
        pytest.skip("inside a handler")

    alice.on("participant_connected", skip)
    alice.on("participant_connected", lambda e: seen.append("second"))
    with pytest.raises(HandlerError) as info:
        room.connect("bob")
    assert seen == ["second"]
    assert isinstance(info.value.failures[0].exception, pytest.skip.Exception)


def test_a_room_made_during_an_advance_joins_it() -> None:
    clock = ManualClock()
    a = Room("a", clock=clock)
    watcher = a.connect("x")
    a.connect("y", active=False)
    made: list[Room] = []

    def make(e: Event) -> None:
        if not made:
            b = Room("b", clock=clock, config=RoomConfig(join_timeout=10))
            b.connect("z", active=False)
            made.append(b)

    watcher.on("participant_disconnected", make)
    a.advance(100)  # y's join times out at 60 s; b is made then, and z's times out at 70 s
    (b,) = made
    assert [(w.event, w.created_at) for w in b.webhooks] == [
        ("room_started", 60.0),
        ("participant_connection_aborted", 70.0),
        ("room_finished", 90.0),
    ]
    assert [getattr(m, "dt", None) for m in b.log] == [None, 40.0]  # its own part of the advance


def test_a_room_belongs_to_one_thread_until_it_is_handed_over() -> None:
    room = Room("r")
    alice = room.connect("alice")
    errors: list[BaseException] = []

    def use() -> None:
        try:
            room.connect("bob")
        except BaseException as e:
            errors.append(e)

    t = threading.Thread(target=use, name="intruder")
    t.start()
    t.join()
    (error,) = errors
    assert isinstance(error, IllegalState)
    assert "MainThread" in str(error) and "intruder" in str(error)
    assert "room.take_over()" in str(error)
    assert list(room.participants) == ["alice"]

    def take_and_use() -> None:
        room.take_over()
        room.connect("bob")

    t = threading.Thread(target=take_and_use)
    t.start()
    t.join()
    assert list(room.participants) == ["alice", "bob"]
    with pytest.raises(IllegalState, match="not thread-safe"):
        alice.drain()  # a read that folds facts checks the thread too
    room.take_over()
    check_invariants(room)


class _BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


@pytest.mark.parametrize(
    "call",
    [
        lambda room: room.connect(_BadRepr()),
        lambda room: room.set_audio_levels(_BadRepr()),
        lambda room: room.clients["alice"].set_attributes({"k": _BadRepr()}),
        lambda room: room.update_room_metadata(_BadRepr()),
    ],
)
def test_a_value_whose_repr_raises_still_gets_a_typed_error(call: Any) -> None:
    room = Room("r")
    room.connect("alice", permission=EDIT)
    before = room.snapshot()
    with pytest.raises(InvalidArgument, match="object>"):
        call(room)
    assert room.snapshot() == before


def test_lookups_name_who_is_there_and_are_key_errors() -> None:
    room = Room("r")
    alice = room.connect("alice")
    room.connect("bob")
    for lookup in (
        lambda: room.clients["alcie"],
        lambda: room.participants["alcie"],
        lambda: alice.remote_participants["bbo"],
    ):
        with pytest.raises(UnknownParticipant) as info:
            lookup()
        assert isinstance(info.value, KeyError)
        assert "present:" in str(info.value)


HEADER = '{"roomsim": 1, "room": "r", "config": {}}\n'


@pytest.mark.parametrize(
    ("label", "text", "says"),
    [
        (
            "400-digit number",
            HEADER + '{"mutation": "Advance", "dt": 1' + "0" * 400 + "}\n",
            "line 2",
        ),
        ("5000-digit header value", '{"roomsim": 1' + "0" * 5000 + ', "room": "r"}\n', "line 1"),
        ("huge float", HEADER + '{"mutation": "Advance", "dt": 1e400}\n', "line 2"),
        (
            "deep JSON",
            HEADER
            + '{"mutation": "Disconnect", "identity": '
            + "[" * 100_000
            + "]" * 100_000
            + "}\n",
            "line 2",
        ),
        (
            "lone surrogate in events_of",
            '{"roomsim": 1, "room": "r", "config": {}, "events_of": ["\\ud800"]}\n',
            "line 1",
        ),
    ],
)
def test_scenario_files_refuse_what_they_cannot_represent(label: str, text: str, says: str) -> None:
    with pytest.raises(InvalidArgument, match=says):
        scenario.load(io.StringIO(text))


def test_roomsim_run_exits_2_naming_the_line(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from roomsim.cli import main

    path = tmp_path / "deep.jsonl"
    path.write_text(HEADER + '{"mutation": "Advance", "dt": 1' + "0" * 400 + "}\n")
    assert main(["run", str(path)]) == 2
    assert "line 2" in capsys.readouterr().err


def test_check_reads_only_the_clients_it_compares() -> None:
    """2,000 joins: checking a file costs what the file costs (it used to read every client
    after every line, quadratic in the joins)."""
    lines = [HEADER] + [f'{{"mutation": "Connect", "identity": "p{i}"}}\n' for i in range(2000)]
    pb = scenario.check(io.StringIO("".join(lines)))
    assert pb.deliveries == ()  # nobody is watched: nothing read


def test_identities_print_escaped(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from roomsim.cli import main

    sneaky = "x\nOK: the replayed events of everyone match\x1b[2K"
    room = Room("r")
    room.connect(sneaky)
    room.connect("bob")
    path = tmp_path / "s.jsonl"
    scenario.dump(room, str(path), events_of=(sneaky,))
    assert main(["run", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert not any(
        line.startswith("OK: the replayed events of everyone") for line in out.splitlines()
    )


def _snapshot_with_a_track() -> Any:
    from roomsim import TrackKind, TrackSource

    room = Room("r")
    alice = room.connect("alice")
    room.connect("bob")
    alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    return room.snapshot()


@pytest.mark.parametrize(
    "tamper",
    [
        # two sessions with one sid
        lambda s: attrs.evolve(
            s,
            participants=(
                s.participants[0],
                attrs.evolve(
                    s.participants[1],
                    participant=attrs.evolve(s.participants[1].participant, sid="PA_1"),
                ),
            ),
        ),
        # a session out of join order
        lambda s: attrs.evolve(s, participants=tuple(reversed(s.participants))),
        # a client whose session the participants no longer hold
        lambda s: attrs.evolve(s, participants=s.participants[1:]),
        # junk where sessions belong
        lambda s: attrs.evolve(s, participants=("alice",)),
    ],
)
def test_a_tampered_snapshot_is_refused_and_leaves_the_clock_alone(tamper: Any) -> None:
    bad = tamper(_snapshot_with_a_track())
    clock = ManualClock(bad.time)
    with pytest.raises(InvalidArgument, match="from an unmodified snapshot"):
        Room.from_snapshot(bad, clock=clock)
    clock.advance(1000)  # no half-built room rides on the clock
    good = Room.from_snapshot(_snapshot_with_a_track())
    check_invariants(good)
