"""``RoomSnapshot`` and ``ClientSnapshot``: the whole state of a room as one value.

Every field is a public value with a name: participants are ``ParticipantSnapshot`` values plus
the server-side facts about a session no SDK sees (``SessionSnapshot``), and a client's view is
a ``ClientView``.  Two snapshots compare with ``==``; ``Room.from_snapshot`` forks a room from
one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, final

import attrs

from roomsim.config import RoomConfig
from roomsim.events import Event
from roomsim.model import (
    ConnectionQuality,
    ConnectionState,
    DisconnectReason,
    InterruptKind,
    ParticipantSnapshot,
    PublicationSnapshot,
)
from roomsim.mutations import Mutation, SendData

__all__ = [
    "ClientSnapshot",
    "ClientView",
    "InterruptionSnapshot",
    "ReconnectingView",
    "RoomSnapshot",
    "SessionSnapshot",
    "TimerSnapshot",
    "RoomStatistics",
    "RpcCallSnapshot",
]


@final
@attrs.frozen(kw_only=True)
class SessionSnapshot:
    """One session as the server holds it: the public snapshot, and what only the server
    knows (join order, subscription wishes, the publisher's subscription permissions)."""

    participant: ParticipantSnapshot
    #: the session's place in join order (1 for the first session of the room)
    order: int
    #: whether the session subscribes to new tracks by itself (``auto_subscribe``)
    auto_subscribe: bool
    #: explicit wishes as a subscriber: track sid -> wanted
    subscription_wishes: Mapping[str, bool]
    #: the publisher's subscription permissions: everyone, or ``allowed``
    allow_all: bool
    #: identity -> the track sids it may receive (None: all of them)
    allowed: Mapping[str, tuple[str, ...] | None]
    #: the tracks whose publisher was told of a first subscriber (``local_track_subscribed``)
    first_subscribed: tuple[str, ...]


@final
@attrs.frozen(kw_only=True)
class ClientView:
    """What a client's SDK was told, beyond its events (``Room.from_snapshot`` needs it)."""

    #: the client's own session, as of the last fact it folded
    me: SessionSnapshot
    #: whether the client has folded the end of its session
    ended: bool
    #: whether the server ended the session (the client refuses every verb)
    gone: bool
    subscribed: tuple[str, ...]
    denied: tuple[str, ...]
    paused: tuple[str, ...]
    #: identity -> how many of its tracks the client is subscribed to, in first-subscription
    #: order
    publisher_counts: tuple[tuple[str, int], ...]
    #: the merged active-speaker list: (identity, level), in arrival order
    speakers: tuple[tuple[str, float], ...]
    #: the connection qualities the client was told, in arrival order
    qualities: tuple[tuple[str, ConnectionQuality], ...]
    #: tracks the server unsubscribed that a Python SDK still shows subscribed (client §16.1)
    stale: tuple[str, ...] = ()
    #: own tracks the server unpublished that a Python SDK still lists (client §16.2)
    ghosts: tuple[PublicationSnapshot, ...] = ()
    #: while its client reconnects (faults §10): what it holds for the resume
    reconnecting: ReconnectingView | None = None


@final
@attrs.frozen(kw_only=True)
class ReconnectingView:
    """What a reconnecting client holds (faults §10): the room as it knew it at the cut, and
    what it missed since, as the events it emits when it resumes and its view after them."""

    cut: InterruptKind
    #: the sessions as the client knew them at the cut (its own included), in join order
    room: tuple[SessionSnapshot, ...]
    #: the events the resume brings for what the client missed so far, in order
    missed: tuple[Event, ...]
    #: its view once it has emitted them
    after: ClientView


@final
@attrs.frozen(kw_only=True)
class ClientSnapshot:
    """One client: its view of the room, every event it received and those not yet taken."""

    identity: str
    sid: str
    keep_events: bool
    #: the SDK the client imitates (``Room.connect(sdk=...)``); older snapshots: python
    sdk: str = "python"
    connection_state: ConnectionState
    disconnect_reason: DisconnectReason | None
    events: tuple[Event, ...]
    unread: tuple[Event, ...]
    local_participant: ParticipantSnapshot
    remote_participants: tuple[ParticipantSnapshot, ...]
    active_speakers: tuple[str, ...]
    room_metadata: str
    handlers: int
    #: what its SDK was told beyond the above
    view: ClientView = attrs.field(repr=False)


@final
@attrs.frozen(kw_only=True)
class TimerSnapshot:
    """A pending timer of the room."""

    due: float
    #: scheduling order (ties at one time run in this order)
    order: int
    #: "close_check", "join_timeout", "speakers" or "quality"
    kind: str
    #: the session sid of a join timeout; None otherwise
    argument: Any = None


@final
@attrs.frozen(kw_only=True)
class RpcCallSnapshot:
    """An RPC call in flight: the caller's side (``roomsim.rpc.PendingCall``) and the
    callee's (rpc-and-streams §12)."""

    request_id: str
    #: the caller's SDK profile and its timeouts (``roomsim.rpc.RpcTimeouts``)
    sdk: str
    timeouts: Any
    started_at: float
    acked_at: float | None
    #: an answer a Python caller holds until the ack (``roomsim.rpc.RpcAnswer``), or None
    held: Any
    #: the response str or ``RpcError`` once settled, else None
    outcome: Any
    settled_at: float | None
    caller_sid: str
    callee_sid: str | None
    #: the callee's handler has the request; ``answered``: the callee answered (or can't)
    invoked: bool
    answered: bool
    #: whether the callee's answer can reach the caller
    reply: bool
    #: a Python callee's own deadline, or None
    deadline: float | None
    caller_protocol: int


@final
@attrs.frozen(kw_only=True)
class RoomSnapshot:
    """The whole state of a room: compare two with ``==`` (the atomicity tests do)."""

    name: str
    sid: str
    config: RoomConfig
    time: float
    closed: bool
    metadata: str
    keep_log: bool
    #: the current sessions, in join order
    participants: tuple[SessionSnapshot, ...]
    departed: tuple[ParticipantSnapshot, ...]
    log: tuple[Mutation, ...]
    clients: tuple[ClientSnapshot, ...]
    webhooks: tuple[Any, ...]
    #: the media layer's raw audio levels: (identity, level), in the order they were set
    audio_levels: tuple[tuple[str, float], ...]
    timers: tuple[TimerSnapshot, ...]
    #: sessions joined so far, and the next participant sid, track sid and webhook numbers
    sessions_joined: int
    next_participant_number: int
    next_track_number: int
    next_webhook_number: int
    timers_scheduled: int
    created_at: float
    ever_joined: bool
    last_left: float | None
    close_due: float | None
    speakers_due: float | None
    quality_due: float | None
    #: the qualities of the last connection-quality update, in join order
    quality_sent: tuple[tuple[str, ConnectionQuality], ...]
    #: RPC and data streams (rpc-and-streams §12): calls in flight, registered method names
    #: and client protocols by session sid, each sender's stream ids (open or closed), and the
    #: next request and stream numbers
    rpc_calls: tuple[RpcCallSnapshot, ...] = ()
    rpc_methods: tuple[tuple[str, tuple[str, ...]], ...] = ()
    client_protocols: tuple[tuple[str, int], ...] = ()
    streams: tuple[tuple[str, tuple[tuple[str, bool], ...]], ...] = ()
    next_request_number: int = 1
    next_stream_number: int = 1
    #: the clients cut off and reconnecting, by session (faults §10)
    interruptions: tuple[InterruptionSnapshot, ...] = ()


@final
@attrs.frozen(kw_only=True)
class InterruptionSnapshot:
    """A client cut off, as the server holds it (faults §10); its pending resume, give-up
    and timeout are in ``RoomSnapshot.timers``."""

    sid: str
    identity: str
    #: the client's SDK profile (``Room.connect(sdk=...)``)
    sdk: str
    kind: InterruptKind
    #: when it was cut
    started: float
    #: its session at the cut, and the others as its client knew them then
    session: SessionSnapshot
    known: tuple[SessionSnapshot, ...]
    #: the data it sent meanwhile, with the time of each send (sent when it resumes)
    outbox: tuple[tuple[float, SendData], ...]
    #: the client stopped reconnecting; the server has not closed the session yet
    gave_up: bool
    #: the protocol its client speaks (it joins again with it, faults §4.3)
    protocol: int = 0


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
    #: clients kept: the current ones and up to ``RoomConfig.keep_ended_clients`` ended ones
    clients: int
    #: mutations in ``room.log``
    mutations_logged: int
