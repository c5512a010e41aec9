"""Scenario files: the header, the lines, and what a malformed file is told."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from roomsim import (
    IllegalState,
    InternalError,
    InvalidArgument,
    InvalidType,
    ManualClock,
    Permission,
    Room,
    RoomConfig,
    scenario,
)
from roomsim import mutations as M
from roomsim.events import ParticipantConnected
from roomsim.scenario import Delivery, EventsMismatch, Scenario

HEADER = '{"roomsim": 1, "room": "r", "config": {}}'


def text_of(room: Room, **kwargs: tuple[str, ...]) -> str:
    out = io.StringIO()
    scenario.dump(room, out, **kwargs)
    return out.getvalue()


def two_people() -> Room:
    room = Room("r", config=RoomConfig(max_participants=5))
    alice = room.connect("alice", permission=Permission(can_update_metadata=True))
    room.connect("bob")
    alice.set_metadata("hi")
    return room


def test_a_dump_is_a_header_then_one_mutation_a_line() -> None:
    lines = text_of(two_people()).splitlines()
    assert [json.loads(x) for x in lines] == [
        {"roomsim": 1, "room": "r", "config": {"max_participants": 5}},
        {"mutation": "Connect", "identity": "alice", "permission": {"can_update_metadata": True}},
        {"mutation": "Connect", "identity": "bob"},
        {"mutation": "SetMetadata", "identity": "alice", "metadata": "hi"},
    ]


def test_load_reads_the_header_mutations_and_lines() -> None:
    sc = scenario.load(io.StringIO(text_of(two_people())))
    assert sc.room == "r"
    assert sc.config == RoomConfig(max_participants=5)
    assert sc.lines == (2, 3, 4)
    assert sc.mutations[2] == M.SetMetadata(identity="alice", metadata="hi")
    assert sc.events_of == () and sc.expected == ()


def test_dump_and_replay_through_a_path(tmp_path: Path) -> None:
    room = two_people()
    path = tmp_path / "s.jsonl"
    scenario.dump(room, path)
    scenario.dump(room, str(tmp_path / "t.jsonl"))
    assert path.read_text() == (tmp_path / "t.jsonl").read_text()
    again = scenario.replay(path)
    assert again.snapshot() == room.snapshot()
    assert list(again.clients) == ["alice", "bob"]


def test_events_of_records_each_event_after_the_mutation_that_caused_it() -> None:
    text = text_of(two_people(), events_of=("bob",))
    lines = [json.loads(x) for x in text.splitlines()]
    assert lines[0]["events_of"] == ["bob"]
    assert lines[2:] == [
        {"mutation": "Connect", "identity": "bob"},
        {"mutation": "SetMetadata", "identity": "alice", "metadata": "hi"},
        {
            "to": "bob",
            "event": "participant_metadata_changed",
            "participant": "alice",
            "old_metadata": "",
            "new_metadata": "hi",
        },
    ]
    pb = scenario.check(io.StringIO(text))
    assert pb.watched() == pb.scenario.expected
    assert [(d.step, d.recipient) for d in pb.scenario.expected] == [(2, "bob")]


def test_check_reports_a_difference_as_a_diff() -> None:
    text = text_of(two_people(), events_of=("bob",))
    edited = text.replace('"new_metadata": "hi"', '"new_metadata": "hello"')
    assert edited != text
    with pytest.raises(EventsMismatch) as info:
        scenario.check(io.StringIO(edited))
    diff = info.value.diff
    assert diff[0] == "--- recorded" and diff[1] == "+++ replayed"
    assert any(x.startswith("-line 4 SetMetadata: bob participant_metadata_changed") for x in diff)
    assert any("new_metadata='hi'" in x and x.startswith("+") for x in diff)


def test_events_are_compared_per_recipient_not_by_their_order_in_the_file() -> None:
    text = text_of(two_people(), events_of=("alice", "bob"))
    lines = text.splitlines()
    # swap alice's and bob's events under the last mutation
    last = [i for i, x in enumerate(lines) if '"mutation"' in x][-1]
    tail = lines[last + 1 :]
    tail.sort(key=lambda x: json.loads(x)["to"] != "bob")
    assert scenario.check(io.StringIO("\n".join([*lines[: last + 1], *tail]))).differences() == ()


def test_a_room_without_a_log_cannot_be_dumped() -> None:
    room = Room("soak", keep_log=False)
    room.connect("a")
    with pytest.raises(IllegalState, match="keep_log=False"):
        scenario.dump(room, io.StringIO())


def test_dump_refuses_bad_arguments() -> None:
    room = two_people()
    with pytest.raises(InvalidType):
        scenario.dump("room", io.StringIO())  # type: ignore[arg-type]
    with pytest.raises(InvalidType, match="identities"):
        scenario.dump(room, io.StringIO(), events_of="alice")
    with pytest.raises(InvalidArgument, match="'zed', who never connected"):
        scenario.dump(room, io.StringIO(), events_of=("zed",))
    with pytest.raises(InvalidType, match="path or a text file"):
        scenario.dump(room, 42)  # type: ignore[arg-type]


def test_a_clock_that_did_not_start_at_zero_is_kept() -> None:
    room = Room("r", clock=ManualClock(100.0))
    room.connect("a")
    text = text_of(room)
    assert json.loads(text.splitlines()[0])["start"] == 100.0
    assert scenario.replay(io.StringIO(text)).snapshot() == room.snapshot()


def test_a_hand_written_scenario_with_comments_blank_lines_and_defaults() -> None:
    text = "\n".join(
        [
            '{"roomsim": 1, "room": "r", "events_of": ["alice"]}',
            '{"comment": "bob joins and greets"}',
            "",
            '{"mutation": "Connect", "identity": "alice"}',
            '{"mutation": "Connect", "identity": "bob"}',
            '{"to": "alice", "event": "participant_connected", "participant": "bob"}',
            '{"to": "alice", "event": "participant_active", "participant": "bob"}',
            '{"mutation": "SendData", "sender": "bob", "data": "hi", "topic": "chat"}',
            '{"to": "alice", "event": "data_received", "participant": "bob", "data": "hi",'
            ' "topic": "chat", "kind": "RELIABLE"}',
        ]
    )
    pb = scenario.check(io.StringIO(text))
    assert pb.scenario.lines == (4, 5, 8)
    assert pb.scenario.config == RoomConfig()
    assert pb.scenario.expected[0] == Delivery(
        step=1, recipient="alice", event=ParticipantConnected(participant="bob")
    )
    assert pb.room.clients["alice"].events[-1].name == "data_received"


def test_a_scenario_value_replays_too() -> None:
    sc = Scenario(room="x", mutations=(M.Connect(identity="a"), M.Connect(identity="b")))
    room = scenario.replay(sc)
    assert list(room.clients) == ["a", "b"]
    assert scenario.play(sc).times == (0.0, 0.0)


def test_play_reports_each_event_with_the_time() -> None:
    seen: list[tuple[float, str, str]] = []
    text = "\n".join(
        [
            HEADER,
            '{"mutation": "Connect", "identity": "a"}',
            '{"mutation": "Advance", "dt": 1.5}',
            '{"mutation": "Connect", "identity": "b"}',
        ]
    )
    pb = scenario.play(io.StringIO(text), on_event=lambda t, who, e: seen.append((t, who, e.name)))
    assert (1.5, "a", "participant_connected") in seen
    assert pb.times == (0.0, 1.5, 1.5)
    assert [(pb.times[d.step], d.recipient, d.event.name) for d in pb.deliveries] == seen


MALFORMED = [
    ("", "line 1: the file ends before its header"),
    ('{"mutation": "Connect", "identity": "a"}', "line 1: is not a header"),
    ('{"roomsim": 2, "room": "r"}', "line 1: the file is in scenario format version 2"),
    ('{"roomsim": 0}', 'line 1: "roomsim" must be the format version'),
    ('{"roomsim": "1"}', 'line 1: "roomsim" must be the format version'),
    ('{"roomsim": 1, "rooom": "r"}', "line 1: header has the unknown key 'rooom'"),
    ('{"roomsim": 1, "room": ""}', 'line 1: header "room" must be a non-empty string'),
    ('{"roomsim": 1, "config": {"max_participants": -1}}', "line 1: config is refused"),
    ('{"roomsim": 1, "config": {"max_users": 3}}', "line 1: config has no field 'max_users'"),
    ('{"roomsim": 1, "config": []}', 'line 1: header "config" must be an object'),
    ('{"roomsim": 1, "start": -1}', 'line 1: header "start" must be >= 0'),
    ('{"roomsim": 1, "events_of": "a"}', 'line 1: header "events_of" must be an array'),
    ('{"roomsim": 1, "events_of": ["a", "a"]}', "names an identity twice"),
    ('{"roomsim": 1, "room": "' + "x" * 300 + '"}', "line 1: the room can't be made"),
    (HEADER + "\n{oops}", "line 2: is not valid JSON"),
    (HEADER + "\n[1]", "line 2: must be a JSON object, got [1] (an array)"),
    (HEADER + '\n{"mutation": "Connect", "identity": "a", "identity": "b"}', "twice"),
    (HEADER + '\n{"mutation": "Advance", "dt": NaN}', "line 2: holds NaN"),
    (HEADER + '\n{"mutation": "Advance", "dt": 1e999}', "must be a finite number"),
    (HEADER + '\n{"mutation": "Teleport"}', "line 2: unknown mutation 'Teleport'"),
    (HEADER + '\n\n{"mutation": "SetName", "identity": "a"}', "line 3: SetName lacks"),
    (HEADER + '\n{"roomsim": 1}', "line 2: is a second header"),
    (HEADER + '\n{"hello": 1}', "line 2: holds neither a mutation"),
    (
        HEADER + '\n{"to": "a", "event": "disconnected", "reason": "ROOM_DELETED"}',
        "line 2: records an event of 'a', but the header's events_of does not name 'a'",
    ),
    (
        '{"roomsim": 1, "events_of": ["a"]}\n'
        '{"to": "a", "event": "disconnected", "reason": "ROOM_DELETED"}',
        "line 2: is an event before any mutation",
    ),
    (
        '{"roomsim": 1, "events_of": ["a"]}\n{"mutation": "Connect", "identity": "a"}\n'
        '{"event": "disconnected", "reason": "ROOM_DELETED"}',
        'line 3: an event line needs "to"',
    ),
    (
        '{"roomsim": 1, "events_of": ["a"]}\n{"mutation": "Connect", "identity": "a"}\n'
        '{"to": "a", "event": "disconnected", "reason": "BORED"}',
        "line 3: disconnected.reason must be a DisconnectReason name",
    ),
]


@pytest.mark.parametrize(("text", "message"), MALFORMED)
def test_a_malformed_file_is_refused_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        scenario.replay(io.StringIO(text))
    assert message in str(info.value)


def test_a_mutation_the_room_refuses_is_named_by_its_line() -> None:
    text = (
        HEADER
        + '\n{"mutation": "Connect", "identity": "a"}\n\n'
        + ('{"mutation": "SetMetadata", "identity": "a", "metadata": "x"}')
    )
    with pytest.raises(InvalidArgument) as info:
        scenario.replay(io.StringIO(text))
    msg = str(info.value)
    assert msg.startswith("line 4: SetMetadata is refused on replay (PermissionDenied: ")


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(HEADER.encode() + b'\n{"comment": "\xff"}\n')
    with pytest.raises(InvalidArgument, match="line 2: is not UTF-8 text"):
        scenario.load(path)


def test_load_needs_a_path_or_a_file() -> None:
    with pytest.raises(InvalidType):
        scenario.load(3)  # type: ignore[arg-type]


def test_a_replay_that_does_not_reproduce_the_room_is_a_roomsim_bug() -> None:
    room = two_people()
    room._time.mutations.append(M.SetMetadata(identity="nobody", metadata="x"))  # corrupted
    with pytest.raises(InternalError, match="can't be replayed from its own log"):
        scenario.dump(room, io.StringIO(), events_of=("bob",))


def test_clients_that_keep_no_history_are_recorded_from_a_replay() -> None:
    room = Room("r")
    room.connect("a", keep_events=False)
    room.connect("b")
    room.connect("a")  # a second session of "a", which keeps its events
    text = text_of(room, events_of=("a", "b"))
    pb = scenario.check(io.StringIO(text))
    assert [d.event.name for d in pb.scenario.expected if d.recipient == "a"][:2] == [
        "participant_connected",
        "participant_active",
    ]
    again = scenario.replay(io.StringIO(text))
    assert again.snapshot() == room.snapshot()


def test_a_lone_surrogate_is_escaped_so_the_file_is_utf8(tmp_path: Path) -> None:
    room = Room("r")
    try:
        room.connect("\ud800")
    except InvalidArgument:
        return  # the core refuses strings that are not UTF-8: nothing to dump
    path = tmp_path / "s.jsonl"
    scenario.dump(room, path)
    assert b"\\ud800" in path.read_bytes()
    assert scenario.replay(path).snapshot() == room.snapshot()
