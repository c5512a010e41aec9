"""Transcripts: active speakers (the media layer's audio levels, as each client hears them).

Spec: server §7 (threshold, MICROPHONE only, quantisation ``ceil(level*8)/8``, 400 ms updates
carrying only changes, each recipient filtered to what it subscribes to plus itself, the one-off
update on the first subscription and the forced stop on the last unsubscription), client §6
(the Python SDK emits the *active entries of each delta*, quietest first; JS emits
``is_speaking_changed`` per participant before the room event; ``active_speakers`` is the merged
list, loudest first), design §2 (``set_audio_levels``: linear, sticky; refused input changes
nothing) and §4 (errors).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from roomsim import (
    Client,
    ConnectionQuality,
    DisconnectReason,
    InvalidArgument,
    InvalidType,
    Room,
    RoomConfig,
    TrackKind,
    TrackSource,
    UnknownParticipant,
)
from roomsim import events as ev
from roomsim.events import ConnectionQualityChanged

AUDIO, VIDEO = TrackKind.AUDIO, TrackKind.VIDEO
MIC, CAM, SSA = TrackSource.MICROPHONE, TrackSource.CAMERA, TrackSource.SCREEN_SHARE_AUDIO
EXCELLENT = ConnectionQuality.EXCELLENT
#: -35 dBov as a linear level: the server's speaking threshold (server §7)
THRESHOLD = 10 ** (-35 / 20)
#: a little over one speaker interval (0.4 s), so float sums never stop short of a grid point
TICK = 0.4 + 1e-6


def _speakers(client: Client) -> tuple[str, ...]:
    """``client.active_speakers`` (a call, so the type checker does not narrow it)."""
    return client.active_speakers


def _speaking(who: str, *, level: float = 0.5) -> tuple[Room, str, Client]:
    """A room where ``who`` publishes a microphone at ``level``, with ``bob`` subscribed; past
    the first quality update (server §8), everything drained."""
    room = Room("r")
    speaker = room.connect(who)
    bob = room.connect("bob")
    mic = speaker.publish_track(AUDIO, MIC)
    room.set_audio_levels({who: level})
    room.advance(5.0 + TICK)
    speaker.drain()
    bob.drain()
    return room, mic, bob


# ------------------------------------------------------------------------------------------------
# input


@pytest.mark.parametrize(
    ("levels", "error"),
    [
        ({"alice": math.nan}, InvalidArgument),
        ({"alice": -0.01}, InvalidArgument),
        ({"alice": 1.01}, InvalidArgument),
        ({"alice": math.inf}, InvalidArgument),
        ({"alice": True}, InvalidType),
        ({"alice": "0.5"}, InvalidType),
        ({"alice": None}, InvalidType),
        ({"nobody": 0.5}, UnknownParticipant),
        ({"alice": 0.5, "bob": math.nan}, InvalidArgument),
        ({"alice": 0.5, "nobody": 0.5}, UnknownParticipant),
    ],
)
def test_refused_levels_change_nothing(levels: dict[str, Any], error: type[Exception]) -> None:
    """design §2 and §4: levels are linear numbers in [0, 1] for present participants; NaN,
    out-of-range, bool/str values and unknown identities are refused, and a refused call (even
    with valid entries beside the bad one) leaves ``room.snapshot()`` as it was."""
    room = Room("r")
    alice = room.connect("alice")
    room.connect("bob")
    alice.publish_track(AUDIO, MIC)
    before = room.snapshot()
    with pytest.raises(error):
        room.set_audio_levels(levels)
    assert room.snapshot() == before
    room.advance(TICK)
    assert room.participants["alice"].is_speaking is False


def test_levels_must_be_a_mapping() -> None:
    """design §4: a value of the wrong Python type is ``InvalidType``."""
    room = Room("r")
    room.connect("alice")
    before = room.snapshot()
    with pytest.raises(InvalidType):
        room.set_audio_levels([("alice", 0.5)])  # type: ignore[arg-type]
    assert room.snapshot() == before


# ------------------------------------------------------------------------------------------------
# who speaks


def test_a_level_alone_does_not_speak_without_an_unmuted_microphone() -> None:
    """Server §7: a participant's level is the max over its MICROPHONE tracks;
    SCREEN_SHARE_AUDIO does not count.  The level is sticky (design §2): it counts as soon as
    a microphone is published, at the next update."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    cam = alice.publish_track(VIDEO, CAM)
    ssa = alice.publish_track(AUDIO, SSA)
    room.set_audio_levels({"alice": 0.9})
    room.advance(2.0)
    bob.drain()
    alice.drain()
    assert room.participants["alice"].is_speaking is False
    assert _speakers(bob) == ()
    muted = alice.publish_track(AUDIO, MIC, muted=True)
    room.advance(2.0)
    assert bob.drain() == (
        ev.TrackPublished(participant="alice", track_sid=muted),
        ev.TrackSubscribed(participant="alice", track_sid=muted),
    )
    alice.set_track_muted(muted, False)
    assert bob.drain() == (ev.TrackUnmuted(participant="alice", track_sid=muted),)
    room.advance(TICK)
    assert bob.drain() == (ev.ActiveSpeakersChanged(speakers=("alice",)),)
    assert _speakers(bob) == ("alice",)
    assert (cam, ssa) == ("TR_1", "TR_2")


def test_threshold_is_minus_35_dbov_inclusive() -> None:
    """Server §7: ``GetLevel`` speaks at ``smoothed >= 10^(-35/20)`` (about 0.0178); any active
    speaker is reported at >= 0.125 after quantisation."""
    room, _, bob = _speaking("alice", level=THRESHOLD * 0.999)
    assert _speakers(bob) == ()
    room.set_audio_levels({"alice": THRESHOLD})
    room.advance(TICK)
    assert bob.drain() == (ev.ActiveSpeakersChanged(speakers=("alice",)),)
    assert bob.remote_participants["alice"].audio_level == 0.125
    room.set_audio_levels({"alice": THRESHOLD * 0.999})
    room.advance(TICK)
    assert bob.drain() == (ev.ActiveSpeakersChanged(speakers=()),)


@pytest.mark.parametrize(
    ("level", "quantised"),
    [(0.02, 0.125), (0.125, 0.125), (0.126, 0.25), (0.26, 0.375), (0.5, 0.5), (0.99, 1.0)],
)
def test_levels_are_quantised_up_to_eighths(level: float, quantised: float) -> None:
    """Server §7: each level goes out as ``ceil(level * 8) / 8``; server and client snapshots
    carry the quantised level."""
    room, _, bob = _speaking("alice", level=level)
    assert room.participants["alice"].audio_level == quantised
    assert bob.remote_participants["alice"].audio_level == quantised
    assert bob.remote_participants["alice"].is_speaking is True


def test_only_changes_of_the_quantised_level_are_sent() -> None:
    """Server §7 (``audioUpdateWorker``): a speaker is in the delta when it is new or its
    quantised level changed; nothing is sent for an empty delta."""
    room, _, bob = _speaking("alice", level=0.3)  # 0.375
    room.advance(10 * TICK)
    room.set_audio_levels({"alice": 0.27})  # still 0.375
    room.advance(TICK)
    assert bob.drain() == ()
    room.set_audio_levels({"alice": 0.2})  # 0.25: a level change, no speaking change
    room.advance(TICK)
    assert bob.drain() == (ev.ActiveSpeakersChanged(speakers=("alice",)),)
    assert bob.remote_participants["alice"].audio_level == 0.25


def test_updates_run_on_the_400ms_grid_from_room_creation() -> None:
    """Server §7: the broadcast runs every ``update_interval`` (400 ms); roomsim's ticks sit on
    a grid from room creation, so a level set at 0.1 s is heard at 0.4 s, not 0.5 s."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    alice.publish_track(AUDIO, MIC)
    bob.drain()
    room.advance(0.1)
    room.set_audio_levels({"alice": 0.5})
    room.advance(0.29)
    assert bob.drain() == ()
    assert room.participants["alice"].is_speaking is False
    seen: list[float] = []
    bob.on("active_speakers_changed", lambda e: seen.append(room.now))
    room.advance(0.01)
    assert seen == [pytest.approx(0.4)]
    assert room.participants["alice"].is_speaking is True


def test_only_the_level_at_the_tick_counts() -> None:
    """Server §7: the worker samples who speaks at each update; a level raised and dropped again
    between two updates sends nothing."""
    room, _, bob = _speaking("alice", level=0.0)
    room.set_audio_levels({"alice": 0.8})
    room.set_audio_levels({"alice": 0.0})
    room.advance(TICK)
    assert bob.drain() == ()


def test_levels_are_sticky() -> None:
    """design §2: a level stays until changed; a participant keeps speaking across updates
    without new events (server §7: only changes are sent)."""
    room, _, bob = _speaking("alice", level=0.6)
    room.advance(50 * TICK)
    assert bob.drain() == ()
    assert _speakers(bob) == ("alice",)
    assert room.participants["alice"].is_speaking is True


# ------------------------------------------------------------------------------------------------
# who hears it


def test_each_client_hears_what_it_subscribes_to_plus_itself() -> None:
    """Server §7: each recipient's copy is filtered to speakers it subscribes to (any track)
    plus itself."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    carol = room.connect("carol", auto_subscribe=False)
    a_cam = alice.publish_track(VIDEO, CAM)
    alice.publish_track(AUDIO, MIC)
    carol.publish_track(AUDIO, MIC)
    bob.set_subscribed("alice", a_cam, True)
    for c in (alice, bob, carol):
        c.drain()
    bob.set_subscribed("alice", "TR_2", False)  # bob keeps only alice's camera
    bob.drain()
    room.set_audio_levels({"alice": 0.5, "carol": 0.9})
    room.advance(TICK)
    # the delta is loudest first (carol, alice); each copy filtered
    assert alice.drain() == (ev.ActiveSpeakersChanged(speakers=("alice", "carol")),)
    assert bob.drain() == (ev.ActiveSpeakersChanged(speakers=("alice", "carol")),)
    assert carol.drain() == (ev.ActiveSpeakersChanged(speakers=("carol",)),)
    assert _speakers(carol) == ("carol",)
    assert carol.remote_participants["alice"].is_speaking is False
    assert carol.local_participant.is_speaking is True
    assert carol.local_participant.audio_level == 1.0


def test_a_new_subscription_learns_the_current_speaker() -> None:
    """Server §7 (``onSubscribeStatusChanged``) and §8: the first subscription to a speaking
    publisher brings a one-off speaker update; roomsim sends it right after
    ``track_subscribed``, behind the publisher's quality (server §8)."""
    room = Room("r")
    alice = room.connect("alice")
    carol = room.connect("carol", auto_subscribe=False)
    mic = alice.publish_track(AUDIO, MIC)
    cam = alice.publish_track(VIDEO, CAM)
    room.set_audio_levels({"alice": 0.7})
    room.advance(TICK)
    carol.drain()
    carol.set_subscribed("alice", cam, True)
    assert carol.drain() == (
        ev.ActiveSpeakersChanged(speakers=("alice",)),
        ConnectionQualityChanged(participant="alice", quality=EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=cam),
    )
    carol.set_subscribed("alice", mic, True)  # not the first: nothing more
    assert carol.drain() == (ev.TrackSubscribed(participant="alice", track_sid=mic),)
    assert _speakers(carol) == ("alice",)
    assert carol.remote_participants["alice"].audio_level == 0.75


def test_a_late_joiner_learns_the_current_speakers() -> None:
    """Server §7 and §6 (``subscribeToExistingTracks``): a joiner's subscriptions each bring the
    publisher's quality (server §8) and, for a speaker, its speaker info."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    a_mic = alice.publish_track(AUDIO, MIC)
    b_mic = bob.publish_track(AUDIO, MIC)
    room.set_audio_levels({"alice": 0.3, "bob": 0.9})
    room.advance(TICK)
    dave = room.connect("dave")
    assert dave.drain() == (
        ev.ActiveSpeakersChanged(speakers=("alice",)),
        ConnectionQualityChanged(participant="alice", quality=EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=a_mic),
        ev.ActiveSpeakersChanged(speakers=("bob",)),
        ConnectionQualityChanged(participant="bob", quality=EXCELLENT),
        ev.TrackSubscribed(participant="bob", track_sid=b_mic),
    )
    assert _speakers(dave) == ("bob", "alice")


def test_the_python_list_is_the_delta_and_the_merged_list_is_loudest_first() -> None:
    """Client §6 (Rust ``handle_speakers_changed``): the emitted list holds only the active
    entries of the delta, quietest first; ``client.active_speakers`` is the merged list,
    loudest first (design §3)."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    carol = room.connect("carol")
    alice.publish_track(AUDIO, MIC)
    bob.publish_track(AUDIO, MIC)
    room.set_audio_levels({"alice": 0.9})
    room.advance(TICK)
    carol.drain()
    room.set_audio_levels({"bob": 0.3})
    room.advance(TICK)
    assert carol.drain() == (ev.ActiveSpeakersChanged(speakers=("bob",)),)
    assert _speakers(carol) == ("alice", "bob")
    room.set_audio_levels({"alice": 0.0, "bob": 0.6})
    room.advance(TICK)
    # new/changed speakers first (loudest first), then those that stopped
    assert carol.drain() == (ev.ActiveSpeakersChanged(speakers=("bob",)),)
    assert _speakers(carol) == ("bob",)
    room.set_audio_levels({"alice": 0.4, "bob": 0.2})
    room.advance(TICK)
    assert carol.drain() == (ev.ActiveSpeakersChanged(speakers=("bob", "alice")),)
    assert _speakers(carol) == ("alice", "bob")
    snap = carol.remote_participants
    assert (snap["alice"].audio_level, snap["bob"].audio_level) == (0.5, 0.25)


def test_a_speaker_that_stops_gives_an_empty_python_list() -> None:
    """Client §6: a delta with only inactive entries gives ``active_speakers_changed([])``."""
    room, _, bob = _speaking("alice", level=0.5)
    room.set_audio_levels({"alice": 0.0})
    room.advance(TICK)
    assert bob.drain() == (ev.ActiveSpeakersChanged(speakers=()),)
    assert _speakers(bob) == ()
    assert bob.remote_participants["alice"].audio_level == 0.0


# ------------------------------------------------------------------------------------------------
# what stops a speaker


def test_mute_stops_speaking_at_the_next_update_and_unmute_resumes() -> None:
    """Server §7: only unmuted microphones count; the change is seen at the next update."""
    room, mic, bob = _speaking("alice", level=0.5)
    alice = room.clients["alice"]
    alice.set_track_muted(mic, True)
    assert bob.drain() == (ev.TrackMuted(participant="alice", track_sid=mic),)
    assert _speakers(bob) == ("alice",)
    room.advance(TICK)
    assert bob.drain() == (ev.ActiveSpeakersChanged(speakers=()),)
    alice.set_track_muted(mic, False)
    room.advance(TICK)
    assert bob.drain() == (
        ev.TrackUnmuted(participant="alice", track_sid=mic),
        ev.ActiveSpeakersChanged(speakers=("alice",)),
    )


def test_server_mute_stops_speaking_too() -> None:
    """Server §5 (``MutePublishedTrack``) and §7: a server mute is a mute."""
    room, mic, bob = _speaking("alice", level=0.5)
    room.mute_published_track("alice", mic, True)
    room.advance(TICK)
    assert bob.drain() == (
        ev.TrackMuted(participant="alice", track_sid=mic),
        ev.ActiveSpeakersChanged(speakers=()),
    )
    assert room.participants["alice"].is_speaking is False


def test_unpublishing_the_microphone_stops_speaking_at_the_next_update() -> None:
    """Server §7: with another track still subscribed, the subscriber hears the stop in the
    next update."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    cam = alice.publish_track(VIDEO, CAM)
    mic = alice.publish_track(AUDIO, MIC)
    room.set_audio_levels({"alice": 0.5})
    room.advance(TICK)
    bob.drain()
    alice.unpublish_track(mic)
    assert bob.drain() == (
        ev.TrackUnsubscribed(participant="alice", track_sid=mic),
        ev.TrackUnpublished(participant="alice", track_sid=mic),
    )
    assert _speakers(bob) == ("alice",)
    room.advance(TICK)
    assert bob.drain() == (ev.ActiveSpeakersChanged(speakers=()),)
    assert bob.remote_participants["alice"].track_publications[cam].subscribed is True


def test_the_last_unsubscription_from_a_speaker_stops_it_at_once() -> None:
    """Server §7 (``onSubscribeStatusChanged``): the last unsubscription forces
    ``{sid, 0, false}``: the speaker stops for that client at once."""
    room, mic, bob = _speaking("alice", level=0.5)
    bob.set_subscribed("alice", mic, False)
    assert bob.drain() == (
        ev.TrackUnsubscribed(participant="alice", track_sid=mic),
        ev.ActiveSpeakersChanged(speakers=()),
    )
    assert _speakers(bob) == ()
    assert bob.remote_participants["alice"].is_speaking is False
    room.advance(TICK)
    assert bob.drain() == ()
    assert room.clients["alice"].active_speakers == ("alice",)


def test_a_departing_speaker_is_dropped() -> None:
    """Server §7 and client §10: the departing speaker's tracks end (the last unsubscription
    stops it) before ``participant_disconnected``; no later update names it.  The speaker
    update never splits the unsubscribe/unpublish pair (client §16.5)."""
    room, mic, bob = _speaking("alice", level=0.5)
    room.clients["alice"].disconnect()
    assert bob.drain() == (
        ev.TrackUnsubscribed(participant="alice", track_sid=mic),
        ev.TrackUnpublished(participant="alice", track_sid=mic),
        ev.ActiveSpeakersChanged(speakers=()),
        ev.ParticipantDisconnected(participant="alice", reason=DisconnectReason.CLIENT_INITIATED),
    )
    room.advance(TICK)
    assert bob.drain() == ()
    assert _speakers(bob) == ()


def test_a_rejoin_starts_silent() -> None:
    """Server §7: levels belong to a session's tracks; a new session of the same identity is
    silent until the media layer reports a level for it."""
    room, _, bob = _speaking("alice", level=0.5)
    room.clients["alice"].disconnect()
    alice = room.connect("alice")
    alice.publish_track(AUDIO, MIC)
    room.advance(TICK)
    assert room.participants["alice"].is_speaking is False
    assert "alice" not in bob.active_speakers


def test_snapshots_carry_speaking_and_level() -> None:
    """design §2: participant snapshots carry ``is_speaking`` and ``audio_level`` (the server's
    truth in ``room.participants``, each client's knowledge in its own snapshots)."""
    room, _, bob = _speaking("alice", level=0.4)
    alice = room.clients["alice"]
    assert room.participants["alice"].is_speaking is True
    assert room.participants["alice"].audio_level == 0.5
    assert alice.local_participant.is_speaking is True
    assert alice.local_participant.audio_level == 0.5
    assert bob.remote_participants["alice"].is_speaking is True
    assert bob.local_participant.is_speaking is False
    assert bob.local_participant.audio_level == 0.0


def test_speaker_interval_zero_updates_at_once() -> None:
    """RoomConfig: ``speaker_interval=0`` sends each change at once (no grid)."""
    room = Room("r", config=RoomConfig(speaker_interval=0))
    alice = room.connect("alice")
    bob = room.connect("bob")
    alice.publish_track(AUDIO, MIC)
    bob.drain()
    room.set_audio_levels({"alice": 0.5})
    assert bob.drain() == (ev.ActiveSpeakersChanged(speakers=("alice",)),)


# ------------------------------------------------------------------------------------------------
# suspected roomsim bugs


def test_advancing_exactly_to_a_grid_point_runs_its_update() -> None:
    """Server §7: an update every 400 ms; advancing to exactly 2.4 s must run the 2.4 s one."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    alice.publish_track(AUDIO, MIC)
    room.advance(2.0)
    bob.drain()
    room.set_audio_levels({"alice": 0.5})
    room.advance(0.4)
    assert room.now == 2.4
    assert bob.drain() == (ev.ActiveSpeakersChanged(speakers=("alice",)),)


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_the_last_unsubscription_from_a_silent_publisher_brings_a_speaker_update(
    sdk: str,
) -> None:
    """Client §16.6: the server forces ``{sid, 0, false}`` on every last unsubscription from a
    publisher, speaking or not, and both SDKs dispatch the list even when it is empty (Python:
    the update's active entries, none; JS: its merged list, here empty too)."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob", sdk=sdk)
    mic = alice.publish_track(AUDIO, MIC)
    cam = alice.publish_track(VIDEO, CAM)
    bob.drain()
    bob.set_subscribed("alice", mic, False)
    assert bob.drain() == (ev.TrackUnsubscribed(participant="alice", track_sid=mic),)
    bob.set_subscribed("alice", cam, False)  # the last one
    assert bob.drain() == (
        ev.TrackUnsubscribed(participant="alice", track_sid=cam),
        ev.ActiveSpeakersChanged(speakers=()),
    )


def test_first_subscription_sends_speaker_info_before_quality() -> None:
    """Server §7 and §8 (``Room.onSubscribeStatusChanged``): the one-off ``SpeakersChanged`` is
    written before the one-off ``ConnectionQualityUpdate``, and the SDK handles signal
    messages in order; the track itself comes with a later offer, so ``track_subscribed`` is
    last (client §17.2)."""
    room = Room("r")
    alice = room.connect("alice")
    mic = alice.publish_track(AUDIO, MIC)
    room.set_audio_levels({"alice": 0.5})
    room.advance(TICK)
    dave = room.connect("dave")
    assert dave.drain() == (
        ev.ActiveSpeakersChanged(speakers=("alice",)),
        ConnectionQualityChanged(participant="alice", quality=EXCELLENT),
        ev.TrackSubscribed(participant="alice", track_sid=mic),
    )
