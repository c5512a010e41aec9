"""A reference model of a room: naive, eager, dict-based; the other side of the differential test.

``ReferenceRoom`` implements the participant and track semantics of LiveKit (docs/livekit/ and
design §2-§4) the slow and obvious way, sharing no code with the core:

- the server's truth is a dict of mutable ``_Person`` records, changed in place, one *step* at a
  time, in the order the LiveKit server makes its changes (UpdateParticipant: name, metadata,
  attributes, permission, then the tracks a permission no longer allows; a leave: each track,
  then the session);
- after **every** step, **every** client is brought up to date by comparing what it knows with
  what it should know now and emitting an event per difference (the SDK's diffing: client §2-§10).
  There is no fact log, no cursor, no laziness: each client's events are computed eagerly.

So two implementations of the same rules meet: roomsim's facts and projections, read lazily,
and this state diff, computed eagerly.  ``tests/toolkit/test_differential.py`` drives both with
the same mutations and compares per-client events and snapshots.

What the model does not cover (the differential machine never draws them): handlers, time and
timers (``Advance``), room deletion, audio levels and connection quality.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs

from roomsim import events as E
from roomsim import mutations as M
from roomsim.config import RoomConfig
from roomsim.errors import (
    IllegalState,
    InvalidArgument,
    InvalidType,
    LimitExceeded,
    PermissionDenied,
    RoomFull,
    UnknownParticipant,
    UnknownTrack,
)
from roomsim.model import (
    ConnectionState,
    DataPacketKind,
    DisconnectReason,
    KindDetail,
    ParticipantKind,
    ParticipantSnapshot,
    ParticipantState,
    Permission,
    PublicationSnapshot,
    StreamState,
    TrackKind,
    TrackSource,
)
from tests.toolkit._reference_rpc import RPC_MODELLED, RpcModel

__all__ = ["MODELLED", "UNMODELLED_EVENTS", "ReferenceRoom", "participant_fields"]

#: events the model does not produce (speakers and connection quality): compare without them
UNMODELLED_EVENTS: Final[tuple[type[E.Event], ...]] = (
    E.ActiveSpeakersChanged,
    E.IsSpeakingChanged,
    E.ConnectionQualityChanged,
)

#: the mutation families the model implements
MODELLED: Final[frozenset[type[M.Mutation]]] = (
    frozenset(
        {
            M.Connect,
            M.Activate,
            M.Disconnect,
            M.SetName,
            M.SetMetadata,
            M.SetAttributes,
            M.UpdateParticipant,
            M.RemoveParticipant,
            M.UpdateRoomMetadata,
            M.PublishTrack,
            M.UnpublishTrack,
            M.SetTrackMuted,
            M.MutePublishedTrack,
            M.SetSubscribed,
            M.UpdateSubscriptions,
            M.SetTrackSubscriptionPermissions,
            M.SendData,
            M.SetStreamState,
        }
    )
    | RPC_MODELLED
)  # RPC and data streams: tests/toolkit/_reference_rpc.py


# ------------------------------------------------------------------------------------------------
# the server's truth


@attrs.define
class _Track:
    sid: str
    name: str
    kind: TrackKind
    source: TrackSource
    muted: bool
    #: a non-hidden subscriber has bound once: the publisher was told (server §6)
    told_publisher: bool = False


@attrs.define
class _Person:
    seq: int
    sid: str
    identity: str
    name: str
    metadata: str
    attributes: dict[str, str]
    kind: ParticipantKind
    kind_details: tuple[KindDetail, ...]
    permission: Permission
    state: ParticipantState
    joined_at: float
    auto_subscribe: bool
    tracks: dict[str, _Track] = attrs.Factory(dict)
    #: explicit subscription wishes: track sid -> wanted
    wishes: dict[str, bool] = attrs.Factory(dict)
    #: subscription permissions as a publisher (server §6): everyone allowed until told
    allow_all: bool = True
    allow: dict[str, tuple[str, ...] | None] = attrs.Factory(dict)

    @property
    def hidden(self) -> bool:
        return self.permission.hidden

    @property
    def dependent(self) -> bool:
        """Agents and egress (kind or grant) are neither counted nor limited (server §4)."""
        p = self.permission
        return self.kind in (ParticipantKind.AGENT, ParticipantKind.EGRESS) or p.agent or p.recorder


def _allowed(publisher: _Person, subscriber: _Person, track_sid: str) -> bool:
    """Server §6: publisher-side permissions, by identity; recorders and egress are exempt."""
    if publisher.allow_all:
        return True
    if subscriber.permission.recorder or subscriber.kind is ParticipantKind.EGRESS:
        return True
    if subscriber.identity not in publisher.allow:
        return False
    sids = publisher.allow[subscriber.identity]
    return sids is None or track_sid in sids


def _wanted(subscriber: _Person, track_sid: str) -> bool:
    """Server §6: the subscription manager of an ACTIVE participant wants the track."""
    if subscriber.state is not ParticipantState.ACTIVE:
        return False
    return subscriber.wishes.get(track_sid, subscriber.auto_subscribe)


def _subscribed(subscriber: _Person, publisher: _Person, track: _Track) -> bool:
    """Server §6 and §3 effect 2: wanted, can_subscribe, allowed; hidden publishers reach nobody,
    nor do held (not yet ACTIVE) ones (client §16.14)."""
    if subscriber.sid == publisher.sid or publisher.hidden:
        return False
    if publisher.state is not ParticipantState.ACTIVE:
        return False
    return (
        _wanted(subscriber, track.sid)
        and subscriber.permission.can_subscribe
        and _allowed(publisher, subscriber, track.sid)
    )


def _permission_status(subscriber: _Person, publisher: _Person, track: _Track) -> bool | None:
    """What reconciling a *desired* subscription reports (server §6); None when not desired, not
    announced (client §16.14), or while the subscriber lacks ``can_subscribe`` (client §16.9)."""
    if subscriber.sid == publisher.sid or publisher.hidden:
        return None
    if publisher.state is not ParticipantState.ACTIVE or not subscriber.permission.can_subscribe:
        return None
    if not _wanted(subscriber, track.sid):
        return None
    return _allowed(publisher, subscriber, track.sid)


# ------------------------------------------------------------------------------------------------
# what a client knows


@attrs.define
class _KnownTrack:
    name: str
    kind: TrackKind
    source: TrackSource
    muted: bool
    subscribed: bool = False
    denied: bool = False
    paused: bool = False
    #: the server ended the subscription but livekit.rtc still shows it (client §16.1)
    stale: bool = False


@attrs.define
class _Known:
    """One participant as a client's SDK knows it (itself, or a remote one)."""

    sid: str
    identity: str
    name: str
    metadata: str
    attributes: dict[str, str]
    kind: ParticipantKind
    kind_details: tuple[KindDetail, ...]
    permission: Permission
    state: ParticipantState
    joined_at: float
    tracks: dict[str, _KnownTrack]
    #: own tracks only: the publisher was told of a first subscriber
    told: set[str] = attrs.Factory(set)


def _know(p: _Person, *, own: bool = False) -> _Known:
    """``p`` as a client knows it: its own tracks always, another's once it is ACTIVE
    (client §16.14)."""
    announced = own or p.state is ParticipantState.ACTIVE
    return _Known(
        sid=p.sid,
        identity=p.identity,
        name=p.name,
        metadata=p.metadata,
        attributes=dict(p.attributes),
        kind=p.kind,
        kind_details=p.kind_details,
        permission=p.permission,
        state=p.state,
        joined_at=p.joined_at,
        tracks={
            t.sid: _KnownTrack(name=t.name, kind=t.kind, source=t.source, muted=t.muted)
            for t in p.tracks.values()
            if announced
        },
        told={t.sid for t in p.tracks.values() if t.told_publisher and announced},
    )


class _PythonEvents(list[E.Event]):
    """A python client's events (every client the model makes is one): an event only the JS
    SDK has (``sdks``) never reaches it (client §1)."""

    def append(self, e: E.Event) -> None:
        if "python" in e.sdks:
            super().append(e)


@attrs.define
class _Client:
    identity: str
    sid: str
    keep_events: bool
    me: _Known
    remotes: dict[str, _Known]
    room_metadata: str
    events: list[E.Event] = attrs.Factory(_PythonEvents)
    ended: bool = False
    reason: DisconnectReason | None = None
    #: own tracks the server unpublished, still listed by livekit.rtc (client §16.2)
    ghosts: dict[str, _KnownTrack] = attrs.Factory(dict)
    #: own tracks removed as the session ends (client §17.1)
    leaving: list[str] = attrs.Factory(list)


def _diff_attributes(old: Mapping[str, str], new: Mapping[str, str]) -> dict[str, str]:
    """Client §2: changed keys with their new value; removed keys as ``""``."""
    out: dict[str, str] = {}
    for k in list(new) + [k for k in old if k not in new]:
        if old.get(k) != new.get(k):
            out[k] = new.get(k, "")
    return out


# ------------------------------------------------------------------------------------------------
# the room


def _nbytes(s: str) -> int:
    return len(s.encode("utf-8", "surrogatepass"))


def _attrs_size(a: Mapping[str, str]) -> int:
    return sum(_nbytes(k) + _nbytes(v) for k, v in a.items())


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise InvalidType(f"reference model: {what} has the wrong type")


def _need_str(v: Any, what: str) -> None:
    _need(type(v) is str, what)


def _need_identity(v: Any, what: str) -> None:
    _need_str(v, what)
    if not v:
        raise InvalidArgument(f"reference model: {what} is empty")


def _need_attributes(v: Any, what: str) -> None:
    _need(isinstance(v, Mapping), what)
    for k, val in v.items():
        _need(type(k) is str and type(val) is str, what)


def _within(size: int, limit: int, what: str, code: str) -> None:
    if limit and size > limit:
        raise LimitExceeded(f"reference model: {what} is {size} > {limit} bytes", code=code)


class ReferenceRoom(RpcModel):
    """The naive model.  ``apply(mutation)`` returns what ``Room.apply`` returns (a client's
    sid for ``Connect``), or raises the error class roomsim must raise."""

    def __init__(self, config: RoomConfig | None = None) -> None:
        self.config = config if config is not None else RoomConfig()
        self.now = 0.0
        self.metadata = ""
        self.people: dict[str, _Person] = {}
        self.departed: list[ParticipantSnapshot] = []
        #: every client ever made, by session sid, in join order
        self.clients: dict[str, _Client] = {}
        self._seq = 0
        self._next_pa = 1
        self._next_tr = 1
        self._reasons: dict[str, DisconnectReason] = {}
        self._silent: set[str] = set()
        self._rpc_init()
        #: track sids the server (not their publisher) is unpublishing (client §16.2)
        self._by_server: set[str] = set()
        #: (client sid, track sid): the client itself is unsubscribing (client §16.1)
        self._own_off: set[tuple[str, str]] = set()
        #: webhooks (server §10) as (event, participant identity, participant sid, track sid)
        self.webhooks: list[tuple[str, str | None, str | None, str | None]] = [
            ("room_started", None, None, None)
        ]

    def _hook(self, event: str, p: _Person | None = None, track_sid: str | None = None) -> None:
        ident, sid = (p.identity, p.sid) if p is not None else (None, None)
        self.webhooks.append((event, ident, sid, track_sid))

    def _activate(self, p: _Person) -> None:
        p.state = ParticipantState.ACTIVE
        self._step()
        self._hook("participant_joined", p)
        # what it published while held is announced now (client §16.14)
        for sid in p.tracks:
            self._hook("track_published", p, sid)

    # -------------------------------------------------------------------------------------------
    # reads

    def server_participants(self) -> list[ParticipantSnapshot]:
        return [self._server_snapshot(p) for p in self.people.values()]

    def _server_snapshot(
        self,
        p: _Person,
        state: ParticipantState | None = None,
        reason: DisconnectReason | None = None,
    ) -> ParticipantSnapshot:
        return _snapshot(
            p.sid,
            p.identity,
            p.name,
            p.metadata,
            p.attributes,
            p.kind,
            p.kind_details,
            state if state is not None else p.state,
            p.permission,
            p.joined_at,
            reason,
            {
                t.sid: PublicationSnapshot(
                    sid=t.sid, name=t.name, kind=t.kind, source=t.source, muted=t.muted
                )
                for t in p.tracks.values()
            },
        )

    def local_participant(self, sid: str) -> ParticipantSnapshot:
        c = self.clients[sid]
        k = c.me
        return _snapshot(
            k.sid,
            k.identity,
            k.name,
            k.metadata,
            k.attributes,
            k.kind,
            k.kind_details,
            ParticipantState.DISCONNECTED if c.ended else k.state,
            k.permission,
            k.joined_at,
            c.reason if c.ended else None,
            {
                sid: PublicationSnapshot(
                    sid=sid, name=t.name, kind=t.kind, source=t.source, muted=t.muted
                )
                for sid, t in {**k.tracks, **c.ghosts}.items()
            },
        )

    def remote_participants(self, sid: str) -> list[ParticipantSnapshot]:
        out = []
        for k in self.clients[sid].remotes.values():
            pubs = {}
            for tsid, t in k.tracks.items():
                shown = t.subscribed or t.stale
                if t.paused:
                    stream = StreamState.PAUSED
                elif shown and t.kind is TrackKind.VIDEO:
                    stream = StreamState.ACTIVE
                else:
                    stream = StreamState.UNKNOWN
                pubs[tsid] = PublicationSnapshot(
                    sid=tsid,
                    name=t.name,
                    kind=t.kind,
                    source=t.source,
                    muted=t.muted,
                    subscribed=shown,
                    stream_state=stream,
                    allowed=not t.denied,
                )
            out.append(
                _snapshot(
                    k.sid,
                    k.identity,
                    k.name,
                    k.metadata,
                    k.attributes,
                    k.kind,
                    k.kind_details,
                    k.state,
                    k.permission,
                    k.joined_at,
                    None,
                    pubs,
                )
            )
        return out

    # -------------------------------------------------------------------------------------------
    # apply

    def apply(self, m: M.Mutation) -> Any:
        snake = "".join("_" + c.lower() if c.isupper() else c for c in type(m).__name__)
        handler = getattr(self, "_do" + snake, None)
        if type(m) not in MODELLED or handler is None:
            raise NotImplementedError(f"the reference model does not model {type(m).__name__}")
        return handler(m)

    def _lookup(self, identity: Any, what: str = "identity") -> _Person:
        _need_identity(identity, what)
        p = self.people.get(identity)
        if p is None:
            raise UnknownParticipant(f"reference model: no participant {identity!r}")
        return p

    # --- participants --------------------------------------------------------------------------

    def _do_connect(self, m: M.Connect) -> str:
        cfg = self.config
        _need_identity(m.identity, "identity")
        _need_str(m.name, "name")
        _need_str(m.metadata, "metadata")
        _need_attributes(m.attributes, "attributes")
        _need(isinstance(m.kind, ParticipantKind), "kind")
        _need(isinstance(m.kind_details, tuple), "kind_details")
        for d in m.kind_details:
            _need(isinstance(d, KindDetail), "kind_details entry")
        _need(isinstance(m.permission, Permission), "permission")
        _need(type(m.active) is bool, "active")
        _need(m.auto_subscribe is None or type(m.auto_subscribe) is bool, "auto_subscribe")
        _need(type(m.keep_events) is bool, "keep_events")
        code = "invalid_argument"
        _within(_nbytes(m.identity), cfg.max_identity_length, "identity", code)
        _within(_nbytes(m.name), cfg.max_name_length, "name", code)
        _within(_nbytes(m.metadata), cfg.max_metadata_size, "metadata", code)
        _within(_attrs_size(m.attributes), cfg.max_attributes_size, "attributes", code)
        perm = m.permission
        dependent = (
            m.kind in (ParticipantKind.AGENT, ParticipantKind.EGRESS) or perm.agent or perm.recorder
        )
        if cfg.max_participants and not dependent:
            # the session it replaces leaves first (server §4 duplicate identity)
            counted = [
                p for p in self.people.values() if not p.dependent and p.identity != m.identity
            ]
            if len(counted) >= cfg.max_participants:
                raise RoomFull("reference model: the room is full")
        old = self.people.get(m.identity)
        if old is not None:
            self._end_session(old, DisconnectReason.DUPLICATE_IDENTITY)
        self._seq += 1
        sid = f"PA_{self._next_pa}"
        self._next_pa += 1
        p = _Person(
            seq=self._seq,
            sid=sid,
            identity=m.identity,
            name=m.name,
            metadata=m.metadata,
            # empty claims are ignored: a join cannot delete (server §1)
            attributes={k: v for k, v in m.attributes.items() if v != ""},
            kind=m.kind,
            kind_details=m.kind_details,
            permission=perm,
            state=ParticipantState.JOINED,
            joined_at=self.now,
            auto_subscribe=self.config.auto_subscribe
            if m.auto_subscribe is None
            else m.auto_subscribe,
        )
        self.people[m.identity] = p
        self._step()
        # the new client knows everyone already there as state (client §13)
        self.clients[sid] = _Client(
            identity=m.identity,
            sid=sid,
            keep_events=m.keep_events,
            me=_know(p, own=True),
            remotes={
                q.identity: _know(q) for q in self.people.values() if q.sid != sid and not q.hidden
            },
            room_metadata=self.metadata,
        )
        if m.active:
            self._activate(p)
        return sid

    def _do_activate(self, m: M.Activate) -> None:
        p = self._lookup(m.identity)
        if p.state is not ParticipantState.ACTIVE:
            self._activate(p)

    def _do_disconnect(self, m: M.Disconnect) -> None:
        self._end_session(self._lookup(m.identity), DisconnectReason.CLIENT_INITIATED)

    def _do_remove_participant(self, m: M.RemoveParticipant) -> None:
        self._end_session(self._lookup(m.identity), DisconnectReason.PARTICIPANT_REMOVED)

    def _end_session(self, p: _Person, reason: DisconnectReason) -> None:
        """Client §10: each track goes (silently for the leaver itself), then the session."""
        self._rpc_session_ended(p.sid)
        for sid in list(p.tracks):
            self._silent.add(sid)
            self._remove_track(p, sid)
            self._silent.discard(sid)
        del self.people[p.identity]
        self._reasons[p.sid] = reason
        self.departed.append(
            self._server_snapshot(p, state=ParticipantState.DISCONNECTED, reason=reason)
        )
        self._step()
        # participant_left only for a session that became ACTIVE (server §10)
        ever_active = p.state is ParticipantState.ACTIVE
        self._hook("participant_left" if ever_active else "participant_connection_aborted", p)

    def _granted(self, identity: Any) -> _Person:
        p = self._lookup(identity)
        if not p.permission.can_update_metadata:
            raise PermissionDenied("reference model: no can_update_metadata")
        return p

    def _do_set_name(self, m: M.SetName) -> None:
        _need_str(m.name, "name")
        p = self._granted(m.identity)
        _within(_nbytes(m.name), self.config.max_name_length, "name", "LIMIT_EXCEEDED")
        self._set_name(p, m.name)

    def _do_set_metadata(self, m: M.SetMetadata) -> None:
        _need_str(m.metadata, "metadata")
        p = self._granted(m.identity)
        _within(_nbytes(m.metadata), self.config.max_metadata_size, "metadata", "LIMIT_EXCEEDED")
        self._set_metadata(p, m.metadata)

    def _do_set_attributes(self, m: M.SetAttributes) -> None:
        _need_attributes(m.attributes, "attributes")
        p = self._granted(m.identity)
        size = _attrs_size(m.attributes)
        _within(size, self.config.max_attributes_size, "attributes", "LIMIT_EXCEEDED")
        self._set_attributes(p, m.attributes)

    def _set_name(self, p: _Person, name: str) -> None:
        # "" means unchanged, and an equal value changes nothing (server §2)
        if name and name != p.name:
            p.name = name
            self._step()

    def _set_metadata(self, p: _Person, metadata: str) -> None:
        if metadata and metadata != p.metadata:
            p.metadata = metadata
            self._step()

    def _set_attributes(self, p: _Person, update: Mapping[str, str]) -> None:
        # merge; "" deletes (server §1)
        new = dict(p.attributes)
        for k, v in update.items():
            if v == "":
                new.pop(k, None)
            else:
                new[k] = v
        if new != p.attributes:
            p.attributes = new
            self._step()

    def _do_update_participant(self, m: M.UpdateParticipant) -> ParticipantSnapshot:
        cfg = self.config
        _need(m.name is None or type(m.name) is str, "name")
        _need(m.metadata is None or type(m.metadata) is str, "metadata")
        if m.attributes is not None:
            _need_attributes(m.attributes, "attributes")
        _need(m.permission is None or isinstance(m.permission, Permission), "permission")
        # the server API checks the limits before looking the participant up (server §1)
        code = "invalid_argument"
        if m.name is not None:
            _within(_nbytes(m.name), cfg.max_name_length, "name", code)
        if m.metadata is not None:
            _within(_nbytes(m.metadata), cfg.max_metadata_size, "metadata", code)
        if m.attributes is not None:
            _within(_attrs_size(m.attributes), cfg.max_attributes_size, "attributes", code)
        p = self._lookup(m.identity)
        if m.permission is not None and m.permission.hidden != p.permission.hidden:
            raise IllegalState("reference model: hidden can't change on a connected participant")
        if m.name is not None:
            self._set_name(p, m.name)
        if m.metadata is not None:
            self._set_metadata(p, m.metadata)
        if m.attributes is not None:
            self._set_attributes(p, m.attributes)
        if m.permission is not None and m.permission != p.permission:
            p.permission = m.permission
            self._step()
            # tracks whose source is no longer allowed are unpublished (server §3 effect 1)
            for t in list(p.tracks.values()):
                if not p.permission.can_publish_source(t.source):
                    self._by_server.add(t.sid)
                    self._remove_track(p, t.sid)
                    self._by_server.discard(t.sid)
        # the server API answers with the participant as it is after the update
        return self._server_snapshot(p)

    def _do_update_room_metadata(self, m: M.UpdateRoomMetadata) -> None:
        _need_str(m.metadata, "metadata")
        _within(_nbytes(m.metadata), self.config.max_metadata_size, "metadata", "invalid_argument")
        if m.metadata == self.metadata:
            return
        old, self.metadata = self.metadata, m.metadata
        for c in self._live():
            c.events.append(E.RoomMetadataChanged(old_metadata=old, new_metadata=m.metadata))
            c.room_metadata = m.metadata

    # --- tracks -------------------------------------------------------------------------------

    def _do_publish_track(self, m: M.PublishTrack) -> str:
        _need(isinstance(m.kind, TrackKind), "kind")
        _need(isinstance(m.source, TrackSource), "source")
        _need_str(m.name, "name")
        _need(type(m.muted) is bool, "muted")
        p = self._lookup(m.identity)
        if not p.permission.can_publish_source(m.source):
            raise PermissionDenied("reference model: the source is not allowed")
        sid = f"TR_{self._next_tr}"
        self._next_tr += 1
        p.tracks[sid] = _Track(sid=sid, name=m.name, kind=m.kind, source=m.source, muted=m.muted)
        self._step()
        if p.state is ParticipantState.ACTIVE:  # else announced at activation (client §16.14)
            self._hook("track_published", p, sid)
        return sid

    def _own_track(self, identity: Any, track_sid: Any) -> tuple[_Person, _Track]:
        _need_str(track_sid, "track_sid")
        p = self._lookup(identity)
        t = p.tracks.get(track_sid)
        if t is None:
            raise UnknownTrack("reference model: no such track of its own")
        return p, t

    def _do_unpublish_track(self, m: M.UnpublishTrack) -> None:
        p, t = self._own_track(m.identity, m.track_sid)
        self._remove_track(p, t.sid)

    def _remove_track(self, p: _Person, sid: str) -> None:
        del p.tracks[sid]
        self._step()
        if p.state is ParticipantState.ACTIVE:  # a held one's track was never announced
            self._hook("track_unpublished", p, sid)

    def _do_set_track_muted(self, m: M.SetTrackMuted) -> None:
        _need(type(m.muted) is bool, "muted")
        _, t = self._own_track(m.identity, m.track_sid)
        if t.muted != m.muted:
            t.muted = m.muted
            self._step()

    def _do_mute_published_track(self, m: M.MutePublishedTrack) -> PublicationSnapshot | None:
        _need_str(m.track_sid, "track_sid")
        _need(type(m.muted) is bool, "muted")
        if not m.muted and not self.config.enable_remote_unmute:
            raise IllegalState("reference model: remote unmute not enabled")
        p = self._lookup(m.identity)
        t = p.tracks.get(m.track_sid)
        if t is None:
            return None  # server §5: no error, no track
        if t.muted != m.muted:
            t.muted = m.muted
            self._step()
            if m.muted:
                # livekit.rtc mutes the track, then the publication: the publisher's callback
                # runs twice (client §16.7)
                c = self.clients[p.sid]
                c.events.append(E.TrackMuted(participant=p.identity, track_sid=t.sid))
        return PublicationSnapshot(
            sid=t.sid, name=t.name, kind=t.kind, source=t.source, muted=t.muted
        )

    # --- subscriptions ------------------------------------------------------------------------

    def _find_track(self, sid: Any) -> tuple[_Person, _Track]:
        _need_str(sid, "track_sid")
        for p in self.people.values():
            if sid in p.tracks:
                return p, p.tracks[sid]
        raise UnknownTrack(f"reference model: no track {sid!r}")

    def _do_set_subscribed(self, m: M.SetSubscribed) -> None:
        _need_str(m.publisher, "publisher")
        _need_str(m.track_sid, "track_sid")
        _need(type(m.subscribed) is bool, "subscribed")
        me = self._lookup(m.identity)
        pub = self.people.get(m.publisher)
        if pub is None or pub.hidden:
            raise UnknownParticipant("reference model: no such publisher")
        if pub.sid == me.sid:
            raise InvalidArgument("reference model: can't subscribe to itself")
        if m.track_sid not in pub.tracks:
            raise UnknownTrack("reference model: the publisher has no such track")
        if not m.subscribed:
            # the client's own "off" ends a track livekit.rtc still shows (client §16.1)
            c = self.clients[me.sid]
            kt = c.remotes[pub.identity].tracks.get(m.track_sid)
            if kt is not None and kt.stale:
                kt.stale = False
                c.events.append(
                    E.TrackUnsubscribed(participant=pub.identity, track_sid=m.track_sid)
                )
            self._own_off.add((me.sid, m.track_sid))
        self._wish(me, {m.track_sid: m.subscribed})
        self._own_off.clear()

    def _do_update_subscriptions(self, m: M.UpdateSubscriptions) -> None:
        _need(isinstance(m.track_sids, tuple), "track_sids")
        _need(type(m.subscribe) is bool, "subscribe")
        for sid in m.track_sids:
            _need_str(sid, "track_sids entry")
        me = self._lookup(m.identity)
        for sid in m.track_sids:
            owner, _ = self._find_track(sid)
            if owner.sid == me.sid:
                raise InvalidArgument("reference model: can't subscribe to its own track")
        # LiveKit's Room.UpdateSubscriptions loops over the request's track sids: each is
        # reconciled in the request's order (not publish order); a repeated sid counts once
        for sid in dict.fromkeys(m.track_sids):
            self._wish(me, {sid: m.subscribe})

    def _wish(self, me: _Person, wishes: Mapping[str, bool]) -> None:
        new = {**me.wishes, **wishes}
        if new != me.wishes:
            me.wishes = new
            self._step()

    def _do_set_track_subscription_permissions(self, m: M.SetTrackSubscriptionPermissions) -> None:
        _need(type(m.all_participants) is bool, "all_participants")
        _need(isinstance(m.allowed, Mapping), "allowed")
        allow: dict[str, tuple[str, ...] | None] = {}
        for ident, sids in m.allowed.items():
            _need_identity(ident, "allowed key")
            if sids is not None:
                _need(isinstance(sids, tuple | list), "allowed value")
                for s in sids:
                    _need_str(s, "allowed sid")
                sids = tuple(sids)
            allow[ident] = sids
        p = self._lookup(m.identity)
        if (p.allow_all, p.allow) != (m.all_participants, allow):
            p.allow_all, p.allow = m.all_participants, allow
            self._step()

    # --- data and stream state ----------------------------------------------------------------

    def _do_send_data(self, m: M.SendData) -> None:
        if m.sender is not None:
            _need_str(m.sender, "sender")
        _need(isinstance(m.data, bytes), "data")
        _need(m.topic is None or type(m.topic) is str, "topic")
        _need(type(m.reliable) is bool, "reliable")
        _need(isinstance(m.destination_identities, tuple), "destination_identities")
        for d in m.destination_identities:
            _need_str(d, "destination")
        sender = self._lookup(m.sender) if m.sender is not None else None
        if sender is not None and not sender.permission.can_publish_data:
            return  # dropped silently (server §3 effect 3)
        kind = DataPacketKind.RELIABLE if m.reliable else DataPacketKind.LOSSY
        who = None if sender is None or sender.hidden else sender.identity
        for c in self._live():
            if sender is not None and c.sid == sender.sid:
                continue
            if m.destination_identities and c.identity not in m.destination_identities:
                continue
            me = self.people[c.identity]
            if not m.reliable and me.state is not ParticipantState.ACTIVE:
                continue  # lossy data reaches only ACTIVE participants (client §16.10)
            c.events.append(
                E.DataReceived(participant=who, data=m.data, topic=m.topic or "", kind=kind)
            )

    def _do_set_stream_state(self, m: M.SetStreamState) -> None:
        _need(isinstance(m.state, StreamState), "state")
        if m.state is StreamState.UNKNOWN:
            raise InvalidArgument("reference model: UNKNOWN is not a stream state to set")
        me = self._lookup(m.identity)
        pub, t = self._find_track(m.track_sid)
        if t.kind is not TrackKind.VIDEO:
            raise InvalidArgument("reference model: stream state is for video tracks")
        if not _subscribed(me, pub, t):
            raise IllegalState("reference model: not subscribed")
        c = self.clients[me.sid]
        known = c.remotes[pub.identity].tracks[t.sid]
        paused = m.state is StreamState.PAUSED
        if known.paused != paused:  # the SDK reports a real change only (client §8)
            known.paused = paused
            c.events.append(
                E.TrackStreamStateChanged(participant=pub.identity, track_sid=t.sid, state=m.state)
            )

    # -------------------------------------------------------------------------------------------
    # the eager part: after each step, every client catches up with the truth

    def _live(self) -> list[_Client]:
        return [c for c in self.clients.values() if not c.ended]

    def _step(self) -> None:
        for c in self._live():
            self._catch_up(c)
        # the publisher is told once per track when a first non-hidden subscriber binds
        told = False
        for pub in self.people.values():
            for t in pub.tracks.values():
                if t.told_publisher:
                    continue
                if any(not sub.hidden and _subscribed(sub, pub, t) for sub in self.people.values()):
                    t.told_publisher = True
                    told = True
        if told:
            for c in self._live():
                self._catch_up(c)

    def _catch_up(self, c: _Client) -> None:
        out = c.events
        me = self.people.get(c.identity)
        if me is None or me.sid != c.sid:
            reason = self._reasons[c.sid]
            if reason is DisconnectReason.CLIENT_INITIATED:
                # its own disconnect unpublishes what it lists first (client §17.1)
                for sid in sorted((*c.ghosts, *c.leaving), key=lambda s: (len(s), s)):
                    out.append(E.LocalTrackUnpublished(track_sid=sid))
            out.append(E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED))
            out.append(E.Disconnected(reason=reason))
            c.ended = True
            c.reason = reason
            c.remotes = {}
            c.ghosts = {}
            c.leaving = []
            return
        # itself: its own changes arrive as local events
        self._changes(c, c.me, me, local=True)
        mine = c.me.tracks
        for sid in list(mine):
            if sid not in me.tracks:
                kt = mine.pop(sid)
                if sid in self._silent:
                    c.leaving.append(sid)
                elif sid in self._by_server:
                    c.ghosts[sid] = kt  # livekit.rtc never hears of it (client §16.2)
                else:
                    out.append(E.LocalTrackUnpublished(track_sid=sid))
        for t in me.tracks.values():
            own = mine.get(t.sid)
            if own is None:
                mine[t.sid] = _KnownTrack(name=t.name, kind=t.kind, source=t.source, muted=t.muted)
                out.append(E.LocalTrackPublished(track_sid=t.sid))
            elif own.muted != t.muted:
                own.muted = t.muted
                cls = E.TrackMuted if t.muted else E.TrackUnmuted
                out.append(cls(participant=me.identity, track_sid=t.sid))
            if t.told_publisher and t.sid not in c.me.told:
                c.me.told.add(t.sid)
                out.append(E.LocalTrackSubscribed(track_sid=t.sid))
        c.me.state = me.state
        # the others, as far as they are visible
        visible = {p.identity: p for p in self.people.values() if p.sid != me.sid and not p.hidden}
        for ident, k in list(c.remotes.items()):
            p = visible.get(ident)
            if p is None or p.sid != k.sid:
                for sid, kt in k.tracks.items():
                    if kt.subscribed or kt.stale:
                        out.append(E.TrackUnsubscribed(participant=ident, track_sid=sid))
                    out.append(E.TrackUnpublished(participant=ident, track_sid=sid))
                # the server drops a replaced session's update for the others: the SDK ends it
                # with no reason when the new session's info arrives (client §16.4)
                reason = self._reasons.get(k.sid, DisconnectReason.UNKNOWN_REASON)
                if reason is DisconnectReason.DUPLICATE_IDENTITY:
                    reason = DisconnectReason.UNKNOWN_REASON
                out.append(E.ParticipantDisconnected(participant=ident, reason=reason))
                del c.remotes[ident]
        for ident, p in visible.items():
            if ident not in c.remotes:
                new = _know(p)
                new.tracks = {}
                new.state = ParticipantState.JOINED
                c.remotes[ident] = new
                out.append(E.ParticipantConnected(participant=ident))
            k = c.remotes[ident]
            self._changes(c, k, p, local=False)
            if k.state is not p.state:
                k.state = p.state
                if p.state is ParticipantState.ACTIVE:
                    out.append(E.ParticipantActive(participant=ident))
            for sid in list(k.tracks):
                if sid not in p.tracks:
                    kt = k.tracks.pop(sid)
                    if kt.subscribed or kt.stale:
                        out.append(E.TrackUnsubscribed(participant=ident, track_sid=sid))
                    out.append(E.TrackUnpublished(participant=ident, track_sid=sid))
            for t in p.tracks.values() if p.state is ParticipantState.ACTIVE else ():
                if t.sid not in k.tracks:
                    kt = _KnownTrack(name=t.name, kind=t.kind, source=t.source, muted=t.muted)
                    k.tracks[t.sid] = kt
                    out.append(E.TrackPublished(participant=ident, track_sid=t.sid))
                    if _subscribed(me, p, t):
                        kt.subscribed = True
                        out.append(E.TrackSubscribed(participant=ident, track_sid=t.sid))
                    elif _permission_status(me, p, t) is False:
                        kt.denied = True
                        out.append(
                            E.TrackSubscriptionPermissionChanged(
                                participant=ident, track_sid=t.sid, allowed=False
                            )
                        )
                elif k.tracks[t.sid].muted != t.muted:
                    k.tracks[t.sid].muted = t.muted
                    cls = E.TrackMuted if t.muted else E.TrackUnmuted
                    out.append(cls(participant=ident, track_sid=t.sid))
        # subscriptions: per publisher (join order), per track (publish order); a re-grant is
        # announced before the subscription, a revocation after it (server §6)
        for ident, k in c.remotes.items():
            p = visible[ident]
            for sid, kt in k.tracks.items():
                t = p.tracks[sid]
                sub = _subscribed(me, p, t)
                status = _permission_status(me, p, t)
                if status is True and kt.denied:
                    kt.denied = False
                    out.append(
                        E.TrackSubscriptionPermissionChanged(
                            participant=ident, track_sid=sid, allowed=True
                        )
                    )
                if sub != kt.subscribed:
                    kt.subscribed = sub
                    if sub:
                        kt.denied = False
                        if kt.stale:  # livekit.rtc replaces the stale track (client §16.1)
                            kt.stale = False
                            out.append(E.TrackUnsubscribed(participant=ident, track_sid=sid))
                        out.append(E.TrackSubscribed(participant=ident, track_sid=sid))
                    else:
                        kt.paused = False
                        if (c.sid, sid) in self._own_off:
                            out.append(E.TrackUnsubscribed(participant=ident, track_sid=sid))
                        else:  # the server ended it: livekit.rtc never hears (§16.1)
                            kt.stale = True
                if status is False and not kt.denied:
                    kt.denied = True
                    out.append(
                        E.TrackSubscriptionPermissionChanged(
                            participant=ident, track_sid=sid, allowed=False
                        )
                    )

    def _changes(self, c: _Client, k: _Known, p: _Person, *, local: bool) -> None:
        """Name, metadata, attributes, permission: in the SDK's order (client §4.4 a-d)."""
        out = c.events
        if k.name != p.name:
            out.append(
                E.ParticipantNameChanged(participant=p.identity, old_name=k.name, new_name=p.name)
            )
            k.name = p.name
        if k.metadata != p.metadata:
            out.append(
                E.ParticipantMetadataChanged(
                    participant=p.identity, old_metadata=k.metadata, new_metadata=p.metadata
                )
            )
            k.metadata = p.metadata
        changed = _diff_attributes(k.attributes, p.attributes)
        if changed:
            out.append(
                E.ParticipantAttributesChanged(
                    participant=p.identity, changed_attributes=MappingProxyType(changed)
                )
            )
            k.attributes = dict(p.attributes)
        if k.permission != p.permission:
            out.append(
                E.ParticipantPermissionsChanged(
                    participant=p.identity, old_permissions=k.permission, permissions=p.permission
                )
            )
            k.permission = p.permission


def _snapshot(
    sid: str,
    identity: str,
    name: str,
    metadata: str,
    attributes: Mapping[str, str],
    kind: ParticipantKind,
    kind_details: tuple[KindDetail, ...],
    state: ParticipantState,
    permission: Permission,
    joined_at: float,
    reason: DisconnectReason | None,
    pubs: Mapping[str, PublicationSnapshot],
) -> ParticipantSnapshot:
    from roomsim.model import ConnectionQuality

    return ParticipantSnapshot(
        sid=sid,
        identity=identity,
        name=name,
        metadata=metadata,
        attributes=MappingProxyType(dict(attributes)),
        kind=kind,
        kind_details=kind_details,
        state=state,
        permission=permission,
        joined_at=joined_at,
        disconnect_reason=reason,
        track_publications=MappingProxyType(dict(pubs)),
        connection_quality=ConnectionQuality.UNKNOWN,
        is_speaking=False,
        audio_level=0.0,
    )


def participant_fields(p: ParticipantSnapshot) -> tuple[Any, ...]:
    """The fields the reference model decides, for comparing snapshots.

    Connection quality and speaking are left out: the model does not cover them.
    """
    return (
        p.sid,
        p.identity,
        p.name,
        p.metadata,
        dict(p.attributes),
        p.kind,
        p.kind_details,
        p.state,
        p.permission,
        p.joined_at,
        p.disconnect_reason,
        [
            (s, t.name, t.kind, t.source, t.muted, t.subscribed, t.stream_state, t.allowed)
            for s, t in p.track_publications.items()
        ],
    )
