"""``Room``: the facade over one room's server, fact log and time.

A verb builds a mutation and calls ``apply``, which checks it completely (``_apply``), commits
it (``_server``), logs it (``_time``), then delivers to the clients with handlers (``_log``).
Reading a client folds the facts it has not read (``client.py``, ``_project``).  This module
holds no room logic of its own; ``docs/design.md`` has the map of the layers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, final

import attrs

from roomsim import _fork, _time, mutations
from roomsim import _validate as checks
from roomsim._apply import APPLIERS
from roomsim._log import FactLog
from roomsim._records import ParticipantRecord, is_subscribed
from roomsim._server import Server
from roomsim._views import ReadOnlySeq, SnapshotMap
from roomsim.client import Client
from roomsim.clock import ManualClock
from roomsim.config import RoomConfig
from roomsim.errors import (
    HandlerError,
    InvalidArgument,
    InvalidType,
    LimitExceeded,
    RoomClosed,
    broken,
)
from roomsim.model import (
    EMPTY_MAP,
    ConnectionQuality,
    KindDetail,
    ParticipantKind,
    ParticipantSnapshot,
    Permission,
    PublicationSnapshot,
    StreamState,
)
from roomsim.snapshot import RoomSnapshot
from roomsim.webhooks import Webhook

__all__ = ["Room", "RoomStatistics"]

log = logging.getLogger("roomsim")


@final
@attrs.frozen(kw_only=True)
class RoomStatistics:
    """Counts that describe a room's size and its fact log (trio's ``statistics()``)."""

    #: facts committed since the room was made (the log's end position)
    facts_committed: int
    #: facts still kept (not yet read by every client)
    facts_kept: int
    #: current sessions
    participants: int
    #: clients ever connected (ended ones included)
    clients: int
    #: mutations in ``room.log``
    mutations_logged: int


@final
class Room:
    """One LiveKit room: the server's truth, and the clients connected to it.

    >>> from roomsim import Room
    >>> room = Room("standup")
    >>> alice = room.connect("alice")
    >>> bob = room.connect("bob")
    >>> [e.name for e in alice.drain()]
    ['participant_connected', 'participant_active']
    """

    __slots__ = ("__weakref__", "_depth", "_facts", "_server", "_time")

    def __init__(
        self,
        name: str = "room",
        *,
        config: RoomConfig | None = None,
        clock: ManualClock | None = None,
        keep_log: bool = True,
    ) -> None:
        checks.check_str(name, "Room(name=...)")
        if not name:
            raise InvalidArgument("Room(name=...) must be a non-empty str")
        if config is None:
            config = RoomConfig()
        elif not isinstance(config, RoomConfig):
            raise InvalidType(
                f"Room(config=...) must be a RoomConfig, got {config!r} "
                f"(type {type(config).__name__})"
            )
        if checks.nbytes(name) > 256:
            raise LimitExceeded(
                f"the room name is {checks.nbytes(name)} bytes (UTF-8), over LiveKit's fixed "
                "limit of 256 (max_room_name_length); shorten it",
                code="invalid_argument",
            )
        if clock is None:
            clock = ManualClock()
        elif not isinstance(clock, ManualClock):
            raise InvalidType(
                f"Room(clock=...) must be a ManualClock, got {clock!r} "
                f"(type {type(clock).__name__})"
            )
        checks.check_bool(keep_log, "Room(keep_log=...)")
        self._facts = FactLog()
        self._server = Server(name, config, clock, self._facts, self._open_session)
        self._time = _time.Timekeeper(
            self._server, self._facts, keep_log=keep_log, room_advance=self.advance
        )
        self._depth = 0
        clock._attach(self._time)
        self._server.webhook("room_started")
        self._server.schedule_close_check(self._server.created_at + config.empty_timeout)

    def _open_session(self, rec: ParticipantRecord, keep_events: bool) -> Client:
        client = Client._create(self, self._server, self._facts, rec, keep_events)
        self._facts.add_reader(client)
        return client

    # ----------------------------------------------------------------------------------------
    # reads

    @property
    def name(self) -> str:
        return self._server.name

    @property
    def sid(self) -> str:
        return self._server.sid

    @property
    def config(self) -> RoomConfig:
        return self._server.config

    @property
    def clock(self) -> ManualClock:
        return self._server.clock

    @property
    def now(self) -> float:
        """The room's virtual time in seconds."""
        return self._server.now()

    @property
    def closed(self) -> bool:
        return self._server.closed

    @property
    def keep_log(self) -> bool:
        """Whether the room keeps its mutation log (``Room(keep_log=False)`` for soaks)."""
        return self._time.keep_log

    @property
    def created_at(self) -> float:
        """The virtual time the room was created at."""
        return self._server.created_at

    @property
    def metadata(self) -> str:
        return self._server.metadata

    @property
    def participants(self) -> Mapping[str, ParticipantSnapshot]:
        """identity -> snapshot of every current session (the server's truth), in join order."""
        return SnapshotMap(self._server.records, ParticipantRecord.snapshot)

    @property
    def departed(self) -> Sequence[ParticipantSnapshot]:
        """Final snapshots of the sessions that left, in leave order."""
        return ReadOnlySeq(self._server.departed)

    @property
    def clients(self) -> Mapping[str, Client]:
        """identity -> the current ``Client`` of each session."""
        return MappingProxyType(self._server.sessions)  # type: ignore[arg-type]

    @property
    def webhooks(self) -> Sequence[Webhook]:
        """The webhook events the room sent, in order (server §10)."""
        return ReadOnlySeq(self._server.webhooks)

    @property
    def log(self) -> Sequence[mutations.Mutation]:
        """Every mutation applied, in order (nested ones included); empty with keep_log=False."""
        return ReadOnlySeq(self._time.mutations)

    @property
    def all_clients(self) -> tuple[Client, ...]:
        """Every client ever connected to this room (ended sessions too), in join order."""
        return tuple(self._clients_ever())

    def is_subscribed(self, identity: str, track_sid: str) -> bool:
        """Whether the server has ``identity`` subscribed to ``track_sid`` now (the server's
        truth; a client learns it through its events)."""
        server = self._server
        sub = server.lookup(identity)
        pub, t = server.find_track(track_sid)
        return is_subscribed(sub, pub, t)

    def statistics(self) -> RoomStatistics:
        """The room's counts: facts committed and kept, participants, clients, mutations."""
        return RoomStatistics(
            facts_committed=self._facts.end,
            facts_kept=self._facts.kept,
            participants=len(self._server.records),
            clients=len(self._facts.readers),
            mutations_logged=len(self._time.mutations),
        )

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<Room {self.name!r} {state}, {len(self._server.records)} participant(s)>"

    # ----------------------------------------------------------------------------------------
    # verbs (each builds a mutation and applies it)

    def connect(
        self,
        identity: str,
        *,
        name: str = "",
        metadata: str = "",
        attributes: Mapping[str, str] | None = None,
        kind: ParticipantKind = ParticipantKind.STANDARD,
        kind_details: Sequence[KindDetail] = (),
        permission: Permission | None = None,
        active: bool = True,
        auto_subscribe: bool | None = None,
        keep_events: bool = True,
    ) -> Client:
        """A participant joins with these token claims and gets its ``Client``.

        A refused join (room full, closed room, bad identity) raises and changes nothing.
        An identity already in the room replaces that session (DUPLICATE_IDENTITY).
        """
        if isinstance(kind_details, list | tuple):
            kind_details = tuple(kind_details)
        client: Client = self.apply(
            mutations.Connect(
                identity=identity,
                name=name,
                metadata=metadata,
                attributes=freeze_map(attributes) if attributes is not None else EMPTY_MAP,
                kind=kind,
                kind_details=kind_details,  # type: ignore[arg-type]
                permission=permission if permission is not None else Permission(),
                active=active,
                auto_subscribe=auto_subscribe,
                keep_events=keep_events,
            )
        )
        return client

    def update_participant(
        self,
        identity: str,
        *,
        name: str | None = None,
        metadata: str | None = None,
        attributes: Mapping[str, str] | None = None,
        permission: Permission | None = None,
    ) -> ParticipantSnapshot:
        """Server API ``UpdateParticipant``: no grant needed; returns the updated snapshot."""
        self.apply(
            mutations.UpdateParticipant(
                identity=identity,
                name=name,
                metadata=metadata,
                attributes=freeze_map(attributes) if attributes is not None else None,
                permission=permission,
            )
        )
        return self._server.records[identity].snapshot()

    def remove_participant(self, identity: str) -> None:
        """Server API ``RemoveParticipant``: the session ends with PARTICIPANT_REMOVED."""
        self.apply(mutations.RemoveParticipant(identity=identity))

    def update_room_metadata(self, metadata: str) -> None:
        """Server API ``UpdateRoomMetadata``."""
        self.apply(mutations.UpdateRoomMetadata(metadata=metadata))

    def mute_published_track(
        self, identity: str, track_sid: str, muted: bool
    ) -> PublicationSnapshot | None:
        """Server API ``MutePublishedTrack``; None (and no change) if the track is unknown."""
        result: PublicationSnapshot | None = self.apply(
            mutations.MutePublishedTrack(identity=identity, track_sid=track_sid, muted=muted)
        )
        return result

    def update_subscriptions(
        self, identity: str, *, track_sids: Sequence[str], subscribe: bool
    ) -> None:
        """Server API ``UpdateSubscriptions``: set what ``identity`` wants of these tracks."""
        if isinstance(track_sids, list):
            track_sids = tuple(track_sids)
        self.apply(
            mutations.UpdateSubscriptions(
                identity=identity,
                track_sids=track_sids,  # type: ignore[arg-type]
                subscribe=subscribe,
            )
        )

    def send_data(
        self,
        data: bytes | str,
        *,
        topic: str | None = None,
        reliable: bool = True,
        destination_identities: Sequence[str] = (),
    ) -> None:
        """Server API ``SendData``: receivers see ``participant=None``."""
        self.apply(
            mutations.send_data_mutation(None, data, topic, reliable, destination_identities)
        )

    def advance(self, dt: float) -> None:
        """Let ``dt`` virtual seconds pass: every timer that falls due runs, in time order.

        Rooms sharing this room's clock advance too, their timers interleaved by (time, room
        creation).  Works on a closed room (time passes; nothing else happens).
        """
        self.apply(mutations.Advance(dt=dt))

    def set_audio_levels(self, levels: Mapping[str, float]) -> None:
        """The media layer's audio levels, linear in [0, 1] as the server's level is; sticky
        until changed.  Speaker updates go out on the next 400 ms tick (server §7)."""
        self.apply(mutations.SetAudioLevels(levels=freeze_map(levels)))

    def set_connection_quality(self, identity: str, quality: ConnectionQuality) -> None:
        """The network's view of a participant's connection; clients hear of it on the next
        quality update (``RoomConfig.quality_interval``, 5 s; 0 = at once; server §8)."""
        self.apply(mutations.SetConnectionQuality(identity=identity, quality=quality))

    def delete(self) -> None:
        """Server API ``DeleteRoom``: everyone leaves with ROOM_DELETED and the room closes."""
        self.apply(mutations.DeleteRoom())

    def set_stream_state(self, identity: str, track_sid: str, state: StreamState) -> None:
        """The network pauses or resumes a video track ``identity`` is subscribed to."""
        self.apply(mutations.SetStreamState(identity=identity, track_sid=track_sid, state=state))

    # ----------------------------------------------------------------------------------------
    # apply

    def apply(self, mutation: mutations.Mutation) -> Any:
        """Validate ``mutation`` completely, commit it, then deliver to clients with handlers.

        A mutation that raises (any error but ``HandlerError``) leaves the room, its log and
        every client exactly as they were.  Returns the mutation's result (``Client`` for
        ``Connect``, the track sid for ``PublishTrack``, ...).
        """
        kind = type(mutation)
        if kind is mutations.Advance:
            applier: Any = None
        else:
            applier = APPLIERS.get(kind)
            if applier is None:
                raise InvalidType(
                    "Room.apply() takes a roomsim mutation (roomsim.mutations), got "
                    f"{mutation!r} (type {kind.__name__})"
                )
            if self._server.closed:
                raise RoomClosed(
                    f"can't apply {kind.__name__} to room {self.name!r}: the room is closed; "
                    "make a new Room (LiveKit creates a new room on the next join)"
                )
        self._depth += 1
        try:
            if applier is None:
                _time.advance(self._time, mutation)  # type: ignore[arg-type]
                result = None
            else:
                result = applier(self._server, mutation)
                self._time.record(mutation)
        finally:
            self._depth -= 1
        facts = self._facts
        if self._depth == 0 and not facts.dispatching:
            # the outermost verb delivers and reports; a verb a handler calls only commits
            facts.dispatch()
            self._raise_failures()
            facts.maybe_trim()
        return result

    def _raise_failures(self) -> None:
        failures = self._facts.take_failures()
        if not failures:
            return
        if self.config.handler_errors == "raise":
            raise HandlerError(failures)
        for f in failures:
            log.error(
                "handler of client %r raised while handling %r",
                f.client,
                f.event,
                exc_info=(type(f.exception), f.exception, f.exception.__traceback__),
            )

    # ----------------------------------------------------------------------------------------
    # snapshots and forks

    def snapshot(self) -> RoomSnapshot:
        """The whole state as a value: the room, its log, every client's view and queue.

        Reading a snapshot reads every client (so it folds what they have not read yet);
        two snapshots compare with ``==``.
        """
        clients = [c._snapshot() for c in self._clients_ever()]
        return _fork.take(self._server, self._time, clients)

    def _clients_ever(self) -> list[Client]:
        return self._facts.readers  # type: ignore[return-value]

    @classmethod
    def from_snapshot(cls, snapshot: RoomSnapshot, *, clock: ManualClock | None = None) -> Room:
        """A new room in the state ``snapshot`` describes: a fork of the room it was taken of.

        The fork and the original give the same events for the same mutations.  Handlers are
        functions, not state: the fork's clients have none.  The fork gets its own clock at the
        snapshot's time unless ``clock`` (standing at that time) is given.
        """
        if not isinstance(snapshot, RoomSnapshot):
            raise InvalidType(
                f"Room.from_snapshot() takes a RoomSnapshot (room.snapshot()), got "
                f"{type(snapshot).__name__}"
            )
        if clock is None:
            clock = ManualClock(snapshot.time)
        elif not isinstance(clock, ManualClock) or clock.now != snapshot.time:
            raise InvalidArgument(
                f"Room.from_snapshot(clock=...) needs a ManualClock standing at the snapshot's "
                f"time {snapshot.time!r}"
            )
        room = cls(snapshot.name, config=snapshot.config, clock=clock, keep_log=snapshot.keep_log)
        server = room._server
        _fork.restore(server, room._time, snapshot)
        readers: list[Client] = []
        for cs in snapshot.clients:
            client = Client._restore(room, server, room._facts, cs)
            readers.append(client)
            if not client._gone:
                server.sessions[client.identity] = client
        room._facts.restore_readers(readers)  # type: ignore[arg-type]
        return room

    # ----------------------------------------------------------------------------------------
    # invariants

    def _check(self) -> None:
        """Raise ``InternalError`` if a private invariant of the room or a client breaks
        (O(size); ``roomsim.testing.check_invariants`` calls it)."""
        server = self._server
        sids: set[str] = set()
        last_seq = 0
        owners: dict[str, str] = {}
        for identity, rec in server.records.items():
            if rec.identity != identity:
                broken("a record is filed under another identity", key=identity)
            if rec.sid in sids:
                broken("two sessions share a sid", sid=rec.sid)
            sids.add(rec.sid)
            if rec.seq <= last_seq:
                broken("participants are not in join order", identity=identity, seq=rec.seq)
            last_seq = rec.seq
            for sid, t in rec.tracks.items():
                if t.sid != sid or t.closing:
                    broken("a track record is stale or filed wrongly", identity=identity, sid=sid)
                owners[sid] = identity
            if bool(rec.tracks) != (rec.seq in server.publishers):
                broken("the publisher index disagrees with the tracks", identity=identity)
        if owners != server.track_owner:
            broken("the track owner index disagrees with the records", index=server.track_owner)
        counted = sum(1 for r in server.records.values() if not r.dependent)
        if counted != server.counted:
            broken("the count of counted sessions is wrong", counted=counted, kept=server.counted)
        for identity, client in server.sessions.items():
            if client.identity != identity:
                broken("a current client is filed under another identity", identity=identity)
        for client in self._clients_ever():
            client._check()


def freeze_map(m: Any) -> Any:
    """A read-only copy of a mapping (anything else is passed on, for ``apply`` to refuse)."""
    if isinstance(m, Mapping) and not isinstance(m, MappingProxyType):
        return MappingProxyType(dict(m))
    return m
