"""``project``'s move projector: what a moved client's SDK emits (faults §5, §10).

Importing this module registers it into ``_project.PROJECTORS`` (``roomsim._apply.move``
imports it).  Only the moved client folds a ``Moved`` fact: it reads the destination's log from
that fact on, so the destination's own facts about its arrival never reach it.
"""

from __future__ import annotations

from roomsim import _facts as facts
from roomsim import events as E
from roomsim._faults_sdk import fault_profile
from roomsim._project import PROJECTORS, View, _Events, _own_subscriptions
from roomsim._project_faults import arrive
from roomsim._records import ParticipantRecord
from roomsim.model import DisconnectReason, ParticipantState

__all__ = ["moved"]


def _teardown(v: View, p: ParticipantRecord) -> _Events:
    """A remote of the old room goes, as the SDK removes it locally: its tracks, then it
    (no reason: no update about it arrives, faults §5)."""
    if p.state is ParticipantState.ACTIVE:  # a held one's tracks were never announced
        for t in p.tracks.values():
            if t.sid in v.subs or t.sid in v.stale:
                yield E.TrackUnsubscribed(participant=p.identity, track_sid=t.sid)
            yield E.TrackUnpublished(participant=p.identity, track_sid=t.sid)
    yield E.ParticipantDisconnected(participant=p.identity, reason=DisconnectReason.UNKNOWN_REASON)


def moved(v: View, f: facts.Fact) -> _Events:
    """The client is in the new room under a new sid (faults §5).

    Python (``handle_room_moved``): ``token_refreshed``; the old room's remotes absent from the
    new one go; the new room's participants arrive (a same identity goes first); the room's
    metadata and info; ``moved``.  JS (``RoomMoved``): the room's metadata; every old remote
    goes; ``moved``; the new room's participants arrive.  Both then get the new room's
    subscriptions.  The tracks' new sids (a roomsim deviation, faults §10) are told as in a
    full reconnect, just before ``moved``.
    """
    assert isinstance(f, facts.Moved)
    if f.old_sid != v.sid or f.rec.identity != v.identity:
        return  # sids count per room: another room's session may have had the same one
    fp = fault_profile(v.profile.name)
    known = [p for p in f.known if not p.permission.hidden]
    others = [p for p in f.others if not p.permission.hidden]
    v.sid, v.me = f.rec.sid, f.rec  # Rust: the new token, then the local info (faults §5.1)
    if fp.token_event:
        yield E.TokenRefreshed()
    if fp.moved_before_arrivals:
        if f.old_metadata != f.new_metadata:
            yield E.RoomMetadataChanged(old_metadata=f.old_metadata, new_metadata=f.new_metadata)
        for p in known:
            yield from _teardown(v, p)
    else:
        present = {p.identity for p in others}
        for p in known:
            if p.identity not in present:
                yield from _teardown(v, p)
    if not fp.moved_before_arrivals:
        was = {p.identity: p for p in known}
        for p in others:
            old = was.get(p.identity)
            if old is not None:  # same identity, another sid: it goes, then comes again
                yield from _teardown(v, old)
            yield from arrive(p)
        if f.old_metadata != f.new_metadata:
            yield E.RoomMetadataChanged(old_metadata=f.old_metadata, new_metadata=f.new_metadata)
        yield E.RoomUpdated()
    _forget(v)
    for old_sid, new_sid in f.republished:
        if old_sid == new_sid:  # the destination's next sid is the old one: nothing to tell
            continue
        if fp.token_event:
            yield E.LocalTrackRepublished(track_sid=new_sid, previous_sid=old_sid)
        else:
            yield E.LocalTrackUnpublished(track_sid=old_sid)
            yield E.LocalTrackPublished(track_sid=new_sid)
    yield E.Moved(room=f.room)
    if fp.moved_before_arrivals:
        for p in others:
            yield from arrive(p)
    yield from _own_subscriptions(v, f.subs)


def _forget(v: View) -> None:
    """What the client knew of the old room's remotes is gone."""
    for known in (v.subs, v.denied, v.paused, v.pub_count, v.speakers, v.quality, v.stale):
        known.clear()
    v.owner.clear()
    v.owed = None


PROJECTORS[facts.Moved] = moved
