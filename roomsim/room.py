"""``Room``: the facade over one room's server, fact log and time.

A verb builds a mutation and calls ``apply``, which checks it (``_apply``), commits it
(``_server``), logs it (``_time``), delivers to clients with handlers (``_log``); reading a
client folds its unread facts (``_project``).  No room logic lives here (``docs/design.md``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any, final

from roomsim import _fork, _join, _time, mutations
from roomsim import _validate as checks
from roomsim._apply import APPLIERS
from roomsim._handlers import handler_pairs
from roomsim._hot import HOT
from roomsim._log import FactLog
from roomsim._records import ParticipantRecord, is_subscribed
from roomsim._room_faults import FaultVerbs
from roomsim._server import Server
from roomsim._views import ReadOnlySeq, SnapshotMap
from roomsim.client import Client
from roomsim.clock import ManualClock
from roomsim.config import DEFAULT_CONFIG, RoomConfig
from roomsim.errors import (
    HandlerError,
    IllegalState,
    InvalidArgument,
    InvalidType,
    LimitExceeded,
    RoomClosed,
)
from roomsim.events import Event
from roomsim.model import (
    ConnectionQuality,
    KindDetail,
    ParticipantKind,
    ParticipantSnapshot,
    Permission,
    PublicationSnapshot,
    StreamState,
)
from roomsim.snapshot import RoomSnapshot, RoomStatistics
from roomsim.webhooks import Webhook

__all__ = ["Room"]

log = logging.getLogger("roomsim")


@final
class Room(FaultVerbs):
    """One LiveKit room: the server's truth, and the clients connected to it.

    >>> from roomsim import Room
    >>> room = Room("standup")
    >>> alice = room.connect("alice")
    >>> bob = room.connect("bob")
    >>> [e.name for e in alice.drain()]
    ['participant_connected', 'participant_active']
    """

    __slots__ = ("__weakref__", "_depth", "_facts", "_on", "_owner", "_server", "_time")

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
            config = DEFAULT_CONFIG
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
        #: handlers for the client ``connect(on=...)`` is making, registered at its creation
        self._on: list[tuple[str, Any]] = []
        #: the thread that uses this room (``take_over`` hands it to another)
        self._owner = threading.current_thread()
        clock._attach(self._time)
        self._server.webhook("room_started")
        self._server.schedule_close_check(self._server.created_at + config.empty_timeout)

    def _open_session(self, rec: ParticipantRecord, keep_events: bool, sdk: str) -> Client:
        client = Client._create(self, self._server, self._facts, rec, keep_events, sdk)
        self._facts.add_reader(client)
        on, self._on = self._on, []
        for name, handler in on:  # before the join's own facts: they reach these handlers
            client.on(name, handler)
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
        return SnapshotMap(
            self._server.records, ParticipantRecord.snapshot, f"in room {self.name!r}"
        )

    @property
    def departed(self) -> Sequence[ParticipantSnapshot]:
        """Final snapshots of the sessions that left, in leave order."""
        return ReadOnlySeq(self._server.departed)

    @property
    def clients(self) -> Mapping[str, Client]:
        """identity -> the current ``Client`` of each session."""
        sessions: dict[str, Client] = self._server.sessions  # type: ignore[assignment]
        return SnapshotMap(sessions, lambda c: c, f"connected to room {self.name!r}")

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
        """The current clients and the ended ones ``RoomConfig.keep_ended_clients`` keeps."""
        return tuple(self._clients_ever())

    def is_subscribed(self, identity: str, track_sid: str) -> bool:
        """Whether the server has ``identity`` subscribed to ``track_sid`` (server's truth)."""
        server = self._server
        sub = server.lookup(checks.check_identity(identity, "is_subscribed(identity=...)"))
        pub, t = server.find_track(checks.check_str(track_sid, "is_subscribed(track_sid=...)"))
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
        on: Mapping[str | type[Event], Any] | None = None,
        sdk: str = "python",
        client_protocol: int = 2,
    ) -> Client:
        """A participant joins with these token claims and gets its ``Client``.

        A refused join (room full, closed room, bad identity) raises and changes nothing; an
        identity already in the room replaces that session (DUPLICATE_IDENTITY).  ``on``: handlers
        registered before the join's own events, as an app registering before ``connect()``.
        ``sdk``: ``"python"`` (``livekit.rtc``) or ``"js"``; ``client_protocol``: 2, or 0 (legacy).
        """
        self._on = handler_pairs(on) if on is not None else []
        try:
            return _join.connect(
                self,
                identity,
                name,
                metadata,
                attributes,
                kind,
                kind_details,
                permission,
                active,
                auto_subscribe,
                keep_events,
                sdk,
                client_protocol,
            )
        finally:
            self._on = []

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
        snapshot: ParticipantSnapshot = self.apply(
            mutations.UpdateParticipant(
                identity=identity,
                name=name,
                metadata=metadata,
                attributes=attributes,
                permission=permission,
            )
        )
        return snapshot

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

        Rooms on this room's clock advance too, their timers interleaved by (time, room
        creation).  Works on a closed room (time passes; nothing else happens)."""
        self.apply(mutations.Advance(dt=dt))

    def set_audio_levels(self, levels: Mapping[str, float]) -> None:
        """The media layer's audio levels, linear in [0, 1]; sticky; sent on the next 400 ms
        tick (server §7)."""
        self.apply(mutations.SetAudioLevels(levels=levels))

    def set_connection_quality(self, identity: str, quality: ConnectionQuality) -> None:
        """The network's view of a connection, sent on the next quality update (server §8)."""
        self.apply(mutations.SetConnectionQuality(identity=identity, quality=quality))

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
        if (hot := HOT.get(kind := type(mutation))) is not None and hot(self, mutation):
            return None  # a fused update verb did it all (roomsim._hot)
        if threading.current_thread() is not self._owner:
            self._wrong_thread()
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
        # the shapes, once, on a frozen copy: what is checked is what is committed and logged
        mutation = mutation.checked()
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
        self._settle()
        return result

    def _settle(self) -> None:
        """After a commit: the outermost verb delivers and reports; a handler's only commits."""
        facts = self._facts
        if self._depth == 0 and not facts.dispatching:
            facts.dispatch()
            if facts.failures:
                self._raise_failures()
            facts.maybe_trim()

    # ----------------------------------------------------------------------------------------
    # threads: a room belongs to one thread at a time

    def take_over(self) -> None:
        """Hand this room (and its clients) to the calling thread.

        A room is not thread-safe: it checks that its verbs and its clients' reads come from
        the thread that owns it (the one that made it), as sqlite's ``check_same_thread``
        does.  Call this from the thread that uses the room next, once the previous one is
        done with it (for instance after joining that thread).
        """
        self._owner = threading.current_thread()

    def _wrong_thread(self) -> None:
        here, owner = threading.current_thread(), self._owner
        raise IllegalState(
            f"room {self.name!r} belongs to thread {owner.name!r} (ident {owner.ident}) and was "
            f"used from thread {here.name!r} (ident {here.ident}); a room is not thread-safe: "
            "use it and its clients from one thread, or call room.take_over() in the thread "
            "that uses it next",
            code="failed_precondition",
        )

    def _check_thread(self) -> None:
        if threading.current_thread() is not self._owner:
            self._wrong_thread()

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
            raise checks.wrong_type(
                "Room.from_snapshot()", "a RoomSnapshot (room.snapshot())", snapshot
            )
        if clock is None:
            clock = ManualClock(snapshot.time)
        elif not isinstance(clock, ManualClock) or clock.now != snapshot.time:
            raise InvalidArgument(
                f"Room.from_snapshot(clock=...) needs a ManualClock standing at the snapshot's "
                f"time {snapshot.time!r}"
            )
        room = cls(snapshot.name, config=snapshot.config, clock=clock, keep_log=snapshot.keep_log)
        server, log = room._server, room._facts
        try:  # a snapshot is checked as it is restored: a tampered one is refused whole
            _fork.restore(server, room._time, snapshot)
            restore = lambda cs: Client._restore(room, server, log, cs)  # noqa: E731
            _fork.restore_clients(server, log, snapshot, restore)
            room._check()
        except Exception as e:
            clock._detach(room._time)
            raise InvalidArgument(
                f"Room.from_snapshot(): the snapshot is not one room.snapshot() gives "
                f"({type(e).__name__}: {e}); fork from an unmodified snapshot"
            ) from None
        return room

    # ----------------------------------------------------------------------------------------
    # invariants

    def _check(self) -> None:
        """Raise ``InternalError`` if a private invariant of the room or a client breaks
        (O(size); ``roomsim.testing.check_invariants`` calls it)."""
        self._server.check()
        for client in self._clients_ever():
            client._check()
