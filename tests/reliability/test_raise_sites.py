"""Every raise site of docs/reference/errors.md, by its id: the documented class and code, a
message that says how to fix it, and nothing changed (design §1 Atomic, §4 Errors).

Each case builds a small room (``_world.world``), takes ``room.snapshot()``, triggers the error,
then checks the snapshot is unchanged and the room still takes a valid mutation.
"""

from __future__ import annotations

import asyncio
import io
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import attrs
import pytest

from roomsim import (
    ClientDisconnected,
    ConnectionQuality,
    HandlerError,
    IllegalState,
    InternalError,
    InterruptKind,
    InvalidArgument,
    InvalidType,
    LimitExceeded,
    ManualClock,
    ParticipantKind,
    Permission,
    PermissionDenied,
    Room,
    RoomClosed,
    RoomConfig,
    RoomFull,
    StreamState,
    TrackKind,
    TrackSource,
    UnknownParticipant,
    UnknownTrack,
    scenario,
)
from roomsim import mutations as M
from roomsim.events import Event
from roomsim.raise_sites import SITES_BY_ID
from roomsim.testing import check_invariants
from tests.reliability._move_cases import MOVE_CASES, MOVE_SPECIAL_IDS
from tests.reliability._rpc_cases import RPC_CASES, RPC_SPECIAL_IDS
from tests.reliability._world import (
    CONFIG,
    World,
    assert_error,
    documented_ids,
    still_usable,
    world,
)

NAN = math.nan
E9 = "é" * 4 + "x"  # 5 characters, 9 bytes: one byte over the 8-byte limits
X9 = "x" * 9
HEADER = '{"roomsim": 1, "room": "r", "config": {}}\n'


def _noop(e: Event) -> None:
    pass


async def _coroutine(e: Event) -> None:
    await asyncio.sleep(0)


def _close_by_timeout(w: World) -> None:
    for identity in list(w.room.participants):
        w.room.remove_participant(identity)
    w.room.advance(CONFIG.departure_timeout)
    assert w.room.closed


def _held(w: World) -> None:
    w.room.connect("held", kind=ParticipantKind.AGENT, active=False)  # agents aren't counted


def _gave_up(w: World) -> None:
    w.room.interrupt("alice")
    w.room.advance(44.3)  # faults §4.2


def _timed_out(w: World) -> None:
    w.room.interrupt("alice", kind=InterruptKind.NETWORK)
    w.room.advance(20.0)  # faults §4.1


def _replaced(w: World) -> None:
    w.room.interrupt("alice")
    w.room.connect("alice")


def _fork_without_bob(w: World) -> None:
    snap = w.room.snapshot()
    w.room = Room.from_snapshot(
        attrs.evolve(snap, clients=tuple(c for c in snap.clients if c.identity != "bob"))
    )


class Case(NamedTuple):
    id: str
    label: str
    trigger: Callable[[World], object]
    cls: type[BaseException]
    code: str | None
    #: a piece of the message that tells the user how to fix it; None: the message has none
    fix: str | None
    setup: Callable[[World], object] | None = None


def _replay(text: str) -> Callable[[World], object]:
    return lambda w: scenario.replay(io.StringIO(text))


IA, IT, LE = "invalid_argument", "invalid_argument", "LIMIT_EXCEEDED"
FP = "failed_precondition"

CASES: list[Case] = [
    # Room.apply
    Case("apply.type", "str", lambda w: w.room.apply("x"), InvalidType, IT, "roomsim mutation"),  # type: ignore[arg-type]
    Case(
        "apply.type", "base", lambda w: w.room.apply(M.Mutation()), InvalidType, IT, "roomsim.mut"
    ),
    Case(
        "apply.closed",
        "connect",
        lambda w: w.room.connect("zed"),
        RoomClosed,
        "ROOM_CLOSED",
        "make a new Room",
        setup=lambda w: w.room.delete(),
    ),
    Case(
        "apply.closed",
        "server",
        lambda w: w.room.update_room_metadata("m"),
        RoomClosed,
        "ROOM_CLOSED",
        "make a new Room",
        setup=lambda w: _close_by_timeout(w),
    ),
    Case(
        "client.disconnected",
        "left",
        lambda w: w.carol.set_name("c"),
        ClientDisconnected,
        "DISCONNECTED",
        "room.connect()",
    ),
    Case(
        "client.disconnected",
        "room-closed",
        lambda w: w.alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE),
        ClientDisconnected,
        "DISCONNECTED",
        "room.connect()",
        setup=lambda w: w.room.delete(),
    ),
    Case(
        "client.disconnected",
        "replaced",
        lambda w: w.bob.send_data(b"x"),
        ClientDisconnected,
        "DISCONNECTED",
        "room.connect()",
        setup=lambda w: w.room.connect("bob"),
    ),
    Case(
        "string.utf8",
        "identity",
        lambda w: w.room.connect("\ud800"),
        InvalidArgument,
        IA,
        "pass text without unpaired surrogates",
    ),
    Case(
        "string.utf8",
        "attribute-value",
        lambda w: w.alice.set_attributes({"k": "é\udcff"}),
        InvalidArgument,
        IA,
        "pass text without unpaired surrogates",
    ),
    # identities named by a mutation
    Case(
        "identity.type",
        "bytes",
        lambda w: w.room.remove_participant(b"bob"),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be a str",
    ),
    Case(
        "identity.type",
        "levels-key",
        lambda w: w.room.set_audio_levels({1: 0.5}),  # type: ignore[dict-item]
        InvalidType,
        IT,
        "must be a str",
    ),
    Case(
        "identity.empty",
        "quality",
        lambda w: w.room.set_connection_quality("", ConnectionQuality.POOR),
        InvalidArgument,
        IA,
        "non-empty",
    ),
    Case(
        "identity.unknown",
        "departed",
        lambda w: w.room.remove_participant("carol"),
        UnknownParticipant,
        "not_found",
        "present:",
    ),
    Case(
        "identity.unknown",
        "levels",
        lambda w: w.room.set_audio_levels({"alice": 0.5, "ghost": 0.5}),
        UnknownParticipant,
        "not_found",
        "present:",
    ),
    Case(
        "identity.unknown",
        "applied-client-mutation",
        lambda w: w.room.apply(M.SetName(identity="ghost", name="g")),
        UnknownParticipant,
        "not_found",
        "present:",
    ),
    # connect
    Case(
        "connect.identity", "empty", lambda w: w.room.connect(""), InvalidArgument, IA, "non-empty"
    ),
    Case(
        "connect.identity",
        "bytes",
        lambda w: w.room.connect(b"eve"),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be a str",
    ),
    Case(
        "connect.type",
        "kind",
        lambda w: w.room.connect("eve", kind="agent"),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "ParticipantKind.AGENT",
    ),
    Case(
        "connect.type",
        "attribute-value",
        lambda w: w.room.connect("eve", attributes={"k": 1}),  # type: ignore[dict-item]
        InvalidType,
        IT,
        "values must be str",
    ),
    Case(
        "connect.type",
        "permission",
        lambda w: w.room.connect("eve", permission={"hidden": True}),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be a Permission",
    ),
    Case(
        "connect.limit",
        "identity",
        lambda w: w.room.connect(E9),
        LimitExceeded,
        IA,
        "RoomConfig.max_identity_length",
    ),
    Case(
        "connect.limit",
        "attributes",
        lambda w: w.room.connect("eve", attributes={"k": "é" * 4}),
        LimitExceeded,
        IA,
        "RoomConfig.max_attributes_size",
    ),
    Case(
        "connect.full",
        "standard",
        lambda w: w.room.connect("eve"),
        RoomFull,
        "JOIN_FAILURE",
        "RoomConfig.max_participants",
    ),
    # self-updates
    Case("set_name.type", "int", lambda w: w.alice.set_name(5), InvalidType, IT, "must be a str"),  # type: ignore[arg-type]
    Case(
        "set_name.permission",
        "no-grant",
        lambda w: w.bob.set_name("b"),
        PermissionDenied,
        "NOT_ALLOWED",
        "Permission(can_update_metadata=True)",
    ),
    Case(
        "set_name.limit",
        "utf8",
        lambda w: w.alice.set_name(E9),
        LimitExceeded,
        LE,
        "RoomConfig.max_name_length",
    ),
    Case(
        "set_metadata.type",
        "bytes",
        lambda w: w.alice.set_metadata(b"m"),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be a str",
    ),
    Case(
        "set_metadata.permission",
        "no-grant",
        lambda w: w.bob.set_metadata("m"),
        PermissionDenied,
        "NOT_ALLOWED",
        "Permission(can_update_metadata=True)",
    ),
    Case(
        "set_metadata.limit",
        "utf8",
        lambda w: w.alice.set_metadata(E9),
        LimitExceeded,
        LE,
        "RoomConfig.max_metadata_size",
    ),
    Case(
        "set_attributes.type",
        "value",
        lambda w: w.alice.set_attributes({"k": 1}),  # type: ignore[dict-item]
        InvalidType,
        IT,
        "values must be str",
    ),
    Case(
        "set_attributes.type",
        "key",
        lambda w: w.alice.set_attributes({b"k": "v"}),  # type: ignore[dict-item]
        InvalidType,
        IT,
        "keys must be str",
    ),
    Case(
        "set_attributes.type",
        "list",
        lambda w: w.alice.set_attributes(["k"]),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be a mapping",
    ),
    Case(
        "set_attributes.permission",
        "no-grant",
        lambda w: w.bob.set_attributes({"k": ""}),
        PermissionDenied,
        "NOT_ALLOWED",
        "Permission(can_update_metadata=True)",
    ),
    Case(
        "set_attributes.limit",
        "utf8",
        lambda w: w.alice.set_attributes({"k": "é" * 4}),
        LimitExceeded,
        LE,
        "RoomConfig.max_attributes_size",
    ),
    # server API
    Case(
        "update_participant.type",
        "name",
        lambda w: w.room.update_participant("bob", name=5),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be a str",
    ),
    Case(
        "update_participant.type",
        "permission",
        lambda w: w.room.update_participant("bob", permission=True),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be a Permission",
    ),
    Case(
        "update_participant.limit",
        "metadata",
        lambda w: w.room.update_participant("bob", name="B", metadata=X9),
        LimitExceeded,
        IA,
        "RoomConfig.max_metadata_size",
    ),
    Case(
        "update_participant.limit",
        "before-lookup",
        lambda w: w.room.update_participant("ghost", name=E9),
        LimitExceeded,
        IA,
        "RoomConfig.max_name_length",
    ),
    Case(
        "update_participant.hidden",
        "toggle",
        lambda w: w.room.update_participant("bob", name="B", permission=Permission(hidden=True)),
        IllegalState,
        FP,
        "connect it again",
    ),
    Case(
        "update_room_metadata.type",
        "none",
        lambda w: w.room.update_room_metadata(None),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be a str",
    ),
    Case(
        "update_room_metadata.limit",
        "utf8",
        lambda w: w.room.update_room_metadata(E9),
        LimitExceeded,
        IA,
        "RoomConfig.max_metadata_size",
    ),
    # tracks
    Case(
        "publish_track.type",
        "kind",
        lambda w: w.alice.publish_track("audio", TrackSource.MICROPHONE),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "TrackKind.AUDIO",
    ),
    Case(
        "publish_track.type",
        "source",
        lambda w: w.alice.publish_track(TrackKind.AUDIO, 2),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "TrackSource.MICROPHONE",
    ),
    Case(
        "publish_track.permission",
        "no-can-publish",
        lambda w: w.dave.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE),
        PermissionDenied,
        "NOT_ALLOWED",
        "update_participant(permission=...)",
    ),
    Case(
        "publish_track.source",
        "not-allowed",
        lambda w: w.bob.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE),
        PermissionDenied,
        "NOT_ALLOWED",
        "update_participant(permission=...)",
        setup=lambda w: w.room.update_participant(
            "bob", permission=Permission(can_publish_sources=(TrackSource.CAMERA,))
        ),
    ),
    Case(
        "unpublish_track.type",
        "int",
        lambda w: w.alice.unpublish_track(1),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be a str",
    ),
    Case(
        "unpublish_track.unknown",
        "others",
        lambda w: w.alice.unpublish_track(w.bcam),
        UnknownTrack,
        "NOT_FOUND",
        "its tracks:",
    ),
    Case(
        "set_track_muted.type",
        "muted",
        lambda w: w.alice.set_track_muted(w.mic, 1),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be a bool",
    ),
    Case(
        "set_track_muted.unknown",
        "never",
        lambda w: w.alice.set_track_muted("TR_99", True),
        UnknownTrack,
        "NOT_FOUND",
        "its tracks:",
    ),
    Case(
        "mute_published_track.type",
        "muted",
        lambda w: w.room.mute_published_track("alice", w.mic, "yes"),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be a bool",
    ),
    Case(
        "mute_published_track.unmute",
        "disabled",
        lambda w: w.room.mute_published_track("alice", w.mic, False),
        IllegalState,
        FP,
        "RoomConfig(enable_remote_unmute=True)",
    ),
    # subscriptions
    Case(
        "set_subscribed.type",
        "subscribed",
        lambda w: w.bob.set_subscribed("alice", w.cam, "no"),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be a bool",
    ),
    Case(
        "set_subscribed.publisher",
        "unknown",
        lambda w: w.bob.set_subscribed("ghost", w.cam, False),
        UnknownParticipant,
        "NOT_FOUND",
        "client.remote_participants",
    ),
    Case(
        "set_subscribed.publisher",
        "hidden",
        lambda w: w.bob.set_subscribed("hide", w.cam, False),
        UnknownParticipant,
        "NOT_FOUND",
        "client.remote_participants",
    ),
    Case(
        "set_subscribed.own",
        "own",
        lambda w: w.bob.set_subscribed("bob", w.bcam, False),
        InvalidArgument,
        IA,
        "another participant's track",
    ),
    Case(
        "set_subscribed.track",
        "others",
        lambda w: w.bob.set_subscribed("alice", w.bcam, False),
        UnknownTrack,
        "NOT_FOUND",
        "its tracks:",
    ),
    Case(
        "update_subscriptions.type",
        "str",
        lambda w: w.room.update_subscriptions("bob", track_sids=w.cam, subscribe=False),
        InvalidType,
        IT,
        "must be a tuple of str",
    ),
    Case(
        "update_subscriptions.type",
        "entry",
        lambda w: w.room.update_subscriptions("bob", track_sids=(1,), subscribe=False),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be a str",
    ),
    Case(
        "update_subscriptions.track",
        "unknown",
        lambda w: w.room.update_subscriptions("bob", track_sids=(w.cam, "TR_99"), subscribe=False),
        UnknownTrack,
        "not_found",
        "publish_track() returned",
    ),
    Case(
        "update_subscriptions.own",
        "own",
        lambda w: w.room.update_subscriptions("bob", track_sids=(w.cam, w.bcam), subscribe=False),
        InvalidArgument,
        IA,
        "leave it out",
    ),
    Case(
        "set_track_subscription_permissions.type",
        "all",
        lambda w: w.alice.set_track_subscription_permissions(all_participants="no"),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be a bool",
    ),
    Case(
        "set_track_subscription_permissions.type",
        "allowed-list",
        lambda w: w.alice.set_track_subscription_permissions(
            all_participants=False,
            allowed=["bob"],  # type: ignore[arg-type]
        ),
        InvalidType,
        IT,
        "must map identities",
    ),
    Case(
        "set_track_subscription_permissions.type",
        "sids-str",
        lambda w: w.alice.set_track_subscription_permissions(
            all_participants=False, allowed={"bob": w.cam}
        ),
        InvalidType,
        IT,
        "tuple of track sids or None",
    ),
    Case(
        "set_track_subscription_permissions.type",
        "key",
        lambda w: w.alice.set_track_subscription_permissions(
            all_participants=False,
            allowed={1: None},  # type: ignore[dict-item]
        ),
        InvalidType,
        IT,
        "must be a str",
    ),
    Case(
        "set_track_subscription_permissions.identity",
        "empty",
        lambda w: w.alice.set_track_subscription_permissions(
            all_participants=False, allowed={"": None}
        ),
        InvalidArgument,
        IA,
        "non-empty",
    ),
    # data
    Case(
        "send_data.type",
        "int",
        lambda w: w.alice.send_data(123),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be bytes or str",
    ),
    Case(
        "send_data.type",
        "topic",
        lambda w: w.alice.send_data(b"x", topic=b"chat"),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be a str",
    ),
    Case(
        "send_data.type",
        "destinations-str",
        lambda w: w.alice.send_data(b"x", destination_identities="bob"),
        InvalidType,
        IT,
        "must be a tuple of identities",
    ),
    Case(
        "send_data.type",
        "server-destination",
        lambda w: w.room.send_data(b"x", destination_identities=[None]),  # type: ignore[list-item]
        InvalidType,
        IT,
        "must be a str",
    ),
    # the media layer
    Case(
        "set_stream_state.type",
        "state",
        lambda w: w.room.set_stream_state("bob", w.cam, "paused"),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "StreamState.PAUSED",
    ),
    Case(
        "set_stream_state.type",
        "sid",
        lambda w: w.room.set_stream_state("bob", 1, StreamState.PAUSED),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be a str",
    ),
    Case(
        "set_stream_state.state",
        "unknown",
        lambda w: w.room.set_stream_state("bob", w.cam, StreamState.UNKNOWN),
        InvalidArgument,
        IA,
        "StreamState.ACTIVE or StreamState.PAUSED",
    ),
    Case(
        "set_stream_state.track",
        "unknown",
        lambda w: w.room.set_stream_state("bob", "TR_99", StreamState.PAUSED),
        UnknownTrack,
        "not_found",
        "publish_track() returned",
    ),
    Case(
        "set_stream_state.audio",
        "mic",
        lambda w: w.room.set_stream_state("bob", w.mic, StreamState.PAUSED),
        InvalidArgument,
        IA,
        "video tracks only",
    ),
    Case(
        "set_stream_state.not_subscribed",
        "agent",
        lambda w: w.room.set_stream_state("dave", w.cam, StreamState.PAUSED),
        IllegalState,
        FP,
        "applies to a subscribed video track",
    ),
    Case(
        "push_audio.samples",
        "str",
        lambda w: w.alice.push_audio(w.mic, "loud"),
        InvalidType,
        IT,
        "int16 PCM",
    ),
    Case(
        "push_audio.samples",
        "odd-bytes",
        lambda w: w.alice.push_audio(w.mic, b"\x00"),
        InvalidArgument,
        IA,
        "2 bytes each",
    ),
    Case(
        "push_audio.format",
        "rate",
        lambda w: w.alice.push_audio(w.mic, b"", sample_rate=22050),
        InvalidArgument,
        IA,
        "a multiple of 100",
    ),
    Case(
        "push_audio.track",
        "video",
        lambda w: w.alice.push_audio(w.cam, b"\x00\x00"),
        InvalidArgument,
        IA,
        "audio goes to an audio track",
    ),
    Case(
        "push_audio.track",
        "unknown",
        lambda w: w.alice.push_audio("TR_99", b"\x00\x00"),
        UnknownTrack,
        "NOT_FOUND",
        "its tracks:",
    ),
    Case(
        "receive_audio.not_subscribed",
        "dave",
        lambda w: w.dave.receive_audio(w.mic),
        IllegalState,
        FP,
        "subscribe first",
    ),
    Case(
        "set_audio_levels.type",
        "list",
        lambda w: w.room.set_audio_levels([("alice", 0.5)]),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "takes a mapping",
    ),
    Case(
        "set_audio_levels.type",
        "str-level",
        lambda w: w.room.set_audio_levels({"alice": "0.5"}),  # type: ignore[dict-item]
        InvalidType,
        IT,
        "must be a number in [0, 1]",
    ),
    Case(
        "set_audio_levels.type",
        "bool-level",
        lambda w: w.room.set_audio_levels({"alice": True}),
        InvalidType,
        IT,
        "must be a number in [0, 1]",
    ),
    Case(
        "set_audio_levels.range",
        "nan",
        lambda w: w.room.set_audio_levels({"alice": 0.5, "bob": NAN}),
        InvalidArgument,
        IA,
        "linear in [0, 1]",
    ),
    Case(
        "set_audio_levels.range",
        "negative",
        lambda w: w.room.set_audio_levels({"alice": -0.0001}),
        InvalidArgument,
        IA,
        "linear in [0, 1]",
    ),
    Case(
        "set_connection_quality.type",
        "str",
        lambda w: w.room.set_connection_quality("bob", "poor"),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "ConnectionQuality.POOR",
    ),
    Case(
        "set_connection_quality.unknown",
        "unknown",
        lambda w: w.room.set_connection_quality("bob", ConnectionQuality.UNKNOWN),
        InvalidArgument,
        IA,
        "takes POOR, GOOD, EXCELLENT or LOST",
    ),
    # time
    Case(
        "advance.type",
        "str",
        lambda w: w.room.advance("1"),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "takes a number of seconds",
    ),
    Case(
        "advance.type",
        "bool",
        lambda w: w.room.advance(True),
        InvalidType,
        IT,
        "takes a number of seconds",
    ),
    Case(
        "advance.range",
        "negative",
        lambda w: w.room.advance(-0.5),
        InvalidArgument,
        IA,
        "finite number of seconds >= 0",
    ),
    Case(
        "advance.range",
        "nan",
        lambda w: w.room.advance(NAN),
        InvalidArgument,
        IA,
        "finite number of seconds >= 0",
    ),
    Case(
        "advance.range",
        "inf",
        lambda w: w.room.advance(math.inf),
        InvalidArgument,
        IA,
        "finite number of seconds >= 0",
    ),
    # handlers
    Case(
        "on.event",
        "unknown",
        lambda w: w.alice.on("participant_joined", _noop),
        InvalidArgument,
        IA,
        "known names:",
    ),
    Case(
        "on.event",
        "int",
        lambda w: w.alice.on(5, _noop),  # type: ignore[call-overload]
        InvalidArgument,
        IA,
        "take an event name such as",
    ),
    Case(
        "on.event",
        "off-unknown",
        lambda w: w.alice.off("nope", _noop),
        InvalidArgument,
        IA,
        "known names:",
    ),
    Case(
        "on.handler",
        "not-callable",
        lambda w: w.alice.on("participant_connected", 5),  # type: ignore[call-overload]
        InvalidArgument,
        IA,
        "needs a callable",
    ),
    Case(
        "on.handler",
        "coroutine",
        lambda w: w.alice.on("participant_connected", _coroutine),
        InvalidArgument,
        IA,
        "wrap it",
    ),
    Case(
        "off.handler",
        "never-registered",
        lambda w: w.alice.off("participant_connected", _noop),
        InvalidArgument,
        IA,
        "the same function",
    ),
    Case(
        "events.no_history",
        "keep-events-false",
        lambda w: w.dave.events,
        IllegalState,
        FP,
        "use next_event() or drain()",
    ),
    # constructors
    Case("room.type", "name", lambda w: Room(b"r"), InvalidType, IT, "must be a str"),  # type: ignore[arg-type]
    Case(
        "room.type",
        "config",
        lambda w: Room("r", config={}),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be a RoomConfig",
    ),
    Case(
        "room.type",
        "clock",
        lambda w: Room("r", clock=0.0),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be a ManualClock",
    ),
    Case(
        "room.type",
        "keep-log",
        lambda w: Room("r", keep_log=1),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be a bool",
    ),
    Case("room.name", "empty", lambda w: Room(""), InvalidArgument, IA, "non-empty"),
    Case(
        "room.name_limit",
        "utf8",
        lambda w: Room("é" * 128 + "x"),
        LimitExceeded,
        IA,
        "shorten it",
    ),
    Case(
        "room_config.type",
        "float-int",
        lambda w: RoomConfig(max_participants=1.0),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be an int",
    ),
    Case(
        "room_config.type",
        "bool",
        lambda w: RoomConfig(enable_remote_unmute=1),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "must be a bool",
    ),
    Case(
        "room_config.type",
        "seconds",
        lambda w: RoomConfig(empty_timeout="300"),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "takes a number of seconds",
    ),
    Case(
        "room_config.range",
        "negative",
        lambda w: RoomConfig(max_participants=-1),
        InvalidArgument,
        IA,
        "must be between 0 (unlimited)",
    ),
    Case(
        "room_config.range",
        "uint32",
        lambda w: RoomConfig(empty_timeout=5e9),
        InvalidArgument,
        IA,
        "at most 4294967295 seconds",
    ),
    Case(
        "room_config.range",
        "tiny-interval",
        lambda w: RoomConfig(quality_interval=1e-320),
        InvalidArgument,
        IA,
        "0 (at once) or between",
    ),
    Case(
        "room_config.range",
        "nan",
        lambda w: RoomConfig(departure_timeout=NAN),
        InvalidArgument,
        IA,
        "finite number of seconds >= 0",
    ),
    Case(
        "room_config.range",
        "handler-errors",
        lambda w: RoomConfig(handler_errors="ignore"),
        InvalidArgument,
        IA,
        "must be 'raise' or 'log'",
    ),
    Case(
        "permission.type",
        "flag",
        lambda w: Permission(can_publish=1),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "pass True or False",
    ),
    Case(
        "permission.type",
        "sources-str",
        lambda w: Permission(can_publish_sources="camera"),
        InvalidType,
        IT,
        "pass e.g. (TrackSource.MICROPHONE,)",
    ),
    Case(
        "permission.type",
        "sources-entry",
        lambda w: Permission(can_publish_sources=("camera",)),
        InvalidType,
        IT,
        "e.g. TrackSource.CAMERA",
    ),
    Case(
        "clock.range",
        "negative",
        lambda w: ManualClock(-1.0),
        InvalidArgument,
        IA,
        "finite number of seconds >= 0",
    ),
    Case("clock.range", "nan", lambda w: ManualClock(NAN), InvalidArgument, IA, "finite number"),
    Case(
        "from_snapshot.type",
        "room",
        lambda w: Room.from_snapshot(w.room),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "room.snapshot()",
    ),
    Case(
        "from_snapshot.clock",
        "elsewhere",
        lambda w: Room.from_snapshot(w.room.snapshot(), clock=ManualClock(5.0)),
        InvalidArgument,
        IA,
        "ManualClock standing at",
    ),
    Case(
        "from_snapshot.inconsistent",
        "reordered",
        lambda w: Room.from_snapshot(
            attrs.evolve(
                w.room.snapshot(), participants=tuple(reversed(w.room.snapshot().participants))
            )
        ),
        InvalidArgument,
        IA,
        "fork from an unmodified snapshot",
    ),
    # scenario files
    Case(
        "scenario.source",
        "int",
        lambda w: scenario.replay(42),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "a path or a text file",
    ),
    Case("scenario.line", "not-json", _replay("not json\n"), InvalidArgument, IA, "line 1:"),
    Case("scenario.line", "empty", _replay(""), InvalidArgument, IA, "header line such as"),
    Case(
        "scenario.line",
        "no-header",
        _replay('{"mutation": "Connect", "identity": "a"}\n'),
        InvalidArgument,
        IA,
        "header line such as",
    ),
    Case(
        "scenario.line",
        "newer",
        _replay('{"roomsim": 99, "room": "r"}\n'),
        InvalidArgument,
        IA,
        "upgrade roomsim",
    ),
    Case(
        "scenario.line",
        "unknown-mutation",
        _replay(HEADER + '{"mutation": "Kick", "identity": "a"}\n'),
        InvalidArgument,
        IA,
        "line 2: unknown mutation 'Kick'; roomsim.mutations has",
    ),
    Case(
        "scenario.line",
        "missing-field",
        _replay(HEADER + "\n" + '{"mutation": "SetName", "identity": "a"}\n'),
        InvalidArgument,
        IA,
        "line 3:",
    ),
    Case(
        "scenario.line",
        "wrong-type",
        _replay(HEADER + '{"mutation": "SetName", "identity": "a", "name": 5}\n'),
        InvalidArgument,
        IA,
        "line 2:",
    ),
    Case(
        "scenario.line",
        "nan",
        _replay(HEADER + '{"mutation": "Advance", "dt": NaN}\n'),
        InvalidArgument,
        IA,
        "numbers must be finite",
    ),
    Case(
        "scenario.line",
        "array",
        _replay(HEADER + "[1, 2]\n"),
        InvalidArgument,
        IA,
        "line 2: must be a JSON object",
    ),
    Case(
        "scenario.line",
        "not-utf8",
        lambda w: scenario.replay(io.BytesIO(HEADER.encode() + b'{"comment": "\xff"}\n')),  # type: ignore[arg-type]
        InvalidArgument,
        IA,
        "line 2: is not UTF-8",
    ),
    Case(
        "scenario.line",
        "bad-config",
        _replay('{"roomsim": 1, "room": "r", "config": {"max_participants": -1}}\n'),
        InvalidArgument,
        IA,
        "line 1:",
    ),
    Case(
        "scenario.replay",
        "refused",
        _replay(HEADER + '{"mutation": "Disconnect", "identity": "ghost"}\n'),
        InvalidArgument,
        IA,
        "line 2: Disconnect is refused on replay",
    ),
    Case(
        "scenario.replay",
        "room",
        _replay('{"roomsim": 1, "room": "' + "x" * 300 + '"}\n'),
        InvalidArgument,
        IA,
        "line 1: the room can't be made",
    ),
    Case(
        "scenario.dump",
        "not-a-room",
        lambda w: scenario.dump(5, io.StringIO()),  # type: ignore[arg-type]
        InvalidType,
        IT,
        "takes a Room",
    ),
    Case(
        "scenario.dump",
        "events-of-unknown",
        lambda w: scenario.dump(w.room, io.StringIO(), events_of=("ghost",)),
        InvalidArgument,
        IA,
        "clients: 'carol', 'alice'",
    ),
    Case(
        "scenario.no_log",
        "keep-log-false",
        lambda w: scenario.dump(Room("x", keep_log=False), io.StringIO()),
        IllegalState,
        FP,
        "keep_log=True",
    ),
    Case(
        "scenario.mismatch",
        "wrong-event",
        lambda w: scenario.check(
            io.StringIO(
                '{"roomsim": 1, "room": "r", "events_of": ["bob"]}\n'
                '{"mutation": "Connect", "identity": "bob"}\n'
                '{"to": "bob", "event": "room_metadata_changed", '
                '"old_metadata": "", "new_metadata": "x"}\n'
            )
        ),
        scenario.EventsMismatch,
        None,
        "room_metadata_changed",
    ),
    # fault verbs (faults §10; roomsim._raise_sites_faults)
    Case(
        "interrupt.reconnecting",
        "again",
        lambda w: w.room.interrupt("alice"),
        IllegalState,
        FP,
        "resume('alice')",
        setup=lambda w: w.room.interrupt("alice"),
    ),
    Case(
        "interrupt.held",
        "JOINED",
        lambda w: w.room.interrupt("held"),
        IllegalState,
        FP,
        "activate() it first",
        setup=lambda w: _held(w),
    ),
    Case(
        "interrupt.resume_after",
        "past the give-up time",
        lambda w: w.room.interrupt("alice", kind=InterruptKind.NETWORK, resume_after=44.3),
        InvalidArgument,
        IA,
        "resume sooner",
    ),
    Case(
        "resume.connected",
        "connected",
        lambda w: w.room.resume("alice"),
        IllegalState,
        FP,
        "interrupt() it first",
    ),
    Case(
        "resume.gave_up",
        "gave up",
        lambda w: w.room.resume("alice"),
        IllegalState,
        FP,
        "connect it again",
        setup=lambda w: _gave_up(w),
    ),
    Case(
        "resume.replaced",
        "a new session took the identity",
        lambda w: w.room.resume("alice"),
        IllegalState,
        FP,
        "let it give up",
        setup=lambda w: _replaced(w),
    ),
    Case(
        "reconnect.gave_up",
        "gave up",
        lambda w: w.room.reconnect("alice"),
        IllegalState,
        FP,
        "connect it again",
        setup=lambda w: _gave_up(w),
    ),
    Case(
        "reconnect.no_client",
        "fork without the client",
        lambda w: w.room.reconnect("bob"),
        IllegalState,
        FP,
        "connect it again",
        setup=lambda w: _fork_without_bob(w),
    ),
    Case(
        "reconnect.held",
        "JOINED",
        lambda w: w.room.reconnect("held"),
        IllegalState,
        FP,
        "activate() it first",
        setup=lambda w: _held(w),
    ),
]

#: ids with a test of their own below (their state changes, or the room must be corrupted)
CASES += [Case(*c) for c in RPC_CASES]  # RPC and data streams
CASES += [Case(*c) for c in MOVE_CASES]  # move_participant (faults §5)

SPECIAL_IDS = {
    "dispatch.handler",
    "advance.in_handler",
    "invariants.broken",
    *RPC_SPECIAL_IDS,
    *MOVE_SPECIAL_IDS,
}


def _param(c: Case) -> Any:
    return pytest.param(c, id=f"{c.id}/{c.label}")


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_raise_site_is_clean(case: Case) -> None:
    w = world()
    if case.setup is not None:
        case.setup(w)
    before = [r.snapshot() for r in (w.room, *w.others)]
    with pytest.raises(case.cls) as info:
        case.trigger(w)
    assert_error(info.value, case.cls, case.code)
    assert [r.snapshot() for r in (w.room, *w.others)] == before
    still_usable(w.room)


def _fix_param(c: Case) -> Any:
    marks = []
    if c.fix is None:
        marks.append(
            pytest.mark.xfail(
                strict=True, reason="roomsim bug: the message does not say how to fix it"
            )
        )
    return pytest.param(c, id=f"{c.id}/{c.label}", marks=marks)


@pytest.mark.parametrize("case", [_fix_param(c) for c in CASES])
def test_message_says_how_to_fix(case: Case) -> None:
    w = world()
    if case.setup is not None:
        case.setup(w)
    with pytest.raises(case.cls) as info:
        case.trigger(w)
    message = str(info.value)
    # the what and the why: a sentence, not a bare repr
    assert len(message) > 20, message
    assert case.fix is not None, f"no fix named in: {message}"
    assert case.fix in message, message


def test_the_room_name_limit_names_the_right_fix() -> None:
    with pytest.raises(LimitExceeded) as info:
        Room("é" * 128 + "x", config=RoomConfig(max_identity_length=1024))
    assert "max_identity_length" not in str(info.value)


def test_a_raising_handler_applies_the_mutation() -> None:
    """``dispatch.handler``: the one error raised after a commit; the state did change."""
    w = world()

    def boom(e: Event) -> None:
        raise RuntimeError("handler broke")

    w.bob.on("room_metadata_changed", boom)
    with pytest.raises(HandlerError) as info:
        w.room.update_room_metadata("new")
    err = info.value
    assert_error(err, HandlerError, "handler_error")
    assert w.room.metadata == "new"
    assert [(f.client, f.event.name) for f in err.failures] == [("bob", "room_metadata_changed")]
    assert isinstance(err.__cause__, RuntimeError)
    assert "the mutation was applied" in str(err)
    assert [e.name for e in w.alice.drain()] == ["room_metadata_changed"]
    w.bob.off("room_metadata_changed", boom)
    still_usable(w.room)


def test_advance_inside_a_handler_changes_nothing() -> None:
    """``advance.in_handler``: refused inside dispatch, with nothing changed."""
    w = world()
    seen: list[tuple[BaseException, bool]] = []

    def advance(e: Event) -> None:
        before = w.room.snapshot()
        try:
            w.room.advance(1.0)
        except IllegalState as exc:
            seen.append((exc, w.room.snapshot() == before))

    w.bob.on("room_metadata_changed", advance)
    now = w.room.now
    w.room.update_room_metadata("new")
    [(exc, unchanged)] = seen
    assert_error(exc, IllegalState, FP)
    assert "advance after the verb returns" in str(exc)
    assert unchanged
    assert w.room.now == now
    still_usable(w.room)


def test_a_broken_invariant_raises_internal_error() -> None:
    """``invariants.broken``: check_invariants names the invariant (the room is corrupted here
    on purpose: no public input breaks one)."""
    w = world()
    check_invariants(w.room)
    w.room._server.track_owner["TR_99"] = "alice"
    with pytest.raises(InternalError) as info:
        check_invariants(w.room)
    assert_error(info.value, InternalError, "internal")
    assert "this is a roomsim bug" in str(info.value)


def test_every_documented_raise_site_has_a_case_and_back() -> None:
    documented = documented_ids()
    assert len(documented) == len(set(documented)), "an id appears twice in errors.md"
    tested = {c.id for c in CASES} | SPECIAL_IDS
    assert set(documented) - tested == set(), "documented raise sites without a test case"
    assert tested - set(documented) == set(), "test cases for raise sites errors.md lacks"


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_the_table_documents_each_case(case: Case) -> None:
    """Each case raises a class the raise-site table lists for its id, with the table's code
    (a site whose code depends on the path documents none)."""
    site = SITES_BY_ID[case.id]
    if not site.errors:  # not a RoomsimError (scenario.EventsMismatch, RpcError): the note
        assert f"{case.cls.__name__}`" in site.note
        return
    assert case.cls in site.errors, f"{case.cls.__name__} is not listed for {site.id}"
    if site.code is not None:
        assert case.code == site.code, f"{case.id}/{case.label}: code {case.code!r}"
