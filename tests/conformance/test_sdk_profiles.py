"""Transcripts: each client is one SDK, and the corrections of client §16.

Spec: client §16 (what ``livekit.rtc`` really emits, from a second reading of the sources),
client §1 (the JS-only events), §6 (speaker lists), §7 (quality), docs/design.md "python vs js".
A client is ``sdk="python"`` unless a test says otherwise.
"""

from __future__ import annotations

import pytest

from roomsim import (
    ConnectionQuality,
    ConnectionState,
    DataPacketKind,
    DisconnectReason,
    IllegalState,
    Permission,
    Room,
    RoomConfig,
    TrackKind,
    TrackSource,
    UnknownParticipant,
)
from roomsim import events as ev
from roomsim.testing import check_invariants

AUDIO, VIDEO = TrackKind.AUDIO, TrackKind.VIDEO
MIC, CAM = TrackSource.MICROPHONE, TrackSource.CAMERA
EXCELLENT = ConnectionQuality.EXCELLENT
#: a little over one speaker interval (0.4 s)
TICK = 0.4 + 1e-6


def test_duplicate_identity_others_see_unknown_reason() -> None:
    """client §16.4: the server drops the old session's DISCONNECTED update for the others; the
    SDK ends it with no reason when the new session's info arrives; the replaced session
    itself is told DUPLICATE_IDENTITY."""
    room = Room("r")
    alice = room.connect("alice")
    old = room.connect("bob")
    alice.drain()
    room.connect("bob")
    assert alice.drain() == (
        ev.ParticipantDisconnected(participant="bob", reason=DisconnectReason.UNKNOWN_REASON),
        ev.ParticipantConnected(participant="bob"),
        ev.ParticipantActive(participant="bob"),
    )
    assert old.disconnect_reason is DisconnectReason.DUPLICATE_IDENTITY


@pytest.mark.parametrize(("sdk", "times"), [("python", 2), ("js", 1)])
def test_a_server_mute_fires_track_muted_twice_on_the_python_publisher(
    sdk: str, times: int
) -> None:
    """client §16.7, §17.4: livekit.rtc's server-initiated mute mutes the track (callback),
    then the publication (callback again); JS once; subscribers once; an own mute once."""
    room = Room("r")
    alice = room.connect("alice", sdk=sdk)
    bob = room.connect("bob")
    mic = alice.publish_track(AUDIO, MIC)
    cam = alice.publish_track(VIDEO, CAM)
    alice.drain()
    bob.drain()
    room.mute_published_track("alice", mic, True)
    muted = ev.TrackMuted(participant="alice", track_sid=mic)
    assert alice.drain() == (muted,) * times
    assert bob.drain() == (muted,)
    alice.set_track_muted(cam, True)
    assert alice.drain() == (ev.TrackMuted(participant="alice", track_sid=cam),)


@pytest.mark.parametrize(("sdk", "topic"), [("python", ""), ("js", None)])
def test_data_without_a_topic(sdk: str, topic: str | None) -> None:
    """client §16.8: Python reads an unset topic as ``""``; JS as undefined (None)."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob", sdk=sdk)
    bob.drain()
    alice.send_data(b"hi")
    assert bob.drain() == (
        ev.DataReceived(participant="alice", data=b"hi", topic=topic, kind=DataPacketKind.RELIABLE),
    )


def test_a_denial_is_not_reported_without_can_subscribe() -> None:
    """client §16.9: without ``can_subscribe`` the server refuses the subscription before it
    looks at the publisher's permission, so JS hears of the denial only once
    ``can_subscribe`` is granted; neither refusal is a ``track_subscription_failed``."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob", permission=Permission(can_subscribe=False), sdk="js")
    mic = alice.publish_track(AUDIO, MIC)
    alice.set_track_subscription_permissions(all_participants=False)
    assert [e.name for e in bob.drain()] == ["track_published"]
    room.update_participant("bob", permission=Permission())
    assert bob.drain() == (
        ev.ParticipantPermissionsChanged(
            participant="bob",
            old_permissions=Permission(can_subscribe=False),
            permissions=Permission(),
        ),
        ev.TrackSubscriptionPermissionChanged(participant="alice", track_sid=mic, allowed=False),
    )


def test_lossy_data_skips_participants_that_are_not_active() -> None:
    """client §16.10: non-reliable data to a participant that is not ACTIVE is dropped;
    reliable data is delivered."""
    room = Room("r")
    alice = room.connect("alice")
    carol = room.connect("carol", active=False)
    carol.drain()
    alice.send_data(b"lossy", reliable=False)
    alice.send_data(b"reliable")
    assert carol.drain() == (
        ev.DataReceived(
            participant="alice", data=b"reliable", topic="", kind=DataPacketKind.RELIABLE
        ),
    )


def test_server_mute_looks_the_participant_up_first() -> None:
    """client §16.13: an unknown identity is not_found even for an unmute that remote unmute
    would refuse; a known one gets the failed_precondition."""
    room = Room("r")
    alice = room.connect("alice")
    mic = alice.publish_track(AUDIO, MIC)
    with pytest.raises(UnknownParticipant):
        room.mute_published_track("nobody", mic, False)
    with pytest.raises(IllegalState):
        room.mute_published_track("alice", mic, False)


def test_a_held_participants_track_reaches_nobody_before_it_is_active() -> None:
    """client §16.14 (was deviation 4): a track is announced when its media arrives, which
    needs the transport that makes the publisher ACTIVE.  Before that nobody sees it: no
    ``track_published``, no subscription, no webhook; at activation the publisher's ACTIVE
    info comes first, then the track (published, subscribed with the one-off quality of a
    first subscription, client §16.11), and the webhooks follow the same order."""
    room = Room("r")
    bob = room.connect("bob")
    carol = room.connect("carol", active=False)
    bob.drain()
    mic = carol.publish_track(AUDIO, MIC)
    # the publisher hears of its own publication (TrackPublishedResponse at AddTrack time)
    assert carol.drain()[:1] == (ev.LocalTrackPublished(track_sid=mic),)
    assert bob.drain() == ()
    assert bob.remote_participants["carol"].track_publications == {}
    assert "track_published" not in [w.event for w in room.webhooks]
    carol.activate()
    assert bob.drain() == (
        ev.ParticipantActive(participant="carol"),
        ev.TrackPublished(participant="carol", track_sid=mic),
        ev.ConnectionQualityChanged(participant="carol", quality=EXCELLENT),
        ev.TrackSubscribed(participant="carol", track_sid=mic),
    )
    assert bob.remote_participants["carol"].track_publications[mic].subscribed is True
    assert ev.LocalTrackSubscribed(track_sid=mic) in carol.drain()
    hooks = [w.event for w in room.webhooks if w.participant_identity == "carol"]
    assert hooks == ["participant_joined", "track_published"]


def test_a_held_participants_unpublished_track_was_never_there() -> None:
    """client §16.14: a track published and unpublished while JOINED reaches nobody."""
    room = Room("r")
    bob = room.connect("bob")
    carol = room.connect("carol", active=False)
    bob.drain()
    cam = carol.publish_track(VIDEO, CAM)
    carol.set_track_muted(cam, True)
    carol.unpublish_track(cam)
    carol.activate()
    assert bob.drain() == (ev.ParticipantActive(participant="carol"),)
    assert [w.event for w in room.webhooks if w.track is not None] == []


# ------------------------------------------------------------------------------------------------
# the JS-only events and the JS speaker list (client §1, §6, §7)


def test_speakers_python_gets_each_delta_js_the_merged_list_after_is_speaking() -> None:
    """client §6: Python emits the active entries of each update, quietest first, and no
    ``is_speaking_changed``; JS emits ``isSpeakingChanged`` per participant, then its merged
    list, loudest first."""
    room = Room("r", config=RoomConfig(quality_interval=0.0))
    alice = room.connect("alice")
    carol = room.connect("carol")
    py = room.connect("py")
    js = room.connect("js", sdk="js")
    alice.publish_track(AUDIO, MIC)
    carol.publish_track(AUDIO, MIC)
    room.set_audio_levels({"alice": 0.3})
    room.advance(TICK)
    py.drain()
    js.drain()
    room.set_audio_levels({"alice": 0.3, "carol": 0.9})
    room.advance(TICK)
    assert py.drain() == (ev.ActiveSpeakersChanged(speakers=("carol",)),)
    assert js.drain() == (
        ev.IsSpeakingChanged(participant="carol", speaking=True),
        ev.ActiveSpeakersChanged(speakers=("carol", "alice")),
    )
    assert py.active_speakers == js.active_speakers == ("carol", "alice")


def test_quality_python_every_entry_js_only_changes() -> None:
    """client §7: Python emits every entry of each quality update, changed or not; JS only a
    change (its initial value is UNKNOWN)."""
    room = Room("r")
    py = room.connect("py")
    js = room.connect("js", sdk="js")
    room.advance(5.0)
    py.drain()
    js.drain()
    room.set_connection_quality("py", ConnectionQuality.POOR)
    room.advance(5.0)
    assert ev.ConnectionQualityChanged(participant="js", quality=EXCELLENT) in js.events
    assert [e for e in js.drain() if isinstance(e, ev.ConnectionQualityChanged)] == []
    assert ev.ConnectionQualityChanged(participant="py", quality=ConnectionQuality.POOR) in (
        py.drain()
    )


def _pair(sdk: str) -> tuple[Room, str, str]:
    """alice publishes a microphone and a camera; bob (``sdk``) receives both."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob", sdk=sdk)
    mic = alice.publish_track(AUDIO, MIC)
    cam = alice.publish_track(VIDEO, CAM)
    alice.drain()
    bob.drain()
    return room, mic, cam


def _subscribed(room: Room, who: str, sid: str) -> bool:
    return room.clients[who].remote_participants["alice"].track_publications[sid].subscribed is True


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_a_publishers_denial_is_invisible_to_python_until_the_track_comes_back(sdk: str) -> None:
    """client §16.1: the server removes the subscription; JS reports it at once
    (``track_unsubscribed``, and its permission event), Python hears nothing and its
    publication still looks subscribed; when the subscription comes back, Python ends the
    stale track then reports the new one.  The last unsubscription from alice brings the
    forced speaker update in both (client §16.6)."""
    room, mic, _cam = _pair(sdk)
    alice, bob = room.clients["alice"], room.clients["bob"]
    js = sdk == "js"
    alice.set_track_subscription_permissions(all_participants=False)
    denied = tuple(
        e
        for sid in (mic, _cam)
        for e in (
            ev.TrackUnsubscribed(participant="alice", track_sid=sid),
            *((ev.ActiveSpeakersChanged(speakers=()),) if sid == _cam else ()),
            ev.TrackSubscriptionPermissionChanged(
                participant="alice", track_sid=sid, allowed=False
            ),
        )
    )
    assert bob.drain() == (denied if js else (ev.ActiveSpeakersChanged(speakers=()),))
    assert _subscribed(room, "bob", mic) is not js
    check_invariants(room)  # a Python client's stale view is legitimate
    alice.set_track_subscription_permissions(all_participants=True)
    back = [e for e in bob.drain() if not isinstance(e, ev.ConnectionQualityChanged)]
    if js:
        assert back[:2] == [
            ev.TrackSubscriptionPermissionChanged(participant="alice", track_sid=mic, allowed=True),
            ev.TrackSubscribed(participant="alice", track_sid=mic),
        ]
    else:
        assert back[:2] == [
            ev.TrackUnsubscribed(participant="alice", track_sid=mic),
            ev.TrackSubscribed(participant="alice", track_sid=mic),
        ]
    assert _subscribed(room, "bob", mic) is True
    check_invariants(room)


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_a_server_unsubscription_ends_a_stale_track_on_the_clients_own_off(sdk: str) -> None:
    """client §16.1: ``UpdateSubscriptions(subscribe=False)`` from the server API is silent in
    Python; the client's own ``set_subscribed(False)`` then emits ``track_unsubscribed``
    (``RemoteTrackPublication::set_subscribed(false)`` drops the track), once."""
    room, mic, _cam = _pair(sdk)
    bob = room.clients["bob"]
    room.update_subscriptions("bob", track_sids=(mic,), subscribe=False)
    unsub = (ev.TrackUnsubscribed(participant="alice", track_sid=mic),)
    assert bob.drain() == (unsub if sdk == "js" else ())
    bob.set_subscribed("alice", mic, False)
    bob.set_subscribed("alice", mic, False)
    assert bob.drain() == (() if sdk == "js" else unsub)
    assert _subscribed(room, "bob", mic) is False


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_a_server_unpublish_is_silent_to_a_python_publisher(sdk: str) -> None:
    """client §16.2: narrowing ``can_publish_sources`` unpublishes the camera; a JS publisher
    reports ``local_track_unpublished``, a Python one hears nothing and keeps the publication
    in its local view.  Subscribers see ``track_unsubscribed`` then ``track_unpublished`` in
    both profiles."""
    room = Room("r")
    alice = room.connect("alice", sdk=sdk)
    bob = room.connect("bob", sdk=sdk)
    mic = alice.publish_track(AUDIO, MIC)
    cam = alice.publish_track(VIDEO, CAM)
    alice.drain()
    bob.drain()
    room.update_participant("alice", permission=Permission(can_publish_sources=(MIC,)))
    own = [e for e in alice.drain() if not isinstance(e, ev.ParticipantPermissionsChanged)]
    assert own == ([ev.LocalTrackUnpublished(track_sid=cam)] if sdk == "js" else [])
    assert list(alice.local_participant.track_publications) == (
        [mic] if sdk == "js" else [mic, cam]
    )
    assert [e for e in bob.drain() if not isinstance(e, ev.ParticipantPermissionsChanged)] == [
        ev.TrackUnsubscribed(participant="alice", track_sid=cam),
        ev.TrackUnpublished(participant="alice", track_sid=cam),
    ]
    assert list(room.participants["alice"].track_publications) == [mic]


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_own_disconnect_order(sdk: str) -> None:
    """client §17.1 (Python) and §17.3 (JS): a client that disconnects itself gets
    ``local_track_unpublished`` for each own track, in publish order, then
    ``connection_state_changed(DISCONNECTED)`` and ``disconnected(CLIENT_INITIATED)``; JS
    first ends each subscribed remote track (``track_unsubscribed``)."""
    room, mic, cam = _pair("python")
    bob = room.clients["alice"]
    carol = room.connect("carol", sdk=sdk)
    c_mic = carol.publish_track(AUDIO, MIC)
    carol.drain()
    carol.disconnect()
    remote = tuple(ev.TrackUnsubscribed(participant="alice", track_sid=s) for s in (mic, cam))
    assert carol.drain() == (
        *(remote if sdk == "js" else ()),
        ev.LocalTrackUnpublished(track_sid=c_mic),
        ev.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        ev.Disconnected(reason=DisconnectReason.CLIENT_INITIATED),
    )
    assert bob.drain()[-1] == ev.ParticipantDisconnected(
        participant="carol", reason=DisconnectReason.CLIENT_INITIATED
    )


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_server_ended_session_order(sdk: str) -> None:
    """client §17.1: when the server ends the session (here ``RemoveParticipant``) Python emits
    no ``local_track_unpublished`` and no event for remote tracks; client §17.3: JS ends each
    remote subscription and unpublishes each own track, as on its own disconnect."""
    room, mic, cam = _pair("python")
    carol = room.connect("carol", sdk=sdk)
    c_mic = carol.publish_track(AUDIO, MIC)
    carol.drain()
    room.remove_participant("carol")
    remote = tuple(ev.TrackUnsubscribed(participant="alice", track_sid=s) for s in (mic, cam))
    js = (*remote, ev.LocalTrackUnpublished(track_sid=c_mic))
    assert carol.drain() == (
        *(js if sdk == "js" else ()),
        ev.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
        ev.Disconnected(reason=DisconnectReason.PARTICIPANT_REMOVED),
    )


def test_a_fork_keeps_pythons_stale_subscriptions_and_kept_publications() -> None:
    """client §16.1, §16.2: what a Python client still shows (a subscription the server ended,
    a track the server unpublished) survives ``Room.from_snapshot``, and the fork continues
    as the original would: the stale track is replaced at resubscription."""
    room, mic, cam = _pair("python")
    room.clients["alice"].set_track_subscription_permissions(all_participants=False)
    room.update_participant("alice", permission=Permission(can_publish_sources=(MIC,)))
    snap = room.snapshot()
    fork = Room.from_snapshot(snap)
    # (handlers are not forked: the bridge's own would differ)
    assert [c.view for c in fork.snapshot().clients] == [c.view for c in snap.clients]
    assert _subscribed(fork, "bob", mic) is True
    assert list(fork.clients["alice"].local_participant.track_publications) == [mic, cam]
    for r in (room, fork):
        r.clients["bob"].drain()
        r.clients["alice"].set_track_subscription_permissions(all_participants=True)
    assert fork.clients["bob"].drain() == room.clients["bob"].drain()
    assert room.clients["bob"].events[-2:] == (
        ev.TrackUnsubscribed(participant="alice", track_sid=mic),
        ev.TrackSubscribed(participant="alice", track_sid=mic),
    )
