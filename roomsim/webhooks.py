"""``Webhook``: what LiveKit would POST to a webhook URL, as values in ``room.webhooks``."""

from __future__ import annotations

from typing import Final, final

import attrs

from roomsim.model import ParticipantSnapshot, PublicationSnapshot

__all__ = ["Webhook", "WEBHOOK_EVENTS"]

#: the webhook events roomsim emits (server §10), in LiveKit's spelling
WEBHOOK_EVENTS: Final = (
    "room_started",
    "room_finished",
    "participant_joined",
    "participant_left",
    "participant_connection_aborted",
    "track_published",
    "track_unpublished",
)


@final
@attrs.frozen(kw_only=True)
class Webhook:
    """One webhook event (server §10).

    ``participant`` is the full snapshot for participant events; track events carry only the
    participant's ``participant_identity`` and ``participant_sid`` (as LiveKit sends
    ``{sid, identity}``) and the ``track``.
    """

    #: "room_started", "participant_joined", ... (``WEBHOOK_EVENTS``)
    event: str
    #: "EV_1", "EV_2", ... in order, per room
    id: str
    #: virtual seconds (LiveKit sends Unix seconds)
    created_at: float
    room: str
    room_sid: str
    participant_identity: str | None = None
    participant_sid: str | None = None
    participant: ParticipantSnapshot | None = None
    track: PublicationSnapshot | None = None
