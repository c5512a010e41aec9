"""Every change to a room is a frozen mutation value applied by ``Room.apply``.

The verbs on ``Room`` and ``Client`` only build one of these and apply it, so strategies,
transcripts, dumps and benchmarks all deal in the same values.

A mutation checks its own *shape*: each field declares its check (``_validate``), and
``checked()`` returns the mutation with every field checked and every map and sequence replaced
by a frozen copy.  ``Room.apply`` calls it first, so the value it checks against the room's
state, commits and logs is that copy, whatever the caller does with its own objects afterwards.
A mutation can still be *built* with any values (strategies build invalid ones on purpose).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar, Final, Self, final

import attrs

from roomsim import _validate as checks
from roomsim._profiles import DEFAULT_SDK, check_sdk
from roomsim.errors import InvalidArgument
from roomsim.model import (
    DEFAULT_PERMISSION,
    EMPTY_MAP,
    ConnectionQuality,
    InterruptKind,
    KindDetail,
    ParticipantKind,
    Permission,
    StreamState,
    TrackKind,
    TrackSource,
)
from roomsim.streams import StreamChunk, StreamHeader, StreamTrailer

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
    "PushAudio",
    "Advance",
    "DeleteRoom",
    "RegisterRpcMethod",
    "PerformRpc",
    "RespondRpc",
    "SendStreamPackets",
    "Interrupt",
    "Resume",
    "Reconnect",
    "ShutdownServer",
    "MoveParticipant",
    "ALL_MUTATIONS",
]


def _shape(check: Any) -> dict[str, Any]:
    return {"shape": check}


IDENTITY = _shape(checks.check_identity)
STR = _shape(checks.check_str)
OPT_STR = _shape(checks.check_opt_str)
BOOL = _shape(checks.check_bool)
OPT_BOOL = _shape(checks.check_opt_bool)
ATTRIBUTES = _shape(checks.check_attributes)
OPT_ATTRIBUTES = _shape(checks.check_opt_attributes)
STR_TUPLE = _shape(checks.check_str_tuple)
SECONDS = _shape(checks.check_finite_nonneg)
DATA = _shape(checks.check_data)
PERMISSION = _shape(checks.check_instance(Permission))
OPT_PERMISSION = _shape(checks.check_opt_instance(Permission))


@attrs.frozen
class Mutation:
    """The base of every mutation; don't subclass it."""

    #: ``"client"`` for a participant's own request, ``"server"`` for the server API,
    #: ``"media"`` for what the media layer and the network do, ``"time"`` for the clock
    path: ClassVar[str]
    #: the verb that applies it, for messages ("set_attributes(attributes=...) must be ...")
    verb: ClassVar[str]

    def checked(self) -> Self:
        """This mutation, every field's shape checked and its maps and sequences replaced by
        equal frozen copies; raises ``InvalidType`` or ``InvalidArgument`` naming the field.

        The first call on a class generates the class's own checker (``_checker``) and
        installs it as the class's ``checked``, so later calls run one flat function.
        """
        cls = type(self)
        check = _checker(cls)
        cls.checked = check  # type: ignore[method-assign]
        return check(self)  # type: ignore[no-any-return]


_set = object.__setattr__


_SHAPES: dict[type[Mutation], tuple[tuple[str, str, Any], ...]] = {}


def _shapes(cls: type[Mutation]) -> tuple[tuple[str, str, Any], ...]:
    """(field, label for messages, check) of each checked field, built once per class."""
    found = _SHAPES.get(cls)
    if found is None:
        found = tuple(
            (
                a.name,
                "identity"
                if a.name == "identity" and cls.verb != "connect"
                else f"{cls.verb}({a.name}=...)",
                a.metadata["shape"],
            )
            for a in attrs.fields(cls)
            if "shape" in a.metadata
        )
        _SHAPES[cls] = found
    return found


def _checker(cls: type[Mutation]) -> Any:
    """The ``checked`` of ``cls``, generated from its fields' checks (as attrs generates an
    ``__init__``): one function that reads each field once, skips a check's call when the
    value passes the check's fast path (``_validate.FAST_PATHS``), and writes back only the
    frozen copies a check returns."""
    namespace: dict[str, Any] = {"_set": _set, "math": math}
    lines = ["def checked(self):"]
    for i, (name, label, check) in enumerate(_shapes(cls)):
        namespace[f"check_{i}"] = check
        namespace[f"label_{i}"] = label
        call = [f"kept = check_{i}(v, label_{i})", f"if kept is not v: _set(self, {name!r}, kept)"]
        lines.append(f"    v = self.{name}")
        fast = checks.FAST_PATHS.get(check)
        if fast is None:
            lines.extend("    " + line for line in call)
            continue
        condition, named = fast
        if named is not None:
            namespace[f"type_{i}"] = named
            condition = condition.replace("{T}", f"type_{i}")
        lines.append(f"    if not ({condition}):")
        lines.extend("        " + line for line in call)
    lines.append("    return self")
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<roomsim checker {cls.__name__}>", "exec"), namespace)
    checked = namespace["checked"]
    checked.__doc__ = Mutation.checked.__doc__
    checked.__qualname__ = f"{cls.__name__}.checked"
    return checked


@final
@attrs.frozen(kw_only=True)
class Connect(Mutation):
    """A participant joins with these token claims (``Room.connect``)."""

    path: ClassVar[str] = "client"
    verb: ClassVar[str] = "connect"
    identity: str = attrs.field(metadata=IDENTITY)
    name: str = attrs.field(default="", metadata=STR)
    metadata: str = attrs.field(default="", metadata=STR)
    attributes: Mapping[str, str] = attrs.field(default=EMPTY_MAP, hash=False, metadata=ATTRIBUTES)
    kind: ParticipantKind = attrs.field(
        default=ParticipantKind.STANDARD, metadata=_shape(checks.check_enum_of(ParticipantKind))
    )
    kind_details: tuple[KindDetail, ...] = attrs.field(
        default=(), metadata=_shape(checks.check_enum_tuple(KindDetail))
    )
    permission: Permission = attrs.field(default=DEFAULT_PERMISSION, metadata=PERMISSION)
    active: bool = attrs.field(default=True, metadata=BOOL)
    auto_subscribe: bool | None = attrs.field(default=None, metadata=OPT_BOOL)
    keep_events: bool = attrs.field(default=True, metadata=BOOL)
    #: the SDK the client imitates (``roomsim._profiles``): "python" or "js"
    sdk: str = attrs.field(default=DEFAULT_SDK, metadata=_shape(check_sdk))
    #: the protocol the SDK advertises (rpc-and-streams §5): 2 for current SDKs, 0 for legacy
    client_protocol: int = attrs.field(default=2, metadata=_shape(checks.check_client_protocol))


@final
@attrs.frozen(kw_only=True)
class Activate(Mutation):
    """A held participant's media connection comes up (JOINED -> ACTIVE)."""

    path: ClassVar[str] = "client"
    verb: ClassVar[str] = "activate"
    identity: str = attrs.field(metadata=IDENTITY)


@final
@attrs.frozen(kw_only=True)
class Disconnect(Mutation):
    """A participant leaves (client ``LeaveRequest``, reason CLIENT_INITIATED)."""

    path: ClassVar[str] = "client"
    verb: ClassVar[str] = "disconnect"
    identity: str = attrs.field(metadata=IDENTITY)


@final
@attrs.frozen(kw_only=True)
class SetName(Mutation):
    """A participant renames itself; needs ``can_update_metadata``; ``""`` changes nothing."""

    path: ClassVar[str] = "client"
    verb: ClassVar[str] = "set_name"
    identity: str = attrs.field(metadata=IDENTITY)
    name: str = attrs.field(metadata=STR)


@final
@attrs.frozen(kw_only=True)
class SetMetadata(Mutation):
    """A participant sets its metadata; needs ``can_update_metadata``; ``""`` changes nothing."""

    path: ClassVar[str] = "client"
    verb: ClassVar[str] = "set_metadata"
    identity: str = attrs.field(metadata=IDENTITY)
    metadata: str = attrs.field(metadata=STR)


@final
@attrs.frozen(kw_only=True)
class SetAttributes(Mutation):
    """A participant merges attributes; needs ``can_update_metadata``; ``""`` deletes a key."""

    path: ClassVar[str] = "client"
    verb: ClassVar[str] = "set_attributes"
    identity: str = attrs.field(metadata=IDENTITY)
    attributes: Mapping[str, str] = attrs.field(hash=False, metadata=ATTRIBUTES)


@final
@attrs.frozen(kw_only=True)
class UpdateParticipant(Mutation):
    """Server API ``UpdateParticipant``: no grant needed; ``None`` leaves a field alone."""

    path: ClassVar[str] = "server"
    verb: ClassVar[str] = "update_participant"
    identity: str = attrs.field(metadata=IDENTITY)
    name: str | None = attrs.field(default=None, metadata=OPT_STR)
    metadata: str | None = attrs.field(default=None, metadata=OPT_STR)
    attributes: Mapping[str, str] | None = attrs.field(
        default=None, hash=False, metadata=OPT_ATTRIBUTES
    )
    permission: Permission | None = attrs.field(default=None, metadata=OPT_PERMISSION)


@final
@attrs.frozen(kw_only=True)
class RemoveParticipant(Mutation):
    """Server API ``RemoveParticipant`` (reason PARTICIPANT_REMOVED)."""

    path: ClassVar[str] = "server"
    verb: ClassVar[str] = "remove_participant"
    identity: str = attrs.field(metadata=IDENTITY)


@final
@attrs.frozen(kw_only=True)
class UpdateRoomMetadata(Mutation):
    """Server API ``UpdateRoomMetadata``."""

    path: ClassVar[str] = "server"
    verb: ClassVar[str] = "update_room_metadata"
    metadata: str = attrs.field(metadata=STR)


@final
@attrs.frozen(kw_only=True)
class PublishTrack(Mutation):
    """A participant publishes a media track; needs ``can_publish`` and an allowed source."""

    path: ClassVar[str] = "client"
    verb: ClassVar[str] = "publish_track"
    identity: str = attrs.field(metadata=IDENTITY)
    kind: TrackKind = attrs.field(metadata=_shape(checks.check_enum_of(TrackKind)))
    source: TrackSource = attrs.field(metadata=_shape(checks.check_enum_of(TrackSource)))
    name: str = attrs.field(default="", metadata=STR)
    muted: bool = attrs.field(default=False, metadata=BOOL)


@final
@attrs.frozen(kw_only=True)
class UnpublishTrack(Mutation):
    """A participant unpublishes one of its tracks."""

    path: ClassVar[str] = "client"
    verb: ClassVar[str] = "unpublish_track"
    identity: str = attrs.field(metadata=IDENTITY)
    track_sid: str = attrs.field(metadata=STR)


@final
@attrs.frozen(kw_only=True)
class SetTrackMuted(Mutation):
    """A participant mutes or unmutes one of its own tracks."""

    path: ClassVar[str] = "client"
    verb: ClassVar[str] = "set_track_muted"
    identity: str = attrs.field(metadata=IDENTITY)
    track_sid: str = attrs.field(metadata=STR)
    muted: bool = attrs.field(metadata=BOOL)


@final
@attrs.frozen(kw_only=True)
class MutePublishedTrack(Mutation):
    """Server API ``MutePublishedTrack``; unmute only with ``enable_remote_unmute``."""

    path: ClassVar[str] = "server"
    verb: ClassVar[str] = "mute_published_track"
    identity: str = attrs.field(metadata=IDENTITY)
    track_sid: str = attrs.field(metadata=STR)
    muted: bool = attrs.field(metadata=BOOL)


@final
@attrs.frozen(kw_only=True)
class SetSubscribed(Mutation):
    """A participant wants (or no longer wants) a remote track."""

    path: ClassVar[str] = "client"
    verb: ClassVar[str] = "set_subscribed"
    identity: str = attrs.field(metadata=IDENTITY)
    publisher: str = attrs.field(metadata=STR)
    track_sid: str = attrs.field(metadata=STR)
    subscribed: bool = attrs.field(metadata=BOOL)


@final
@attrs.frozen(kw_only=True)
class UpdateSubscriptions(Mutation):
    """Server API ``UpdateSubscriptions`` for one participant."""

    path: ClassVar[str] = "server"
    verb: ClassVar[str] = "update_subscriptions"
    identity: str = attrs.field(metadata=IDENTITY)
    track_sids: tuple[str, ...] = attrs.field(metadata=STR_TUPLE)
    subscribe: bool = attrs.field(metadata=BOOL)


@final
@attrs.frozen(kw_only=True)
class SetTrackSubscriptionPermissions(Mutation):
    """A publisher says who may subscribe to its tracks; each call replaces the last.

    ``allowed`` maps an identity to the track sids it may receive, or to ``None`` for all.
    """

    path: ClassVar[str] = "client"
    verb: ClassVar[str] = "set_track_subscription_permissions"
    identity: str = attrs.field(metadata=IDENTITY)
    all_participants: bool = attrs.field(metadata=BOOL)
    allowed: Mapping[str, tuple[str, ...] | None] = attrs.field(
        default=EMPTY_MAP, hash=False, metadata=_shape(checks.check_allowed)
    )


@final
@attrs.frozen(kw_only=True)
class SendData(Mutation):
    """A data packet from a participant, or from the server when ``sender`` is None."""

    path: ClassVar[str] = "client"
    verb: ClassVar[str] = "send_data"
    sender: str | None = attrs.field(metadata=OPT_STR)
    data: bytes = attrs.field(metadata=DATA)
    topic: str | None = attrs.field(default=None, metadata=OPT_STR)
    reliable: bool = attrs.field(default=True, metadata=BOOL)
    destination_identities: tuple[str, ...] = attrs.field(
        default=(), metadata=_shape(checks.check_identity_tuple)
    )


@final
@attrs.frozen(kw_only=True)
class SetStreamState(Mutation):
    """The network pauses or resumes a subscribed video track for one subscriber."""

    path: ClassVar[str] = "media"
    verb: ClassVar[str] = "set_stream_state"
    identity: str = attrs.field(metadata=IDENTITY)
    track_sid: str = attrs.field(metadata=STR)
    state: StreamState = attrs.field(metadata=_shape(checks.check_enum_of(StreamState)))


@final
@attrs.frozen(kw_only=True)
class SetAudioLevels(Mutation):
    """The media layer's audio levels, linear in [0, 1], sticky until changed."""

    path: ClassVar[str] = "media"
    verb: ClassVar[str] = "set_audio_levels"
    levels: Mapping[str, float] = attrs.field(hash=False, metadata=_shape(checks.check_levels))


@final
@attrs.frozen(kw_only=True)
class SetConnectionQuality(Mutation):
    """The network's view of a participant's connection quality."""

    path: ClassVar[str] = "media"
    verb: ClassVar[str] = "set_connection_quality"
    identity: str = attrs.field(metadata=IDENTITY)
    quality: ConnectionQuality = attrs.field(
        metadata=_shape(checks.check_enum_of(ConnectionQuality))
    )


@final
@attrs.frozen(kw_only=True)
class Advance(Mutation):
    """Virtual time passes: every timer that falls due runs, in order."""

    path: ClassVar[str] = "time"
    verb: ClassVar[str] = "advance"
    dt: float = attrs.field(metadata=SECONDS)


@final
@attrs.frozen(kw_only=True)
class DeleteRoom(Mutation):
    """Server API ``DeleteRoom``: everyone leaves with ROOM_DELETED and the room closes."""

    path: ClassVar[str] = "server"
    verb: ClassVar[str] = "delete"


def _check_opt_seconds(v: Any, what: str) -> float | None:
    return None if v is None else checks.check_finite_nonneg(v, what)


def _check_rate(v: Any, what: str) -> int:
    if type(v) is not int or v <= 0 or v % 100:
        raise InvalidArgument(
            f"{what} must be a positive int of whole 10 ms frames (a multiple of 100: 8000, "
            f"16000, 24000, 44100, 48000), got {v!r}"
        )
    return v


def _check_channels(v: Any, what: str) -> int:
    if type(v) is not int or not 1 <= v <= 8:
        raise InvalidArgument(f"{what} must be an int in 1..8, got {v!r}")
    return v


@final
@attrs.frozen(kw_only=True)
class Interrupt(Mutation):
    """The network cuts a participant off (faults §2, §10): its client starts reconnecting.

    ``kind`` SIGNAL cuts only the WebSocket (media and data flow on), NETWORK cuts everything
    (the server closes the session with CONNECTION_TIMEOUT 20 s later).  With
    ``resume_after`` the client resumes that many seconds later; without it, it resumes on
    ``Resume`` or gives up (44.3 s, faults §4.2).
    """

    path: ClassVar[str] = "media"
    verb: ClassVar[str] = "interrupt"
    identity: str = attrs.field(metadata=IDENTITY)
    kind: InterruptKind = attrs.field(
        default=InterruptKind.SIGNAL, metadata=_shape(checks.check_enum_of(InterruptKind))
    )
    resume_after: float | None = attrs.field(default=None, metadata=_shape(_check_opt_seconds))


@final
@attrs.frozen(kw_only=True)
class Resume(Mutation):
    """An interrupted participant's client gets through again and resumes its session."""

    path: ClassVar[str] = "media"
    verb: ClassVar[str] = "resume"
    identity: str = attrs.field(metadata=IDENTITY)


@final
@attrs.frozen(kw_only=True)
class Reconnect(Mutation):
    """A participant's client does a full reconnect (faults §3): it leaves its session and
    joins again under a new sid, republishing its tracks; after a failed resume, or when
    LiveKit asks it to (``Leave{RECONNECT}``)."""

    path: ClassVar[str] = "media"
    verb: ClassVar[str] = "reconnect"
    identity: str = attrs.field(metadata=IDENTITY)


@final
@attrs.frozen(kw_only=True)
class ShutdownServer(Mutation):
    """The server node stops (a forced stop): everyone leaves with SERVER_SHUTDOWN and the
    room closes (faults §6)."""

    path: ClassVar[str] = "server"
    verb: ClassVar[str] = "shutdown"


@final
@attrs.frozen(kw_only=True)
class PushAudio(Mutation):
    """A participant's audio track plays these int16 PCM samples (interleaved, little-endian),
    queued behind what it has not played yet; virtual time plays them (audio §9)."""

    path: ClassVar[str] = "client"
    verb: ClassVar[str] = "push_audio"
    identity: str = attrs.field(metadata=IDENTITY)
    track_sid: str = attrs.field(metadata=STR)
    samples: bytes = attrs.field(metadata=DATA, repr=lambda b: f"<{len(b)} bytes>")
    sample_rate: int = attrs.field(default=48000, metadata=_shape(_check_rate))
    num_channels: int = attrs.field(default=1, metadata=_shape(_check_channels))


# --------------------------------------------------------------------------------------------
# RPC and data streams (rpc-and-streams §1-§10): protocols the SDKs run over data packets


@final
@attrs.frozen(kw_only=True)
class RegisterRpcMethod(Mutation):
    """A client registers (``registered=False``: unregisters) an RPC method name.

    The handler is a function and stays on the client; the name is what the room needs to
    decide, at a call's commit, between the handler and 1400 (so a replay decides the same).
    """

    path: ClassVar[str] = "client"
    verb: ClassVar[str] = "register_rpc_method"
    identity: str = attrs.field(metadata=IDENTITY)
    method: str = attrs.field(metadata=STR)
    registered: bool = attrs.field(default=True, metadata=BOOL)


@final
@attrs.frozen(kw_only=True)
class PerformRpc(Mutation):
    """``caller`` calls ``method`` at ``destination``; the room numbers it ``RPC_1``, ...

    The timeouts are checked per the caller's SDK (``roomsim.rpc.rpc_timeouts``).
    """

    path: ClassVar[str] = "client"
    verb: ClassVar[str] = "perform_rpc"
    caller: str = attrs.field(metadata=IDENTITY)
    destination: str = attrs.field(metadata=STR)
    method: str = attrs.field(metadata=STR)
    payload: str = attrs.field(default="", metadata=STR)
    response_timeout: float | None = attrs.field(default=None)
    max_round_trip_latency: float | None = attrs.field(default=None)


@final
@attrs.frozen(kw_only=True)
class RespondRpc(Mutation):
    """The callee ``identity`` answers request ``request_id``: ``payload``, or an error with
    ``error_code``/``error_message``/``error_data`` (then ``payload`` is None)."""

    path: ClassVar[str] = "client"
    verb: ClassVar[str] = "respond_rpc"
    identity: str = attrs.field(metadata=IDENTITY)
    request_id: str = attrs.field(metadata=STR)
    payload: str | None = attrs.field(default=None, metadata=OPT_STR)
    error_code: int | None = attrs.field(default=None)
    error_message: str = attrs.field(default="", metadata=STR)
    error_data: str | None = attrs.field(default=None, metadata=OPT_STR)


@final
@attrs.frozen(kw_only=True)
class SendStreamPackets(Mutation):
    """A data stream's packets from ``sender``: a header, chunks, a trailer, or any run of
    them (one ``send_text``, or one write of a ``stream_text`` writer)."""

    path: ClassVar[str] = "client"
    verb: ClassVar[str] = "send_stream_packets"
    sender: str = attrs.field(metadata=IDENTITY)
    packets: tuple[StreamHeader | StreamChunk | StreamTrailer, ...] = attrs.field(
        metadata=_shape(lambda v, what: _check_packets(v, what))
    )
    destination_identities: tuple[str, ...] = attrs.field(
        default=(), metadata=_shape(checks.check_identity_tuple)
    )


@final
@attrs.frozen(kw_only=True)
class MoveParticipant(Mutation):
    """Server API ``MoveParticipant`` (faults §5): the participant leaves this room and goes
    on, with its client and tracks, in the room named ``destination_room`` on the same clock."""

    path: ClassVar[str] = "server"
    verb: ClassVar[str] = "move_participant"
    identity: str = attrs.field(metadata=IDENTITY)
    destination_room: str = attrs.field(metadata=IDENTITY)  # non-empty, as an identity


def _check_packets(v: Any, what: str) -> tuple[StreamHeader | StreamChunk | StreamTrailer, ...]:
    if not isinstance(v, tuple | list) or not v:
        raise checks.wrong_type(what, "a non-empty tuple of stream packets", v)
    for p in v:
        if not isinstance(p, StreamHeader | StreamChunk | StreamTrailer):
            raise checks.wrong_type(
                what, "stream packets (StreamHeader, StreamChunk, StreamTrailer)", p
            )
    return tuple(v)


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
    PushAudio,
    Advance,
    DeleteRoom,
    RegisterRpcMethod,
    PerformRpc,
    RespondRpc,
    SendStreamPackets,
    Interrupt,
    Resume,
    Reconnect,
    ShutdownServer,
    MoveParticipant,
)


def send_data_mutation(
    sender: str | None,
    data: bytes | str,
    topic: str | None,
    reliable: bool,
    destination_identities: Any,
) -> SendData:
    """The ``SendData`` a ``send_data`` verb applies: text is sent as UTF-8 (anything else is
    checked by ``Room.apply``)."""
    return SendData(
        sender=sender,
        data=checks.data_bytes(data),
        topic=topic,
        reliable=reliable,
        destination_identities=destination_identities,
    )
