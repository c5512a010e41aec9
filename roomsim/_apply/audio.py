"""Pushed audio: a participant's audio track plays samples (audio §9).

The check: the participant and its audio track exist, the samples are whole frames, and the
format is the one the track's earlier pushes had.  The commit: the track plays up to now, the
samples are queued, and the next speaker tick reads the levels they make.
"""

from __future__ import annotations

from typing import Any

from roomsim import _audio, mutations
from roomsim._apply.tracks import own_track
from roomsim._records import is_subscribed
from roomsim._server import Server
from roomsim.errors import IllegalState, InvalidArgument, UnknownTrack
from roomsim.model import TrackKind


def push_audio_mutation(
    identity: str, track_sid: str, samples: Any, sample_rate: int, num_channels: int
) -> mutations.PushAudio:
    """The ``PushAudio`` that ``Client.push_audio`` applies: ``samples`` as int16 PCM bytes."""
    return mutations.PushAudio(
        identity=identity,
        track_sid=track_sid,
        samples=_audio.pcm_bytes(samples),
        sample_rate=sample_rate,
        num_channels=num_channels,
    )


def apply_push_audio(server: Server, m: mutations.PushAudio) -> None:
    rec, t = own_track(server, m)
    if t.kind is not TrackKind.AUDIO:
        raise InvalidArgument(
            f"push_audio: {m.track_sid!r} is a {t.kind.value} track; audio goes to an audio track"
        )
    _audio.check_samples(m.samples, m.num_channels)
    known = server.audio.tracks.get(t.sid) if server.audio is not None else None
    if known is not None and (known.rate, known.channels) != (m.sample_rate, m.num_channels):
        raise InvalidArgument(
            f"push_audio: track {t.sid!r} plays {known.rate} Hz with {known.channels} "
            f"channel(s); push at that format (got {m.sample_rate} Hz, {m.num_channels}), as "
            "an rtc.AudioSource keeps the format it was made with"
        )
    if not m.samples:
        return  # an empty frame is ignored, as AudioSource.capture_frame does (audio §6)
    if server.audio is None:
        server.audio = _audio.AudioLayer()
    server.play_audio()
    server.audio.push(rec.identity, t.sid, m.samples, m.sample_rate, m.num_channels, server.now())
    server.mark_speakers()


def open_tap(server: Server, who: str, track_sid: str) -> _audio.AudioTap:
    """What ``Client.receive_audio`` returns: ``who`` must receive ``track_sid`` now."""
    sub = server.lookup(who)
    owner = server.track_owner.get(track_sid)
    if owner is None:
        raise UnknownTrack(
            f"receive_audio: no published track {track_sid!r} in room {server.name!r}",
            code="NOT_FOUND",
        )
    pub = server.records[owner]
    t = pub.tracks[track_sid]
    if t.kind is not TrackKind.AUDIO:
        raise InvalidArgument(f"receive_audio: {track_sid!r} is a {t.kind.value} track")
    if not is_subscribed(sub, pub, t):
        raise IllegalState(
            f"receive_audio: {who!r} is not subscribed to {track_sid!r} of {owner!r}; "
            "subscribe first (set_subscribed, or auto-subscribe) and check permissions"
        )
    if server.audio is None:
        server.audio = _audio.AudioLayer()
    server.play_audio()
    return server.audio.open_tap(owner, track_sid, who, server.play_audio)
