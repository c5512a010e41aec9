"""Every change to a room is a frozen mutation value applied by ``Room.apply``.

The verbs on ``Room`` and ``Client`` only build one of these and apply it, so strategies,
transcripts, dumps and benchmarks all deal in the same values.  A mutation is not validated
when it is built: ``Room.apply`` checks it completely, against the room's state, before
anything changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final, final

import attrs

from roomsim.model import (
    DEFAULT_PERMISSION,
    EMPTY_MAP,
    ConnectionQuality,
    KindDetail,
    ParticipantKind,
    Permission,
    StreamState,
    TrackKind,
    TrackSource,
)

__all__ = [
    "Mutation",
    "Connect",
    "Activate",
    "Disconnect",
    "SetName",
    "SetMetadata",
    "SetAttributes",
    "UpdateParticipant",
    "RemoveParticipant",
    "UpdateRoomMetadata",
    "PublishTrack",
    "UnpublishTrack",
    "SetTrackMuted",
    "MutePublishedTrack",
    "SetSubscribed",
    "UpdateSubscriptions",
    "SetTrackSubscriptionPermissions",
    "SendData",
    "SetStreamState",
    "SetAudioLevels",
    "SetConnectionQuality",
    "Advance",
    "DeleteRoom",
    "ALL_MUTATIONS",
]


@attrs.frozen
class Mutation:
    """The base of every mutation; don't subclass it."""

    #: ``"client"`` for a participant's own request, ``"server"`` for the server API,
    #: ``"media"`` for what the media layer and the network do, ``"time"`` for the clock
    path: ClassVar[str]


@final
@attrs.frozen(kw_only=True)
class Connect(Mutation):
    """A participant joins with these token claims (``Room.connect``)."""

    path: ClassVar[str] = "client"
    identity: str
    name: str = ""
    metadata: str = ""
    attributes: Mapping[str, str] = attrs.field(default=EMPTY_MAP, hash=False)
    kind: ParticipantKind = ParticipantKind.STANDARD
    kind_details: tuple[KindDetail, ...] = ()
    permission: Permission = DEFAULT_PERMISSION
    active: bool = True
    auto_subscribe: bool | None = None
    keep_events: bool = True


@final
@attrs.frozen(kw_only=True)
class Activate(Mutation):
    """A held participant's media connection comes up (JOINED -> ACTIVE)."""

    path: ClassVar[str] = "client"
    identity: str


@final
@attrs.frozen(kw_only=True)
class Disconnect(Mutation):
    """A participant leaves (client ``LeaveRequest``, reason CLIENT_INITIATED)."""

    path: ClassVar[str] = "client"
    identity: str


@final
@attrs.frozen(kw_only=True)
class SetName(Mutation):
    """A participant renames itself; needs ``can_update_metadata``; ``""`` changes nothing."""

    path: ClassVar[str] = "client"
    identity: str
    name: str


@final
@attrs.frozen(kw_only=True)
class SetMetadata(Mutation):
    """A participant sets its metadata; needs ``can_update_metadata``; ``""`` changes nothing."""

    path: ClassVar[str] = "client"
    identity: str
    metadata: str


@final
@attrs.frozen(kw_only=True)
class SetAttributes(Mutation):
    """A participant merges attributes; needs ``can_update_metadata``; ``""`` deletes a key."""

    path: ClassVar[str] = "client"
    identity: str
    attributes: Mapping[str, str] = attrs.field(hash=False)


@final
@attrs.frozen(kw_only=True)
class UpdateParticipant(Mutation):
    """Server API ``UpdateParticipant``: no grant needed; ``None`` leaves a field alone."""

    path: ClassVar[str] = "server"
    identity: str
    name: str | None = None
    metadata: str | None = None
    attributes: Mapping[str, str] | None = attrs.field(default=None, hash=False)
    permission: Permission | None = None


@final
@attrs.frozen(kw_only=True)
class RemoveParticipant(Mutation):
    """Server API ``RemoveParticipant`` (reason PARTICIPANT_REMOVED)."""

    path: ClassVar[str] = "server"
    identity: str


@final
@attrs.frozen(kw_only=True)
class UpdateRoomMetadata(Mutation):
    """Server API ``UpdateRoomMetadata``."""

    path: ClassVar[str] = "server"
    metadata: str


@final
@attrs.frozen(kw_only=True)
class PublishTrack(Mutation):
    """A participant publishes a media track; needs ``can_publish`` and an allowed source."""

    path: ClassVar[str] = "client"
    identity: str
    kind: TrackKind
    source: TrackSource
    name: str = ""
    muted: bool = False


@final
@attrs.frozen(kw_only=True)
class UnpublishTrack(Mutation):
    """A participant unpublishes one of its tracks."""

    path: ClassVar[str] = "client"
    identity: str
    track_sid: str


@final
@attrs.frozen(kw_only=True)
class SetTrackMuted(Mutation):
    """A participant mutes or unmutes one of its own tracks."""

    path: ClassVar[str] = "client"
    identity: str
    track_sid: str
    muted: bool


@final
@attrs.frozen(kw_only=True)
class MutePublishedTrack(Mutation):
    """Server API ``MutePublishedTrack``; unmute only with ``enable_remote_unmute``."""

    path: ClassVar[str] = "server"
    identity: str
    track_sid: str
    muted: bool


@final
@attrs.frozen(kw_only=True)
class SetSubscribed(Mutation):
    """A participant wants (or no longer wants) a remote track."""

    path: ClassVar[str] = "client"
    identity: str
    publisher: str
    track_sid: str
    subscribed: bool


@final
@attrs.frozen(kw_only=True)
class UpdateSubscriptions(Mutation):
    """Server API ``UpdateSubscriptions`` for one participant."""

    path: ClassVar[str] = "server"
    identity: str
    track_sids: tuple[str, ...]
    subscribe: bool


@final
@attrs.frozen(kw_only=True)
class SetTrackSubscriptionPermissions(Mutation):
    """A publisher says who may subscribe to its tracks; each call replaces the last.

    ``allowed`` maps an identity to the track sids it may receive, or to ``None`` for all.
    """

    path: ClassVar[str] = "client"
    identity: str
    all_participants: bool
    allowed: Mapping[str, tuple[str, ...] | None] = attrs.field(default=EMPTY_MAP, hash=False)


@final
@attrs.frozen(kw_only=True)
class SendData(Mutation):
    """A data packet from a participant, or from the server when ``sender`` is None."""

    path: ClassVar[str] = "client"
    sender: str | None
    data: bytes
    topic: str | None = None
    reliable: bool = True
    destination_identities: tuple[str, ...] = ()


@final
@attrs.frozen(kw_only=True)
class SetStreamState(Mutation):
    """The network pauses or resumes a subscribed video track for one subscriber."""

    path: ClassVar[str] = "media"
    identity: str
    track_sid: str
    state: StreamState


@final
@attrs.frozen(kw_only=True)
class SetAudioLevels(Mutation):
    """The media layer's audio levels, linear in [0, 1], sticky until changed."""

    path: ClassVar[str] = "media"
    levels: Mapping[str, float] = attrs.field(hash=False)


@final
@attrs.frozen(kw_only=True)
class SetConnectionQuality(Mutation):
    """The network's view of a participant's connection quality."""

    path: ClassVar[str] = "media"
    identity: str
    quality: ConnectionQuality


@final
@attrs.frozen(kw_only=True)
class Advance(Mutation):
    """Virtual time passes: every timer that falls due runs, in order."""

    path: ClassVar[str] = "time"
    dt: float


@final
@attrs.frozen(kw_only=True)
class DeleteRoom(Mutation):
    """Server API ``DeleteRoom``: everyone leaves with ROOM_DELETED and the room closes."""

    path: ClassVar[str] = "server"


ALL_MUTATIONS: Final[tuple[type[Mutation], ...]] = (
    Connect,
    Activate,
    Disconnect,
    SetName,
    SetMetadata,
    SetAttributes,
    UpdateParticipant,
    RemoveParticipant,
    UpdateRoomMetadata,
    PublishTrack,
    UnpublishTrack,
    SetTrackMuted,
    MutePublishedTrack,
    SetSubscribed,
    UpdateSubscriptions,
    SetTrackSubscriptionPermissions,
    SendData,
    SetStreamState,
    SetAudioLevels,
    SetConnectionQuality,
    Advance,
    DeleteRoom,
)


def send_data_mutation(
    sender: str | None,
    data: bytes | str,
    topic: str | None,
    reliable: bool,
    destination_identities: Any,
) -> SendData:
    """The ``SendData`` a ``send_data`` verb applies: text is sent as UTF-8, a list of
    destinations becomes a tuple (anything else is refused by ``Room.apply``)."""
    from roomsim._validate import data_bytes

    if isinstance(destination_identities, list):
        destination_identities = tuple(destination_identities)
    return SendData(
        sender=sender,
        data=data_bytes(data),
        topic=topic,
        reliable=reliable,
        destination_identities=destination_identities,
    )
