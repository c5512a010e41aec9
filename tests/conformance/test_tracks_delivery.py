"""Transcripts: track events are the same however and whenever a client reads them.

Spec: design §1 ("reading every client after every mutation, or only at the end, gives
identical event streams"; handlers run after commit, nested verbs are queued behind the
events being dispatched), client §9b / §10 for the expected streams themselves.
"""

from __future__ import annotations

from collections.abc import Callable

from roomsim import (
    Client,
    ConnectionQuality,
    DisconnectReason,
    Permission,
    Room,
    StreamState,
    TrackKind,
    TrackSource,
)
from roomsim import events as ev

AUDIO, VIDEO = TrackKind.AUDIO, TrackKind.VIDEO
MIC, CAM = TrackSource.MICROPHONE, TrackSource.CAMERA

Step = Callable[[Room], object]


def _c(room: Room, who: str) -> Client:
    return room.clients[who]


SCRIPT: list[Step] = [
    lambda r: r.connect("alice"),
    lambda r: r.connect("bob"),
    lambda r: r.connect("carol", active=False),
    lambda r: _c(r, "alice").publish_track(AUDIO, MIC),  # TR_1
    lambda r: _c(r, "alice").publish_track(VIDEO, CAM),  # TR_2
    lambda r: _c(r, "carol").activate(),
    lambda r: r.set_stream_state("bob", "TR_2", StreamState.PAUSED),
    lambda r: _c(r, "alice").set_track_subscription_permissions(
        all_participants=False, allowed={"bob": ("TR_2",)}
    ),
    lambda r: _c(r, "alice").set_track_muted("TR_2", True),
    lambda r: r.update_participant("bob", permission=Permission(can_subscribe=False)),
    lambda r: _c(r, "bob").publish_track(VIDEO, CAM),  # TR_3
    lambda r: r.update_participant("bob", permission=Permission()),
    lambda r: _c(r, "alice").set_track_subscription_permissions(all_participants=True),
    lambda r: _c(r, "carol").send_data(b"x", topic="t"),
    lambda r: r.update_participant("alice", permission=Permission(can_publish_sources=(MIC,))),
    lambda r: _c(r, "bob").set_subscribed("alice", "TR_1", False),
    lambda r: _c(r, "alice").disconnect(),
]


def _run(mode: str) -> dict[str, tuple[ev.Event, ...]]:
    room = Room("r")
    seen: dict[str, list[ev.Event]] = {}
    clients: dict[str, Client] = {}
    for step in SCRIPT:
        result = step(room)
        if isinstance(result, Client):
            clients[result.identity] = result
            seen[result.identity] = []
            if mode == "handlers":
                for cls in ev.ALL_EVENTS:
                    result.on(cls, seen[result.identity].append)
        if mode == "eager":
            for who, c in clients.items():
                seen[who].extend(c.drain())
    if mode != "handlers":
        for who, c in clients.items():
            seen[who].extend(c.drain())
    return {who: tuple(evs) for who, evs in seen.items()}


def test_eager_lazy_and_handler_delivery_agree() -> None:
    """design §1: lazy delivery, reading after every step, and handler dispatch all see
    the same track events."""
    lazy = _run("lazy")
    assert _run("eager") == lazy
    assert _run("handlers") == lazy


def test_script_transcript_for_carol() -> None:
    """Client §9b/§10, server §3/§6: the whole stream of the held participant carol.
    A first subscription to a publisher also brings its quality (server §8).  Carol is a
    Python client: alice's denial is invisible to it but for the forced speaker update of the
    last unsubscription (client §16.1, §16.6); the re-grant replaces each stale track
    (``track_unsubscribed`` then ``track_subscribed``)."""
    carol = _run("lazy")["carol"]
    assert carol == (
        ev.TrackPublished(participant="alice", track_sid="TR_1"),
        ev.TrackPublished(participant="alice", track_sid="TR_2"),
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid="TR_1"),
        ev.TrackSubscribed(participant="alice", track_sid="TR_2"),
        ev.ActiveSpeakersChanged(speakers=()),
        ev.TrackMuted(participant="alice", track_sid="TR_2"),
        ev.ParticipantPermissionsChanged(
            participant="bob",
            old_permissions=Permission(),
            permissions=Permission(can_subscribe=False),
        ),
        ev.TrackPublished(participant="bob", track_sid="TR_3"),
        ev.ConnectionQualityChanged(participant="bob", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="bob", track_sid="TR_3"),
        ev.ParticipantPermissionsChanged(
            participant="bob",
            old_permissions=Permission(can_subscribe=False),
            permissions=Permission(),
        ),
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackUnsubscribed(participant="alice", track_sid="TR_1"),
        ev.TrackSubscribed(participant="alice", track_sid="TR_1"),
        ev.TrackUnsubscribed(participant="alice", track_sid="TR_2"),
        ev.TrackSubscribed(participant="alice", track_sid="TR_2"),
        ev.ParticipantPermissionsChanged(
            participant="alice",
            old_permissions=Permission(),
            permissions=Permission(can_publish_sources=(MIC,)),
        ),
        ev.TrackUnsubscribed(participant="alice", track_sid="TR_2"),
        ev.TrackUnpublished(participant="alice", track_sid="TR_2"),
        ev.TrackUnsubscribed(participant="alice", track_sid="TR_1"),
        ev.TrackUnpublished(participant="alice", track_sid="TR_1"),
        ev.ActiveSpeakersChanged(speakers=()),
        ev.ParticipantDisconnected(participant="alice", reason=DisconnectReason.CLIENT_INITIATED),
    )


def test_handler_unsubscribing_on_publish_is_queued_behind() -> None:
    """design §1: a verb called from a handler is applied at once; its events queue behind
    the ones being dispatched (published, subscribed, then unsubscribed).
    A first subscription to a publisher also brings its quality (server §8)."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    bob.drain()

    def on_published(e: ev.Event) -> None:
        assert isinstance(e, ev.TrackPublished)
        bob.set_subscribed(e.participant, e.track_sid, False)

    bob.on("track_published", on_published)
    cam = alice.publish_track(VIDEO, CAM)
    assert bob.drain() == (
        ev.TrackPublished(participant="alice", track_sid=cam),
        ev.ConnectionQualityChanged(participant="alice", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=cam),
        ev.TrackUnsubscribed(participant="alice", track_sid=cam),
        ev.ActiveSpeakersChanged(speakers=()),  # the last unsubscription (client §16.6)
    )
    assert alice.drain()[-2:] == (
        ev.LocalTrackPublished(track_sid=cam),
        ev.LocalTrackSubscribed(track_sid=cam),
    )
