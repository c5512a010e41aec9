"""Unit tests of the core's layers, each on its own: the fact log, the server's primitives,
the appliers' checks, time, forks and the projections (docs/design.md, "File map")."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest

from roomsim import _facts as facts
from roomsim import mutations as M
from roomsim._apply import APPLIERS
from roomsim._fork import record_of, session_of
from roomsim._log import FactLog
from roomsim._profiles import PYTHON
from roomsim._project import View, project
from roomsim._records import ParticipantRecord, TrackRecord, evolve, is_subscribed
from roomsim._server import Server, TimerKind
from roomsim._time import run_timer
from roomsim.clock import ManualClock
from roomsim.config import RoomConfig
from roomsim.errors import HandlerFailure, InvalidArgument, InvalidType, UnknownParticipant
from roomsim.events import ParticipantAttributesChanged, TrackSubscribed
from roomsim.model import (
    ConnectionQuality,
    DisconnectReason,
    ParticipantKind,
    ParticipantState,
    Permission,
    TrackKind,
    TrackSource,
)


def _record(identity: str, seq: int, **kw: Any) -> ParticipantRecord:
    fields: dict[str, Any] = {
        "seq": seq,
        "sid": f"PA_{seq}",
        "identity": identity,
        "name": "",
        "metadata": "",
        "attributes": MappingProxyType({}),
        "kind": ParticipantKind.STANDARD,
        "kind_details": (),
        "permission": Permission(),
        "state": ParticipantState.ACTIVE,
        "joined_at": 0.0,
    }
    fields.update(kw)
    return ParticipantRecord(**fields)


class _Session:
    def __init__(self, identity: str) -> None:
        self.identity = identity
        self.sid = ""
        self.ended: DisconnectReason | None = None

    def session_ended(self, reason: DisconnectReason) -> None:
        self.ended = reason

    def session_rejoined(self) -> None:
        self.ended = None


def _server() -> Server:
    return Server(
        "r", RoomConfig(), ManualClock(), FactLog(), lambda rec, keep, sdk: _Session(rec.identity)
    )


class _Reader:
    """A reader that records what it is given (the log's reader protocol)."""

    def __init__(self, order: int, log: FactLog) -> None:
        self.order = order
        self.cursor = log.end
        self.seen: list[facts.Fact] = []
        self.log = log

    def deliver(self, fact: facts.Fact, failures: list[HandlerFailure]) -> None:
        self.seen.append(fact)
        self.cursor += 1

    def catch_up(self, upto: int) -> None:
        while self.cursor < upto:
            self.seen.append(self.log.at(self.cursor))
            self.cursor += 1

    def pinned(self) -> int | None:
        return self.cursor


# the fact log


def test_positions_are_absolute_and_trimming_keeps_what_a_reader_needs() -> None:
    log = FactLog()
    reader = _Reader(1, log)
    log.add_reader(reader)
    for i in range(5000):
        log.append(facts.RoomMetadata("", str(i), 0.0))
    assert log.end == 5000
    log.dispatch()  # no eager reader: everything is dispatched
    reader.catch_up(4000)
    log.maybe_trim()
    assert log.kept == 1000  # the facts the reader has read are gone
    assert log.at(4000).new == "4000"  # type: ignore[attr-defined]
    assert log.end == 5000


def test_dispatch_delivers_to_eager_readers_in_join_order() -> None:
    log = FactLog()
    delivered: list[int] = []

    class Logged(_Reader):
        def deliver(self, fact: facts.Fact, failures: list[HandlerFailure]) -> None:
            delivered.append(self.order)
            super().deliver(fact, failures)

    log.make_eager(Logged(2, log))
    log.make_eager(Logged(1, log))
    log.append(facts.RoomMetadata("", "a", 0.0))
    log.dispatch()
    assert delivered == [1, 2]


def test_records_at_a_position_roll_back_through_the_facts() -> None:
    log = FactLog()
    before = _record("alice", 1, name="A")
    after = evolve(before, name="B")
    log.append(facts.NameChanged(before, after, 0.0))
    current = {"alice": after}
    assert log.records_at(0, current)["alice"].name == "A"
    assert log.records_at(1, current) is current


# the server's primitives


def test_a_lookup_names_who_is_there() -> None:
    server = _server()
    server.add_session(_record("alice", 1), hold=False)
    with pytest.raises(UnknownParticipant, match="'alice'"):
        server.lookup("bob")


def test_ending_a_session_removes_its_tracks_first_then_the_session() -> None:
    server = _server()
    rec = _record("alice", 1)
    server.add_session(rec, hold=False)
    session = _Session("alice")
    server.sessions["alice"] = session
    server.add_track(
        rec,
        TrackRecord(
            sid="TR_1", name="", kind=TrackKind.AUDIO, source=TrackSource.MICROPHONE, muted=False
        ),
    )
    start = server.log.end
    server.end_session("alice", DisconnectReason.CLIENT_INITIATED)
    kinds = [type(server.log.at(i)).__name__ for i in range(start, server.log.end)]
    assert kinds == ["TrackClosing", "TrackRemoved", "Left"]
    assert session.ended is DisconnectReason.CLIENT_INITIATED
    assert not server.track_owner and not server.publishers
    assert [w.event for w in server.webhooks] == [
        "track_published",
        "track_unpublished",
        "participant_left",
    ]


def test_attribute_commits_report_only_real_changes() -> None:
    server = _server()
    rec = _record("alice", 1, attributes=MappingProxyType({"a": "1"}))
    server.add_session(rec, hold=False)
    start = server.log.end
    same = server.commit_attributes(rec, {"a": "1", "gone": ""})
    assert same is rec and server.log.end == start
    after = server.commit_attributes(rec, {"a": "", "b": "2"})
    assert dict(after.attributes) == {"b": "2"}
    fact = server.log.at(start)
    assert isinstance(fact, facts.AttributesChanged)
    assert dict(fact.changed) == {"a": "", "b": "2"}


def test_a_held_session_gets_a_join_timeout_timer() -> None:
    server = _server()
    server.add_session(_record("alice", 1, state=ParticipantState.JOINED), hold=True)
    kinds = [kind for _, _, kind, _ in server.timers]
    assert TimerKind.JOIN_TIMEOUT in kinds


# the appliers: shapes are the mutation's, state checks the applier's


def test_every_mutation_but_advance_has_an_applier() -> None:
    assert set(APPLIERS) == set(M.ALL_MUTATIONS) - {M.Advance}


def test_a_mutation_checks_its_shape_on_a_frozen_copy() -> None:
    attributes = {"k": "v"}
    m = M.SetAttributes(identity="alice", attributes=attributes)
    checked = m.checked()
    attributes["k"] = "changed"
    assert checked.attributes == {"k": "v"}
    assert isinstance(checked.attributes, MappingProxyType)
    with pytest.raises(InvalidType, match="set_attributes"):
        M.SetAttributes(identity="alice", attributes={"k": 1}).checked()  # type: ignore[dict-item]
    with pytest.raises(InvalidArgument, match="non-empty"):
        M.Disconnect(identity="").checked()


def test_an_already_frozen_mutation_is_its_own_checked_value() -> None:
    m = M.SetName(identity="alice", name="A")
    assert m.checked() is m


# time


def test_a_timer_runs_what_its_kind_says() -> None:
    server = _server()
    server.add_session(_record("alice", 1, state=ParticipantState.JOINED), hold=True)
    server.sessions["alice"] = _Session("alice")
    server.clock._move_to(server.config.join_timeout)
    while server.timers and server.timers[0][2] is not TimerKind.JOIN_TIMEOUT:
        run_timer(server)
    run_timer(server)
    assert "alice" not in server.records
    assert server.departed[-1].disconnect_reason is DisconnectReason.JOIN_FAILURE


# forks


def test_a_record_survives_the_trip_through_its_public_value() -> None:
    track = TrackRecord(
        sid="TR_1",
        name="mic",
        kind=TrackKind.AUDIO,
        source=TrackSource.MICROPHONE,
        muted=True,
        ever_subscribed=True,
    )
    rec = _record(
        "alice",
        3,
        tracks=MappingProxyType({"TR_1": track}),
        auto_subscribe=False,
        sub_overrides=MappingProxyType({"TR_9": True}),
        sub_all=False,
        sub_allowed=MappingProxyType({"bob": ("TR_1",)}),
        quality=ConnectionQuality.POOR,
        audio_level=0.5,
        is_speaking=True,
    )
    assert record_of(session_of(rec)) == rec


# projection


def test_a_projection_changes_the_view_before_each_event_it_yields() -> None:
    me = _record("bob", 2)
    pub = _record("alice", 1)
    track = TrackRecord(
        sid="TR_1", name="", kind=TrackKind.AUDIO, source=TrackSource.MICROPHONE, muted=False
    )
    after = evolve(pub, tracks=MappingProxyType({"TR_1": track}))
    assert is_subscribed(me, after, track)
    view = View(me, PYTHON)
    events = iter(project(view, facts.TrackAdded(pub, after, 0.0, track)))
    assert next(events).name == "track_published"
    assert "TR_1" not in view.subs
    # the publisher's quality comes ahead of the track (client §17.2): not subscribed yet
    assert next(events).name == "connection_quality_changed"
    assert "TR_1" not in view.subs
    assert view.pub_count == {"alice": 1}
    subscribed = next(events)
    assert subscribed == TrackSubscribed(participant="alice", track_sid="TR_1")
    assert "TR_1" in view.subs  # changed before the event was yielded
    assert list(events) == []


def test_a_hidden_participants_attributes_reach_only_itself() -> None:
    hidden = _record("ghost", 1, permission=Permission(hidden=True))
    after = evolve(hidden, attributes=MappingProxyType({"a": "1"}))
    fact = facts.AttributesChanged(hidden, after, 0.0, MappingProxyType({"a": "1"}))
    assert list(project(View(_record("bob", 2), PYTHON), fact)) == []
    assert list(project(View(hidden, PYTHON), fact)) == [
        ParticipantAttributesChanged(participant="ghost", changed_attributes={"a": "1"})
    ]
