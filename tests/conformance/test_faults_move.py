"""Conformance transcripts: ``MoveParticipant``, for both profiles (faults §5, §10).

The rooms on one ``ManualClock`` play one LiveKit server.  The moved participant leaves the
source room (its observers see it leave, UNKNOWN_REASON: ``MoveToRoom`` closes no participant)
and joins the destination under a new sid with the same identity, claims and tracks (the tracks
under the destination's sids, a roomsim deviation); the same ``Client`` goes on there.  Its
client hears (faults §5): Python (``handle_room_moved``) ``token_refreshed``, the old remotes
that are absent from the new room go, the new room's participants arrive, the room's metadata
and info, then ``moved``; JS (Room.ts ``RoomMoved``) the room's metadata, every old remote goes,
``moved``, then the new room's participants.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from roomsim import (
    DataPacketKind,
    DisconnectReason,
    IllegalState,
    InvalidArgument,
    ManualClock,
    Permission,
    Room,
    RoomConfig,
    RoomFull,
    TrackKind,
    TrackSource,
    scenario,
)
from roomsim import events as E
from roomsim import mutations as M
from roomsim.streams import StreamError
from roomsim.testing import check_invariants

MIC = (TrackKind.AUDIO, TrackSource.MICROPHONE)
UNKNOWN = DisconnectReason.UNKNOWN_REASON


def _news(events: tuple[E.Event, ...]) -> tuple[E.Event, ...]:
    """The events but the periodic connection-quality updates (server §8)."""
    return tuple(e for e in events if not isinstance(e, E.ConnectionQualityChanged))


class Two:
    """lobby: alice (the mover, publishes a mic) and carol (publishes a mic); stage: bob
    (publishes a mic), with metadata of its own.  Every client has read everything."""

    def __init__(self, sdk: str = "python") -> None:
        self.clock = ManualClock()
        self.lobby = Room("lobby", clock=self.clock)
        self.stage = Room("stage", clock=self.clock)
        self.stage.update_room_metadata("on stage")
        self.alice = self.lobby.connect("alice", sdk=sdk)
        self.carol = self.lobby.connect("carol")
        self.bob = self.stage.connect("bob")
        self.mine = self.alice.publish_track(*MIC)
        self.carols = self.carol.publish_track(*MIC)
        self.bobs = self.bob.publish_track(*MIC)
        self.old_sid = self.alice.sid
        for c in (self.alice, self.bob, self.carol):
            c.drain()

    def move(self) -> str:
        """Move alice to the stage; her track's new sid."""
        self.lobby.move_participant("alice", "stage")
        return next(iter(self.stage.participants["alice"].track_publications))


def test_python_mover_sees_departures_arrivals_room_then_moved() -> None:
    """faults §5 (Rust handle_room_moved, handle_room_update): token_refreshed; carol (absent
    from the stage) goes; bob arrives; room_metadata_changed and room_updated; the track's
    new sid (local_track_republished, faults §10); moved; then its subscriptions."""
    t = Two()
    new = t.move()
    assert _news(t.alice.drain()) == (
        E.TokenRefreshed(),
        E.TrackUnsubscribed(participant="carol", track_sid=t.carols),
        E.TrackUnpublished(participant="carol", track_sid=t.carols),
        E.ParticipantDisconnected(participant="carol", reason=UNKNOWN),
        E.ParticipantConnected(participant="bob"),
        E.ParticipantActive(participant="bob"),
        E.TrackPublished(participant="bob", track_sid=t.bobs),
        E.RoomMetadataChanged(old_metadata="", new_metadata="on stage"),
        E.RoomUpdated(),
        E.LocalTrackRepublished(track_sid=new, previous_sid=t.mine),
        E.Moved(room="stage"),
        E.TrackSubscribed(participant="bob", track_sid=t.bobs),
    )
    alice = t.alice
    assert alice.room is t.stage and t.stage.clients["alice"] is alice
    assert alice.sid == t.stage.participants["alice"].sid != t.old_sid
    assert alice.room_metadata == "on stage"
    assert list(alice.remote_participants) == ["bob"]
    assert list(alice.local_participant.track_publications) == [new]
    assert "alice" not in t.lobby.participants and "alice" not in t.lobby.clients
    assert alice not in t.lobby.all_clients
    check_invariants(t.lobby)
    check_invariants(t.stage)


def test_js_mover_sees_moved_before_the_new_room() -> None:
    """faults §5 (Room.ts RoomMoved handler): handleRoomUpdate (room metadata), every old
    remote goes, moved(roomName), then the new room's participants; no token event (§7)."""
    t = Two("js")
    new = t.move()
    assert _news(t.alice.drain()) == (
        E.RoomMetadataChanged(old_metadata="", new_metadata="on stage"),
        E.TrackUnsubscribed(participant="carol", track_sid=t.carols),
        E.TrackUnpublished(participant="carol", track_sid=t.carols),
        E.ParticipantDisconnected(participant="carol", reason=UNKNOWN),
        E.LocalTrackUnpublished(track_sid=t.mine),
        E.LocalTrackPublished(track_sid=new),
        E.Moved(room="stage"),
        E.ParticipantConnected(participant="bob"),
        E.ParticipantActive(participant="bob"),
        E.TrackPublished(participant="bob", track_sid=t.bobs),
        E.TrackSubscribed(participant="bob", track_sid=t.bobs),
    )
    check_invariants(t.stage)


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_source_observer_sees_a_departure(sdk: str) -> None:
    """faults §5: in the source room the mover leaves as after any departure (its tracks go,
    then it, UNKNOWN_REASON); webhooks track_unpublished then participant_left."""
    t = Two(sdk)
    t.move()
    assert _news(t.carol.drain()) == (
        E.TrackUnsubscribed(participant="alice", track_sid=t.mine),
        E.TrackUnpublished(participant="alice", track_sid=t.mine),
        E.ActiveSpeakersChanged(speakers=()),  # the last subscription's update (client §16.6)
        E.ParticipantDisconnected(participant="alice", reason=UNKNOWN),
    )
    hooks = [(w.event, w.participant_identity) for w in t.lobby.webhooks][-2:]
    assert hooks == [("track_unpublished", "alice"), ("participant_left", "alice")]
    (gone,) = (p for p in t.lobby.departed if p.identity == "alice")
    assert gone.sid == t.old_sid and gone.disconnect_reason is UNKNOWN


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_destination_observer_sees_a_join_and_its_tracks(sdk: str) -> None:
    """faults §5: in the destination a new session joins ACTIVE and publishes; auto-subscribe
    binds both ways; webhooks participant_joined then track_published."""
    t = Two(sdk)
    new = t.move()
    assert _news(t.bob.drain()) == (
        E.ParticipantConnected(participant="alice"),
        E.ParticipantActive(participant="alice"),
        E.LocalTrackSubscribed(track_sid=t.bobs),
        E.TrackPublished(participant="alice", track_sid=new),
        E.TrackSubscribed(participant="alice", track_sid=new),
    )
    hooks = [(w.event, w.participant_identity) for w in t.stage.webhooks][-2:]
    assert hooks == [("participant_joined", "alice"), ("track_published", "alice")]
    assert t.stage.is_subscribed("bob", new) and t.stage.is_subscribed("alice", t.bobs)


def test_the_mover_goes_on_in_the_destination() -> None:
    """After the move its verbs act on the destination; the source no longer hears it."""
    t = Two()
    t.move()
    t.alice.drain()
    t.carol.drain()
    t.bob.drain()
    cam = t.alice.publish_track(TrackKind.VIDEO, TrackSource.CAMERA)
    t.alice.send_data(b"hi")
    assert _news(t.bob.drain()) == (
        E.TrackPublished(participant="alice", track_sid=cam),
        E.TrackSubscribed(participant="alice", track_sid=cam),
        E.DataReceived(participant="alice", data=b"hi", topic="", kind=DataPacketKind.RELIABLE),
    )
    t.alice.drain()
    t.carol.send_data(b"lost")
    assert _news(t.carol.drain()) == ()
    assert _news(t.alice.drain()) == ()
    t.alice.disconnect()
    assert t.stage.departed[-1].identity == "alice"
    assert _news(t.bob.drain())[-1] == E.ParticipantDisconnected(
        participant="alice", reason=DisconnectReason.CLIENT_INITIATED
    )


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_handlers_run_in_both_rooms(sdk: str) -> None:
    """Handlers of the mover and of both rooms' observers run after the move's commit, the
    source's first, as for any verb (design §1)."""
    t = Two(sdk)
    seen: list[tuple[str, str]] = []
    for c in (t.alice, t.bob, t.carol):
        for name in ("moved", "participant_connected", "participant_disconnected"):
            c.on(name, lambda e, who=c.identity: seen.append((who, e.name)))
    t.move()
    assert ("carol", "participant_disconnected") in seen
    assert seen.index(("carol", "participant_disconnected")) < seen.index(("alice", "moved"))
    assert ("bob", "participant_connected") in seen
    assert ("alice", "moved") in seen
    check_invariants(t.stage)
    check_invariants(t.lobby)


def test_python_same_identity_in_both_rooms_goes_and_comes_again() -> None:
    """faults §5 item 4 (Rust handle_participant_update): a destination participant whose
    identity the mover knew under another sid is disconnected, then connected again."""
    t = Two()
    carol2 = t.stage.connect("carol")
    carol2.drain()
    t.alice.drain()
    t.move()
    assert [e.name for e in _news(t.alice.drain())] == [
        "token_refreshed",
        "participant_connected",  # bob
        "participant_active",
        "track_published",
        "track_unsubscribed",  # carol of the lobby
        "track_unpublished",
        "participant_disconnected",
        "participant_connected",  # carol of the stage
        "participant_active",
        "room_metadata_changed",
        "room_updated",
        "local_track_republished",
        "moved",
        "track_subscribed",
    ]


def test_a_session_of_the_same_identity_in_the_destination_is_replaced() -> None:
    """server §1: a join with an identity already present replaces that session
    (DUPLICATE_IDENTITY); the move joins the destination the same way."""
    t = Two()
    old = t.stage.connect("alice")
    old.drain()
    t.move()
    assert old.disconnect_reason is DisconnectReason.DUPLICATE_IDENTITY
    assert t.stage.clients["alice"] is t.alice
    check_invariants(t.stage)


def test_a_refused_move_changes_neither_room() -> None:
    """A refused move changes neither room (design §1)."""
    t = Two()
    before = (t.lobby.snapshot(), t.stage.snapshot())
    with pytest.raises(InvalidArgument, match="cannot be the same"):
        t.lobby.move_participant("alice", "lobby")
    assert (t.lobby.snapshot(), t.stage.snapshot()) == before
    full = Room("full", clock=t.clock, config=RoomConfig(max_participants=1))
    full.connect("zed").drain()
    before = (t.lobby.snapshot(), full.snapshot())
    with pytest.raises(RoomFull, match="max_participants=1"):
        t.lobby.move_participant("alice", "full")
    assert (t.lobby.snapshot(), full.snapshot()) == before
    stage = t.stage.snapshot()
    t.lobby.interrupt("alice")
    lobby = t.lobby.snapshot()
    with pytest.raises(IllegalState, match="reconnecting"):
        t.lobby.move_participant("alice", "stage")
    assert (t.lobby.snapshot(), t.stage.snapshot()) == (lobby, stage)
    assert before[0] != lobby


def test_a_move_from_a_handler_is_refused() -> None:
    """``move.in_handler``: as ``advance``, a move is refused inside dispatch (of any room on
    the clock), with nothing changed."""
    t = Two()
    seen: list[tuple[IllegalState, bool]] = []

    def move(e: E.Event) -> None:
        before = (t.lobby.snapshot(), t.stage.snapshot())
        try:
            t.lobby.move_participant("alice", "stage")
        except IllegalState as exc:
            seen.append((exc, (t.lobby.snapshot(), t.stage.snapshot()) == before))

    t.bob.on("room_metadata_changed", move)
    t.stage.update_room_metadata("again")
    [(exc, unchanged)] = seen
    assert exc.code == "failed_precondition" and "after the verb returns" in str(exc)
    assert unchanged
    assert t.alice.room is t.lobby


def test_the_move_is_logged_in_both_rooms_and_not_dumped() -> None:
    """Both logs hold the move; a scenario file holds one room, so ``dump`` refuses a log with
    a move (faults §10)."""
    t = Two()
    t.move()
    m = M.MoveParticipant(identity="alice", destination_room="stage")
    assert t.lobby.log[-1] == m and t.stage.log[-1] == m
    for room in (t.lobby, t.stage):
        with pytest.raises(IllegalState, match="one room"):
            scenario.dump(room, io.StringIO())
    # a file that holds one (written by hand) fails at that line: no destination on replay
    sc = scenario.Scenario(
        room="lobby", config=t.lobby.config, start=0.0, mutations=(M.Connect(identity="alice"), m)
    )
    with pytest.raises(InvalidArgument, match="line 3: MoveParticipant is refused"):
        scenario.replay(sc)


def test_hidden_participants_stay_hidden_across_a_move() -> None:
    """A hidden participant is announced to nobody (client §16.13): not in the mover's old
    room, not in its new one."""
    t = Two()
    spy = t.stage.connect("spy", permission=Permission(hidden=True))
    spy.drain()
    t.move()
    assert "spy" not in [getattr(e, "participant", None) for e in t.alice.drain()]
    check_invariants(t.stage)


def test_a_mover_that_read_nothing_reads_the_old_room_first() -> None:
    """A client folds lazily (design §1): what it had not read of the old room comes before
    the move's events, as if it had read them before."""
    t = Two()
    t.carol.publish_track(TrackKind.VIDEO, TrackSource.CAMERA)
    t.move()
    names = [e.name for e in _news(t.alice.drain())]
    assert names[:3] == ["track_published", "track_subscribed", "token_refreshed"]
    assert names[-2:] == ["moved", "track_subscribed"]


def test_a_mover_without_history_and_a_fork_of_the_destination() -> None:
    """``keep_events=False`` moves too; the destination forks with the moved client in it."""
    clock = ManualClock()
    lobby, stage = Room("lobby", clock=clock), Room("stage", clock=clock)
    alice = lobby.connect("alice", keep_events=False)
    alice.register_rpc_method("ping", lambda inv: "pong")
    stage.connect("bob")
    lobby.move_participant("alice", "stage")
    assert [e.name for e in alice.drain()][-1] == "moved"
    assert alice.rpc_methods == ("ping",)  # the SDK keeps its handlers (faults §5.1)
    fork = Room.from_snapshot(stage.snapshot())
    assert fork.clients["alice"].sid == alice.sid
    check_invariants(fork)


def test_an_empty_destination_name_is_an_invalid_argument() -> None:
    """A room has a non-empty name (``Room('')`` is refused), so an empty destination is
    refused at its shape check, not looked up; nothing changes."""
    t = Two()
    before = (t.lobby.snapshot(), t.stage.snapshot())
    with pytest.raises(InvalidArgument, match=r"destination_room=\.\.\.\) must be a non-empty"):
        t.lobby.move_participant("alice", "")
    assert (t.lobby.snapshot(), t.stage.snapshot()) == before


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_a_track_whose_sid_is_unchanged_is_not_republished(sdk: str) -> None:
    """faults §5: the client is told only the sids the move changed; a track that lands on
    the destination under its old sid (sids count per room) is neither republished (Python)
    nor unpublished and published again (JS)."""
    clock = ManualClock()
    lobby, stage = Room("lobby", clock=clock), Room("stage", clock=clock)
    alice = lobby.connect("alice", sdk=sdk)
    sid = alice.publish_track(*MIC)
    stage.connect("bob").drain()
    alice.drain()
    lobby.move_participant("alice", "stage")
    assert tuple(stage.participants["alice"].track_publications) == (sid,)
    assert not [e for e in alice.drain() if e.name.startswith("local_track")]


def test_streams_across_a_move_end_as_on_a_departure() -> None:
    """faults §5.1 (Rust handle_room_moved tears every old remote down with
    handle_participant_disconnect, which aborts its streams): a stream carol was sending to
    alice ends as if carol had left; the stage's first stream from a sender with carol's sid
    and stream id is a new stream, not more of hers; alice's own open stream is ended by the
    move, and writing to it says so."""
    t = Two()
    got: list[Any] = []
    t.alice.register_text_stream_handler("t", lambda r, who: got.append(r))
    w = t.carol.stream_text(topic="t")
    w.write("x")
    mine = t.alice.stream_text(topic="t")
    mine.write("y")
    t.move()
    with pytest.raises(StreamError, match="Participant carol unexpectedly disconnected"):
        got[0].read_all()
    t.bob.send_text("from bob", topic="t")
    assert got[1].read_all() == "from bob"
    with pytest.raises(IllegalState, match="moved to room 'stage', which ended the streams"):
        mine.write("z")
