"""Tracks: publishing, unpublishing and muting (server §5).

Each applier checks its mutation completely, then commits through ``Server`` primitives.
"""

from __future__ import annotations

from roomsim import mutations
from roomsim._apply._dropped import dropped
from roomsim._records import (
    ParticipantRecord,
    TrackRecord,
)
from roomsim._server import Server
from roomsim.errors import (
    IllegalState,
    PermissionDenied,
    UnknownTrack,
)
from roomsim.model import (
    PublicationSnapshot,
    TrackKind,
    TrackSource,
)


def apply_publish(server: Server, m: mutations.PublishTrack) -> str:
    return publish(server, m.identity, m.kind, m.source, m.name, m.muted)


def publish(
    server: Server, identity: str, kind: TrackKind, source: TrackSource, name: str, muted: bool
) -> str:
    """A ``PublishTrack`` whose fields passed their shape checks (its applier, and the fused
    ``Client.publish_track`` of ``roomsim._join``)."""
    rec = server.lookup(identity)
    if not rec.permission.can_publish_source(source):
        why = (
            "it lacks the can_publish grant"
            if not rec.permission.can_publish
            else f"{source!r} is not in its can_publish_sources "
            f"{rec.permission.can_publish_sources!r}"
        )
        raise PermissionDenied(
            f"{rec.identity!r} can't publish a {source.value} track: {why}; change its "
            "permission with room.update_participant(permission=...)",
            code="NOT_ALLOWED",
        )
    sid = f"TR_{server.next_tr}"
    server.next_tr += 1
    server.add_track(rec, TrackRecord(sid=sid, name=name, kind=kind, source=source, muted=muted))
    return sid


def own_track(
    server: Server, m: mutations.UnpublishTrack | mutations.SetTrackMuted | mutations.PushAudio
) -> tuple[ParticipantRecord, TrackRecord]:
    rec = server.lookup(m.identity)
    t = rec.tracks.get(m.track_sid)
    if t is None:
        raise UnknownTrack(
            f"{rec.identity!r} has no published track {m.track_sid!r}; its tracks: "
            f"{list(rec.tracks)}",
            code="NOT_FOUND",
        )
    return rec, t


def apply_unpublish(server: Server, m: mutations.UnpublishTrack) -> None:
    rec, t = own_track(server, m)
    server.remove_track(rec.identity, t.sid, silent=False)


def apply_set_track_muted(server: Server, m: mutations.SetTrackMuted) -> None:
    rec, t = own_track(server, m)
    server.commit_mute(rec, t, m.muted)


def apply_mute_published_track(
    server: Server, m: mutations.MutePublishedTrack
) -> PublicationSnapshot | None:
    # the participant is looked up first: an unknown one is not_found even for an unmute
    # (client §16.13)
    rec = server.lookup(m.identity)
    if not m.muted and not server.config.enable_remote_unmute:
        raise IllegalState(
            f"can't unmute {m.track_sid!r} of {m.identity!r} through the server API: "
            "remote unmute not enabled; set RoomConfig(enable_remote_unmute=True), or "
            "have the participant unmute its own track",
            code="failed_precondition",
        )
    t = rec.tracks.get(m.track_sid)
    if t is None:
        dropped(server, f"a server mute of {m.track_sid!r}, which {rec.identity!r} lacks")
        return None  # LiveKit answers with no track and no error (server §5)
    server.commit_mute(rec, t, m.muted, by_server=True)
    return server.records[rec.identity].tracks[t.sid].snapshot()
