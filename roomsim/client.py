"""``Client``: one participant's SDK view of a room, and its actions.

A client holds a cursor into its room's fact log and folds facts into events when it is read
(lazy delivery).  A client with handlers is folded during dispatch instead, so its handlers run
right after each commit.  Either way the events are the same.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar, final, overload

from roomsim import _facts as facts
from roomsim import _fork, _fork_views, _join, mutations
from roomsim._apply.audio import open_tap, push_audio_mutation
from roomsim._audio import AudioTap
from roomsim._client_events import EventsView
from roomsim._client_rpc import PeerVerbs
from roomsim._handlers import Handler, check_handler, event_name
from roomsim._log import Backlog, FactLog
from roomsim._profiles import PROFILES
from roomsim._project import PROJECTORS, View, project
from roomsim._project_faults import FAULTS as _FAULT_FACTS  # noqa: F401 (registers them)
from roomsim._records import ParticipantRecord, is_subscribed, permission_state
from roomsim._server import Server
from roomsim._views import SnapshotMap
from roomsim.config import NEVER, history_limit
from roomsim.errors import (
    ClientDisconnected,
    HandlerFailure,
    IllegalState,
    InvalidArgument,
    broken,
)
from roomsim.events import Event
from roomsim.model import (
    EMPTY_MAP,
    ConnectionQuality,
    ConnectionState,
    DisconnectReason,
    ParticipantSnapshot,
    ParticipantState,
    PublicationSnapshot,
    StreamState,
    TrackKind,
    TrackSource,
)
from roomsim.snapshot import ClientSnapshot

if TYPE_CHECKING:
    from roomsim.room import Room

__all__ = ["Client"]

#: the facts that may end a client's session (``_fold`` reads their reason)
_ENDS = frozenset({facts.Left, facts.GaveUp})
#: the facts ``_fold`` reads beyond what ``project`` does
_CLIENT_FACTS = _ENDS | {facts.Interrupted, facts.RoomMetadata}

_H = TypeVar("_H", bound=Handler)


@final
class Client(PeerVerbs):
    """One participant session as its SDK sees the room.

    Made only by ``Room.connect``.  Reads (``events``, ``remote_participants``, ...) show the
    room as this client's SDK would; verbs are checked as the LiveKit server checks a client.
    """

    __slots__ = (
        "__weakref__",
        "_backlog",
        "_cursor",
        "_dropped",
        "_events",
        "_facts",
        "_gone",
        "_handlers",
        "_keep",
        "_reason",
        "_room",
        "_room_metadata",
        "_seq",
        "_server",
        "_taken",
        "_trim_at",
        "_unread",
        "_view",
        "identity",
        "sdk",
        "sid",
    )

    identity: str
    sid: str
    #: the SDK this client imitates, ``"python"`` or ``"js"`` (``Room.connect(sdk=...)``)
    sdk: str
    _room: Room
    _server: Server
    _facts: FactLog
    _view: View
    _cursor: int
    #: the server ended the session (verbs are refused); the client learns it when it folds
    #: its ``Left`` fact (``_view.ended``)
    _gone: bool
    #: an ended session's unread facts, taken from the log so that the log can trim them
    _backlog: Backlog | None
    _reason: DisconnectReason | None
    _keep: bool
    _events: list[Event]
    _taken: int
    _dropped: int
    #: the history's length at which its oldest events are dropped (``_trim``)
    _trim_at: int
    _unread: deque[Event]
    _handlers: dict[str, list[Handler]]
    _seq: int
    _room_metadata: str

    def __init__(self) -> None:
        raise TypeError("Client objects are made by Room.connect(); call room.connect(identity)")

    @classmethod
    def _create(
        cls,
        room: Room,
        server: Server,
        log: FactLog,
        rec: ParticipantRecord,
        keep_events: bool,
        sdk: str,
    ) -> Client:
        self = object.__new__(cls)
        self._room = room
        self._server = server
        self._facts = log
        self._view = View(rec, PROFILES[sdk])
        self.sdk = sdk
        self._cursor = log.end
        self._gone = False
        self._backlog = None
        self._reason = None
        self._keep = keep_events
        self._events = []
        self._taken = self._dropped = 0
        self._trim_at = history_limit(server.config.keep_events) if keep_events else NEVER
        self._unread = deque()
        self._handlers = {}
        self._peer = None
        self._seq = rec.seq
        self._room_metadata = server.metadata
        self.identity = rec.identity
        self.sid = rec.sid
        return self

    # ----------------------------------------------------------------------------------------
    # delivery: the log's reader protocol (roomsim._log.Reader) and the server's session end

    @property
    def cursor(self) -> int:
        return self._cursor

    @property
    def order(self) -> int:
        return self._seq

    @property
    def _ended(self) -> bool:
        """Whether this client has folded the end of its session."""
        return self._view.ended

    def _fold(self, f: facts.Fact) -> Iterable[Event]:
        """Start folding the fact at the cursor: the events, one at a time, as they are taken."""
        kind = type(f)
        if kind is facts.Interrupted:
            self._view.note(f, self._cursor)
        self._cursor += 1
        if kind in _ENDS:
            if self._view.ends_with(f):  # type: ignore[arg-type]
                self._reason = f.reason  # type: ignore[attr-defined]
        elif kind is facts.RoomMetadata:
            self._room_metadata = f.new  # type: ignore[attr-defined]
        return project(self._view, f)

    def catch_up(self, upto: int) -> None:
        """Fold facts up to ``upto`` (exclusive) without calling handlers."""
        view = self._view
        log: FactLog | Backlog = self._facts if self._backlog is None else self._backlog
        store = self._events if self._keep else self._unread
        fold = self._fold
        for f in log.between(self._cursor, upto):
            if view.ended:
                break
            kind = type(f)
            if kind in _CLIENT_FACTS or view.held is not None or view.restarting:
                store.extend(fold(f))
            else:  # ``_fold`` and ``project`` in one, for the facts only ``project`` reads
                self._cursor += 1
                a = f.after
                if a is not None and a.sid == view.sid:
                    view.me = a
                store.extend(PROJECTORS[kind](view, f))
            if len(store) >= self._trim_at:
                self._trim()
        if self._backlog is not None and view.ended:
            self._backlog = None  # read to its end: nothing more to keep

    def _sync(self) -> None:
        if not self._handlers and not self._view.ended and self._cursor < self._facts.end:
            self._room._check_thread()
            self.catch_up(self._facts.end)

    def pinned(self) -> int | None:
        if self._gone and not self._handlers and self._backlog is None:
            self._detach()
        return None if self._ended or self._backlog is not None else self._view.at(self._cursor)

    def _detach(self) -> None:
        """A session that ended: keep its unread facts apart (references, not events), so it
        pins nothing and is never caught up inside another verb; it folds them when read."""
        if not self._view.ended and self.sid not in self._server.interrupted:
            self._backlog = self._facts.backlog(self._cursor, self._facts.end)

    def deliver(self, f: facts.Fact, failures: list[HandlerFailure]) -> None:
        if self._ended:
            return
        handlers = self._handlers
        store = self._events if self._keep else self._unread
        # each event is taken from the projection only when the handlers of the one before
        # have run: a handler sees the state right after its own event
        for e in self._fold(f):
            store.append(e)
            hs = handlers.get(e.name)
            if hs:
                for h in tuple(hs):
                    try:
                        h(e)
                    except (KeyboardInterrupt, SystemExit):
                        raise
                    except BaseException as exc:  # pytest.skip() too: every handler runs
                        failures.append(HandlerFailure(self.identity, e, exc))
        if len(store) >= self._trim_at:
            self._trim()
        self._receive_peer(f, failures)  # RPC invocations and streams (rpc-and-streams §6, §9)
        if self._view.ended:
            # its session is over: dispatch has nothing more for it
            self._facts.make_lazy(self)

    def _trim(self) -> None:
        """Drop the oldest events of the history beyond ``RoomConfig.keep_events``, in batches
        (amortised O(1) per event); ``next_event()`` resumes at the oldest event kept."""
        keep = self._server.config.keep_events
        drop = len(self._events) - keep
        del self._events[:drop]
        self._dropped += drop
        self._taken = max(0, self._taken - drop)
        self._trim_at = history_limit(keep)

    def session_ended(self, reason: DisconnectReason) -> None:
        self._gone = True
        if not self._handlers:
            self._detach()
        self._facts.retire(self._server.config.keep_ended_clients, self)

    def session_rejoined(self) -> None:
        """The server closed the session while this client was away, and it joins again
        (faults §4.3): it is a current session's client once more."""
        self._gone = False
        self._facts.unretire()

    def _check_live(self, verb: str) -> None:
        if self._gone:
            raise ClientDisconnected(
                f"client {self.identity!r} ({self.sid}) can't {verb}: its session has ended; "
                "connect again with room.connect()",
                code="DISCONNECTED",
            )

    # ----------------------------------------------------------------------------------------
    # events

    @property
    def events(self) -> Sequence[Event]:
        """The events this client received, oldest first (read-only, no copy per access): every
        one, or the newest ``RoomConfig.keep_events`` in a long run (docs/howto/long-runs.md)."""
        if not self._keep:
            raise IllegalState(
                f"client {self.identity!r} keeps no history (connected with keep_events=False); "
                "use next_event() or drain()"
            )
        return EventsView(self)

    @property
    def events_dropped(self) -> int:
        """How many of the oldest events ``RoomConfig.keep_events`` dropped from ``events``."""
        self._sync()
        return self._dropped

    def next_event(self) -> Event | None:
        """The oldest event not yet taken by ``next_event()``/``drain()``, or None."""
        self._sync()
        if self._keep:
            if self._taken < len(self._events):
                e = self._events[self._taken]
                self._taken += 1
                return e
            return None
        return self._unread.popleft() if self._unread else None

    def drain(self) -> tuple[Event, ...]:
        """Every event not yet taken, oldest first."""
        self._sync()
        if self._keep:
            out = tuple(self._events[self._taken :])
            self._taken = len(self._events)
            return out
        out = tuple(self._unread)
        self._unread.clear()
        return out

    def _unread_events(self) -> tuple[Event, ...]:
        if self._keep:
            return tuple(self._events[self._taken :])
        return tuple(self._unread)

    @overload
    def on(self, event: str | type[Event]) -> Callable[[_H], _H]: ...
    @overload
    def on(self, event: str | type[Event], handler: _H) -> _H: ...
    def on(self, event: str | type[Event], handler: _H | None = None) -> Any:
        """Call ``handler(event)`` for each later event of that name; usable as a decorator.

        Handlers run after the commit that caused the event, in registration order.
        """
        name = event_name(event)
        if handler is None:

            def register(h: _H) -> _H:
                self.on(name, h)
                return h

            return register
        check_handler(name, handler)
        first = not self._handlers
        self._handlers.setdefault(name, []).append(handler)
        if first and not self._view.ended:
            self._facts.make_eager(self)
        return handler

    def off(self, event: str | type[Event], handler: Handler) -> None:
        """Remove a handler ``on()`` registered."""
        name = event_name(event)
        hs = self._handlers.get(name)
        if not hs or handler not in hs:
            raise InvalidArgument(
                f"{handler!r} is not registered for {name!r}; pass the same function you "
                "gave to on()"
            )
        hs.remove(handler)
        if not hs:
            del self._handlers[name]
        if not self._handlers:
            self._facts.make_lazy(self)

    # ----------------------------------------------------------------------------------------
    # state, as this client's SDK knows it

    @property
    def state(self) -> ParticipantState:
        self._sync()
        return ParticipantState.DISCONNECTED if self._ended else self._view.me.state

    @property
    def connection_state(self) -> ConnectionState:
        self._sync()
        return self._view.connection_state(self._ended)

    @property
    def disconnect_reason(self) -> DisconnectReason | None:
        self._sync()
        return self._reason

    @property
    def room_metadata(self) -> str:
        self._sync()
        return self._room_metadata

    @property
    def active_speakers(self) -> tuple[str, ...]:
        """Identities of the active speakers this client knows (merged), loudest first."""
        self._sync()
        ranked = sorted(self._view.speakers.items(), key=lambda kv: -kv[1])  # stable
        return tuple(identity for identity, _ in ranked)

    @property
    def local_participant(self) -> ParticipantSnapshot:
        self._sync()
        me = self._view.me
        pubs = {t.sid: t.snapshot() for t in me.tracks.values()}
        pubs.update(self._view.ghosts)  # unpublished by the server, unknown to Python (§16.2)
        return self._snapshot_of(me, MappingProxyType(pubs), local=True)

    @property
    def remote_participants(self) -> Mapping[str, ParticipantSnapshot]:
        """identity -> snapshot of each other participant this client knows, in join order."""
        self._sync()
        if self._ended:
            return EMPTY_MAP
        records = _fork_views.known_records(
            self._view, self._facts, self._cursor, self._server.records
        )
        me = self._view.me
        visible = {k: r for k, r in records.items() if r.sid != me.sid and not r.permission.hidden}
        return SnapshotMap(visible, self._remote_snapshot, f"known to {self.identity!r}")

    def _remote_snapshot(self, rec: ParticipantRecord) -> ParticipantSnapshot:
        v = self._view
        pubs = {}
        # a held (JOINED) participant's tracks are not announced yet (client §16.14)
        tracks = rec.tracks.values() if rec.state is ParticipantState.ACTIVE else ()
        for t in tracks:
            # a Python SDK still shows a subscription the server ended (client §16.1)
            on = t.sid in v.subs or t.sid in v.stale
            if t.sid in v.paused:
                stream = StreamState.PAUSED
            elif on and t.kind is TrackKind.VIDEO:
                stream = StreamState.ACTIVE
            else:
                stream = StreamState.UNKNOWN
            pubs[t.sid] = PublicationSnapshot(
                sid=t.sid,
                name=t.name,
                kind=t.kind,
                source=t.source,
                muted=t.muted,
                subscribed=on,
                stream_state=stream,
                allowed=t.sid not in v.denied,
            )
        return self._snapshot_of(rec, MappingProxyType(pubs), local=False)

    def _snapshot_of(
        self, rec: ParticipantRecord, pubs: Mapping[str, PublicationSnapshot], *, local: bool
    ) -> ParticipantSnapshot:
        ended = local and self._ended
        v = self._view
        return ParticipantSnapshot(
            sid=rec.sid,
            identity=rec.identity,
            name=rec.name,
            metadata=rec.metadata,
            attributes=rec.attributes,
            kind=rec.kind,
            kind_details=rec.kind_details,
            state=ParticipantState.DISCONNECTED if ended else rec.state,
            permission=rec.permission,
            joined_at=rec.joined_at,
            disconnect_reason=self._reason if ended else None,
            track_publications=pubs,
            connection_quality=v.quality.get(rec.identity, ConnectionQuality.UNKNOWN),
            is_speaking=rec.identity in v.speakers,
            audio_level=v.speakers.get(rec.identity, 0.0),
        )

    def _snapshot(self) -> ClientSnapshot:
        self._sync()
        return ClientSnapshot(
            identity=self.identity,
            sid=self.sid,
            keep_events=self._keep,
            sdk=self.sdk,
            connection_state=self.connection_state,
            disconnect_reason=self._reason,
            events=tuple(self._events),
            unread=self._unread_events(),
            local_participant=self.local_participant,
            remote_participants=tuple(self.remote_participants.values()),
            active_speakers=self.active_speakers,
            room_metadata=self._room_metadata,
            handlers=sum(len(h) for h in self._handlers.values()),
            view=_fork_views.value(
                self._view, self._gone, self._facts, self._cursor, self._server.records
            ),
        )

    @classmethod
    def _restore(cls, room: Room, server: Server, log: FactLog, snap: ClientSnapshot) -> Client:
        """The client a snapshot describes, caught up with its room (``Room.from_snapshot``)."""
        cv = snap.view
        self = cls._create(room, server, log, _fork.record_of(cv.me), snap.keep_events, snap.sdk)
        _fork_views.restore(self._view, cv, server.records, log.end)
        self._gone = cv.gone
        self._reason = snap.disconnect_reason
        self._room_metadata = snap.room_metadata
        if snap.keep_events:
            self._events = list(snap.events)
            self._taken = len(snap.events) - len(snap.unread)
        else:
            self._unread = deque(snap.unread)
        return self

    def _check(self) -> None:
        """Raise ``InternalError`` if this client's private state disagrees with the server
        (``Room._check`` calls it for every client)."""
        self._sync()
        if self._handlers and not self._ended and self._cursor != self._facts.end:
            broken("a client with handlers was not delivered every fact", client=self.identity)
        if self._ended:
            if self._server.sessions.get(self.identity) is self:
                broken("an ended client is still the current session", client=self.identity)
            return
        if self._view.held is not None:
            return  # reconnecting: its state waits for the resume or the give-up (faults §10)
        records = self._server.records
        me = records.get(self.identity)
        if me is None or me.sid != self.sid:
            broken("a live client has no session", client=self.identity)
        if self._view.me != me:
            broken("a client's own record differs from the server's", client=self.identity)
        v = self._view
        for rec in records.values():
            if rec.sid == me.sid or rec.hidden:
                continue
            for sid, t in rec.tracks.items():
                if (sid in v.subs) != is_subscribed(me, rec, t):
                    broken(
                        "what a client was told of a subscription differs from the server's rule",
                        client=self.identity,
                        track=sid,
                        told=sid in v.subs,
                    )
                if permission_state(me, rec, t) is False and sid not in v.denied:
                    broken(
                        "a wanted but denied track is marked allowed",
                        client=self.identity,
                        track=sid,
                    )

    def __repr__(self) -> str:
        state = "disconnected" if self._gone else "connected"
        return f"<Client {self.identity!r} {self.sid} {self.sdk} {state}>"

    # ----------------------------------------------------------------------------------------
    # actions (each builds a mutation and applies it to the room)

    @property
    def room(self) -> Room:
        """The room this client's session is (or was) in."""
        return self._room

    def _apply(self, verb: str, m: mutations.Mutation) -> Any:
        self._check_live(verb)
        return self._room.apply(m)

    def activate(self) -> None:
        """The media connection comes up: JOINED -> ACTIVE (a second call changes nothing)."""
        self._apply("activate", mutations.Activate(identity=self.identity))

    def disconnect(self) -> None:
        """Leave the room (reason CLIENT_INITIATED)."""
        self._apply("disconnect", mutations.Disconnect(identity=self.identity))

    def set_name(self, name: str) -> None:
        """Rename this participant; needs ``can_update_metadata``; ``""`` changes nothing."""
        self._apply("set_name", mutations.SetName(identity=self.identity, name=name))

    def set_metadata(self, metadata: str) -> None:
        """Set this participant's metadata (needs ``can_update_metadata``; ``""``: no change)."""
        self._apply(
            "set_metadata", mutations.SetMetadata(identity=self.identity, metadata=metadata)
        )

    def set_attributes(self, attributes: Mapping[str, str]) -> None:
        """Merge attributes (``""`` deletes a key); needs ``can_update_metadata``."""
        self._apply(
            "set_attributes", mutations.SetAttributes(identity=self.identity, attributes=attributes)
        )

    def publish_track(
        self, kind: TrackKind, source: TrackSource, *, name: str = "", muted: bool = False
    ) -> str:
        """Publish a media track; returns its sid.  Needs ``can_publish`` and the source."""
        return _join.publish(self, kind, source, name, muted)

    def unpublish_track(self, track_sid: str) -> None:
        """Unpublish one of this participant's tracks."""
        self._apply(
            "unpublish_track", mutations.UnpublishTrack(identity=self.identity, track_sid=track_sid)
        )

    def set_track_muted(self, track_sid: str, muted: bool) -> None:
        """Mute or unmute one of this participant's tracks."""
        self._apply(
            "set_track_muted",
            mutations.SetTrackMuted(identity=self.identity, track_sid=track_sid, muted=muted),
        )

    def set_subscribed(self, publisher: str, track_sid: str, subscribed: bool) -> None:
        """Want (or stop wanting) a remote track; a denied wish stays desired and is retried."""
        self._apply(
            "set_subscribed",
            mutations.SetSubscribed(
                identity=self.identity,
                publisher=publisher,
                track_sid=track_sid,
                subscribed=subscribed,
            ),
        )

    def set_track_subscription_permissions(
        self,
        *,
        all_participants: bool,
        allowed: Mapping[str, Sequence[str] | None] | None = None,
    ) -> None:
        """Say who may subscribe to this participant's tracks; each call replaces the last.

        ``allowed`` maps an identity (present or not yet) to the track sids it may receive,
        or to None for all of them.
        """
        self._apply(
            "set_track_subscription_permissions",
            mutations.SetTrackSubscriptionPermissions(
                identity=self.identity,
                all_participants=all_participants,
                allowed=EMPTY_MAP if allowed is None else allowed,  # type: ignore[arg-type]
            ),
        )

    def send_data(
        self,
        data: bytes | str,
        *,
        topic: str | None = None,
        reliable: bool = True,
        destination_identities: Sequence[str] = (),
    ) -> None:
        """Send a data packet; without ``can_publish_data`` it is dropped silently."""
        self._apply(
            "send_data",
            mutations.send_data_mutation(
                self.identity, data, topic, reliable, destination_identities
            ),
        )

    def push_audio(
        self, track_sid: str, samples: Any, sample_rate: int = 48000, num_channels: int = 1
    ) -> None:
        """Queue int16 PCM (bytes, ``array('h')``, memoryview, numpy) on one of this
        participant's audio tracks; virtual time plays it and speaking follows (audio §9)."""
        m = push_audio_mutation(self.identity, track_sid, samples, sample_rate, num_channels)
        self._apply("push_audio", m)

    def receive_audio(self, track_sid: str) -> AudioTap:
        """The audio this client receives from a subscribed remote audio track (audio §9)."""
        self._check_live("receive_audio")
        return open_tap(self._server, self.identity, track_sid)
