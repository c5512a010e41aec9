"""Fused update verbs: ``Room.apply`` of the hottest mutations in one pass, when it is safe.

An attribute, metadata or name update, a mute, or the media layer's audio levels normally run
through the general path: the mutation's generated shape check, the applier, the server's
commit primitive, the time log, then dispatch (the log's loop, each eager client's
``deliver``, its fold, the projection generator).  Here each of those verbs is one function
that checks its inputs once, computes the diff, commits the *same* record and fact (or calls
the same commit primitive), and delivers the *same* event to each observing client directly
(``_finish``).

A fused verb handles only the common case, decided before anything changes: the owning thread,
an open room, an outermost verb with nothing left to dispatch, inputs that pass the shape
checks' fast paths (str that are ASCII; a dict or a read-only view of one), a participant with
the grant and within the size limits.  Anything else returns ``False`` and ``Room.apply`` takes
the general path, which raises what it raises.  A client that is reconnecting, ended, or does
not see the subject (hidden) gets the fact through its general ``deliver``; a commit that
brings other facts than the one the verb expects is dispatched the general way.  ``HOT`` maps
each fused mutation class to its function; removing an entry forces the general path (the
equivalence tests, ``tests/unit/test_hot.py`` and ``tests/property/test_hot_paths.py``,
compare both).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from roomsim import _facts as facts
from roomsim import events as E
from roomsim import mutations as M
from roomsim._join import positional
from roomsim._records import ParticipantRecord
from roomsim.client import Client
from roomsim.errors import HandlerFailure
from roomsim.model import ParticipantState

if TYPE_CHECKING:
    from roomsim.room import Room

__all__ = ["HOT"]

_set = object.__setattr__
_new = object.__new__
_current_thread = threading.current_thread


def _copy(e: E.Event) -> E.Event:
    """An equal event, a distinct object: each client gets its own, as from its projector."""
    kind = type(e)
    return kind(**{a.name: getattr(e, a.name) for a in attrs.fields(kind)})


_metadata_changed = positional(E.ParticipantMetadataChanged)
_name_changed = positional(E.ParticipantNameChanged)
_track_muted = positional(E.TrackMuted)
_track_unmuted = positional(E.TrackUnmuted)
_set_participant = E.ParticipantAttributesChanged.__dict__["participant"].__set__
_set_changed_attributes = E.ParticipantAttributesChanged.__dict__["changed_attributes"].__set__


def _ready(room: Room) -> bool:
    """Whether the general path would commit and dispatch at once: the owning thread, an open
    room, an outermost verb (not a handler's), and no fact waiting for dispatch."""
    log = room._facts
    return (
        _current_thread() is room._owner
        and not room._depth
        and not log._dispatching
        and not room._server.closed
        and log._dispatch_pos == log._base + len(log._facts)
    )


def _plain_copy(v: object) -> dict[Any, Any] | None:
    """A dict's copy, or the copy of the dict a read-only view shows (as the shape checks'
    ``_copy_map``); None for any other mapping (the general path reads it)."""
    if type(v) is dict:
        return v.copy()
    if type(v) is MappingProxyType:
        copy = v.copy()
        if type(copy) is dict:
            return copy
    return None


def _evolve(rec: ParticipantRecord, key: str, value: Any) -> ParticipantRecord:
    new: ParticipantRecord = _new(ParticipantRecord)
    d = new.__dict__
    d.update(rec.__dict__)
    d[key] = value
    return new


def _granted(room: Room, identity: Any) -> ParticipantRecord | None:
    """The record of ``identity`` if it is a well-formed identity of a participant that may
    update itself, else None (the general path raises)."""
    if type(identity) is not str or not identity or not identity.isascii():
        return None
    rec = room._server.records.get(identity)
    if rec is None or not rec.permission.can_update_metadata:
        return None
    if room._server.config.token_refresh_interval:
        return None  # the claims change brings a token refresh (faults §7): general path
    return rec


def _finish(
    room: Room,
    m: M.Mutation,
    f: facts.ParticipantFact | None,
    a: ParticipantRecord | None,
    e: E.Event | None,
    hidden: bool = False,
) -> bool:
    """After the commit of ``f`` (its record ``a``; None: nothing changed): the time log, then
    what ``FactLog.dispatch`` does for this one fact, with ``Client.deliver``, its fold and
    the projector inlined for each client in the common state, which gets ``e`` (the event
    ``f`` projects to; the first client that one, the others an equal copy), unless ``hidden``
    (the projector shows ``f`` to ``a``'s own client only); then what ``Room.apply`` does
    after dispatch."""
    t = room._time
    if t.keep_log:
        t.record(m)
    log = room._facts
    if f is None or a is None or e is None:
        log.dispatch()  # what a commit left for the general dispatch (usually nothing)
    elif log._eager:
        i = log._dispatch_pos
        sid, name = a.sid, e.name
        given = False
        log._dispatching = True
        try:
            for reader in tuple(log._eager):
                if type(reader) is not Client:
                    if reader.cursor == i:
                        reader.deliver(f, log.failures)
                    continue
                if reader._cursor != i:
                    continue
                v = reader._view
                if v.held is not None or v.restarting or v.ended or (hidden and sid != v.sid):
                    reader.deliver(f, log.failures)  # reconnecting, ended, or not seeing it
                    continue
                reader._cursor = i + 1
                if sid == v.sid:
                    v.me = a
                if given:
                    e = _copy(e)
                given = True
                store = reader._events if reader._keep else reader._unread
                store.append(e)
                hs = reader._handlers.get(name)
                if hs:
                    for h in tuple(hs):
                        try:
                            h(e)
                        except (KeyboardInterrupt, SystemExit):
                            raise
                        except BaseException as exc:  # as Client.deliver: every handler runs
                            log.failures.append(HandlerFailure(reader.identity, e, exc))
                if len(store) >= reader._trim_at:
                    reader._trim()
                if reader._peer is not None:
                    reader._peer.receive(reader, f, log.failures)
                # (an update never ends the session: nothing to make lazy, unlike deliver)
            log._dispatch_pos = i + 1
        finally:
            log._dispatching = False
        if log._dispatch_pos < log._base + len(log._facts) or log._linked:
            log.dispatch()  # facts the handlers' own verbs committed, here or in linked logs
    else:
        log._dispatch_pos += 1
    if log.failures:
        room._raise_failures()
    if len(log._facts) >= log._trim_at:
        log.maybe_trim()
    return True


def set_attributes(room: Room, m: M.SetAttributes) -> bool:
    # _ready, _granted, _plain_copy, _evolve and the event's maker, inlined: this is the
    # hottest verb (each call saved is a few percent of an update)
    log, server = room._facts, room._server
    if (
        _current_thread() is not room._owner
        or room._depth
        or log._dispatching
        or server.closed
        or log._dispatch_pos != log._base + len(log._facts)
    ):
        return False
    identity = m.identity
    if type(identity) is not str or not identity or not identity.isascii():
        return False
    rec = server.records.get(identity)
    if rec is None or not rec.permission.can_update_metadata:
        return False
    config = server.config
    if config.token_refresh_interval:
        return False  # the claims change brings a token refresh (faults §7): general path
    given = m.attributes
    if type(given) is dict:
        copy = given.copy()
    elif type(given) is MappingProxyType and type(copy := given.copy()) is dict:
        pass
    else:
        return False
    # one pass: the shape check, the size, the new map and how many keys change nothing
    old = rec.attributes
    new = old.copy() if type(old) is MappingProxyType else dict(old)
    size = same = 0
    for k, v in copy.items():
        if type(k) is not str or type(v) is not str:
            return False
        kv = k + v
        if not kv.isascii():
            return False
        size += len(kv)
        # ``new`` is ``old`` but for the keys before ``k`` (each key comes once)
        if v:
            if new.get(k) == v:
                same += 1
            else:
                new[k] = v
        elif new.pop(k, None) is None:
            same += 1
    limit = config.max_attributes_size
    if limit and size > limit:
        return False
    # from here on, what the general path commits: Mutation.checked's frozen copy, then
    # Server.commit_attributes's record and fact
    frozen = MappingProxyType(copy)
    _set(m, "attributes", frozen)
    if same == len(copy):
        return _finish(room, m, None, None, None)  # nothing changes (or an empty update)
    if same:
        # some keys change nothing: the diff is the others (rare; the usual diff is the copy)
        diff: MappingProxyType[str, str] = MappingProxyType(
            {k: v for k, v in copy.items() if (old.get(k) != v if v else k in old)}
        )
    else:
        diff = frozen
    after: ParticipantRecord = _new(ParticipantRecord)  # evolve(rec, attributes=...)
    d = after.__dict__
    d.update(rec.__dict__)
    d["attributes"] = MappingProxyType(new)
    server.records[identity] = after
    # AttributesChanged(rec, after, now, diff), its slots stored directly (no __init__ frame)
    f: facts.AttributesChanged = _new(facts.AttributesChanged)
    f.subject = identity
    f.before = rec
    f.after = after
    f.time = server.clock.now
    f.changed = diff
    log._facts.append(f)
    e = _new(E.ParticipantAttributesChanged)
    _set_participant(e, identity)
    _set_changed_attributes(e, diff)
    return _finish(room, m, f, after, e, after.permission.hidden)


def _text_verb(
    room: Room,
    m: M.SetName | M.SetMetadata,
    field: str,
    limit_setting: str,
    fact: type[facts.NameChanged | facts.MetadataChanged],
    event: Callable[..., E.Event],
) -> bool:
    """A name or metadata update: Server.commit_name or commit_metadata, fused."""
    if not _ready(room):
        return False
    rec = _granted(room, m.identity)
    if rec is None:
        return False
    value = getattr(m, field)
    if type(value) is not str or not value.isascii():
        return False
    server = room._server
    limit = getattr(server.config, limit_setting)
    if limit and len(value) > limit:
        return False
    old = getattr(rec, field)
    if not value or value == old:
        return _finish(room, m, None, None, None)
    after = _evolve(rec, field, value)
    server.records[rec.identity] = after
    f = fact(rec, after, server.clock.now)
    room._facts._facts.append(f)
    return _finish(room, m, f, after, event(rec.identity, old, value), after.permission.hidden)


def set_metadata(room: Room, m: M.SetMetadata) -> bool:
    return _text_verb(
        room, m, "metadata", "max_metadata_size", facts.MetadataChanged, _metadata_changed
    )


def set_name(room: Room, m: M.SetName) -> bool:
    return _text_verb(room, m, "name", "max_name_length", facts.NameChanged, _name_changed)


def set_track_muted(room: Room, m: M.SetTrackMuted) -> bool:
    """The verb runs straight to ``Server.commit_mute`` (audio played up to now, the record,
    the fact, the speaker mark); a mute that committed its one fact is delivered here."""
    if not _ready(room):
        return False
    identity, sid, muted = m.identity, m.track_sid, m.muted
    if type(identity) is not str or not identity or not identity.isascii():
        return False
    if type(sid) is not str or not sid.isascii() or type(muted) is not bool:
        return False
    server = room._server
    rec = server.records.get(identity)
    t = rec.tracks.get(sid) if rec is not None else None
    if rec is None or t is None:
        return False
    log = room._facts._facts
    end = len(log)
    room._depth += 1  # as Room.apply around its applier
    try:
        server.commit_mute(rec, t, muted)
    finally:
        room._depth -= 1
    f = log[-1] if len(log) == end + 1 else None
    if type(f) is not facts.TrackMuteChanged:
        return _finish(room, m, None, None, None)  # nothing changed, or more facts than one
    after, t2 = f.after, f.track
    assert after is not None
    e = (_track_muted if t2.muted else _track_unmuted)(identity, t2.sid)
    hidden = after.permission.hidden or after.state is not ParticipantState.ACTIVE
    return _finish(room, m, f, after, e, hidden)


def set_audio_levels(room: Room, m: M.SetAudioLevels) -> bool:
    """The media layer's levels, checked in one pass and straight to ``Server.set_levels``
    (which commits a fact only when speakers are updated at once: the general dispatch)."""
    if not _ready(room):
        return False
    copy = _plain_copy(m.levels)
    if copy is None:
        return False
    records = room._server.records
    out: dict[str, float] = {}
    for identity, level in copy.items():
        if type(identity) is not str or not identity.isascii() or identity not in records:
            return False
        if type(level) is float:
            if not 0.0 <= level <= 1.0:  # also refuses NaN
                return False
            out[identity] = level
        elif type(level) is int and 0 <= level <= 1:
            out[identity] = float(level)
        else:
            return False
    frozen = MappingProxyType(out)
    _set(m, "levels", frozen)  # Mutation.checked's frozen copy
    room._depth += 1  # as Room.apply around its applier
    try:
        room._server.set_levels(frozen)
    finally:
        room._depth -= 1
    return _finish(room, m, None, None, None)


#: mutation class -> its fused verb (``Room.apply`` tries it first)
HOT: dict[type[M.Mutation], Callable[[Room, Any], bool]] = {
    M.SetAttributes: set_attributes,
    M.SetMetadata: set_metadata,
    M.SetName: set_name,
    M.SetTrackMuted: set_track_muted,
    M.SetAudioLevels: set_audio_levels,
}
