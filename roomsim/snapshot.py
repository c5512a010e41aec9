"""``RoomSnapshot`` and ``ClientSnapshot``: the whole state of a room as one value."""

from __future__ import annotations

from typing import Any, final

import attrs

from roomsim.config import RoomConfig
from roomsim.events import Event
from roomsim.model import (
    ConnectionState,
    DisconnectReason,
    ParticipantSnapshot,
)
from roomsim.mutations import Mutation

__all__ = ["ClientSnapshot", "RoomSnapshot"]


@final
@attrs.frozen(kw_only=True)
class ClientSnapshot:
    """One client: its view of the room, every event it received and those not yet taken."""

    identity: str
    sid: str
    keep_events: bool
    connection_state: ConnectionState
    disconnect_reason: DisconnectReason | None
    events: tuple[Event, ...]
    unread: tuple[Event, ...]
    local_participant: ParticipantSnapshot
    remote_participants: tuple[ParticipantSnapshot, ...]
    active_speakers: tuple[str, ...]
    room_metadata: str
    handlers: int
    #: what ``Room.from_snapshot`` needs beyond the above: the client's own record, whether its
    #: session ended, and what its SDK was told (subscribed, denied, paused, per-publisher
    #: subscription counts, speakers, qualities); compared like the rest
    internal: tuple[Any, ...] = attrs.field(repr=False)


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
    #: the server's records of the current sessions, in join order
    participants: tuple[Any, ...]
    departed: tuple[ParticipantSnapshot, ...]
    log: tuple[Mutation, ...]
    clients: tuple[ClientSnapshot, ...]
    counters: tuple[int, ...]
    webhooks: tuple[Any, ...]
    #: the media layer's raw audio levels: (identity, level)
    levels: tuple[tuple[str, float], ...]
    #: pending timers: (due, order, kind, argument)
    timers: tuple[tuple[float, int, str, Any], ...]
    #: created_at, ever_joined, last_left, close_due, speakers_due, quality_due, keep_log,
    #: the qualities last sent
    lifecycle: tuple[Any, ...]
