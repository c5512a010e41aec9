"""Every place roomsim raises, as data: ``docs/reference/errors.md`` is generated from this
table (``python -m roomsim._docgen``), ``tests/reliability/test_raise_sites.py`` has a case per
id, and ``roomsim.strategies.invalid_mutations`` draws only refusals listed here.

Each row has a stable ``id``; ``where`` and ``when`` are the page's Markdown.
"""

from __future__ import annotations

from typing import Final, final

import attrs

from roomsim._raise_sites_faults import FAULT_ROWS
from roomsim._raise_sites_move import MOVE_ROWS
from roomsim._raise_sites_rpc import RPC_ROWS
from roomsim.errors import (
    ClientDisconnected,
    HandlerError,
    IllegalState,
    InternalError,
    InvalidArgument,
    InvalidType,
    LimitExceeded,
    PermissionDenied,
    RoomClosed,
    RoomFull,
    RoomsimError,
    UnknownParticipant,
    UnknownTrack,
)

__all__ = ["RAISE_SITES", "SITES_BY_ID", "RaiseSite"]


@final
@attrs.frozen
class RaiseSite:
    """One place roomsim raises: what raises it, which error, and when."""

    #: a stable id, ``family.what`` (``set_name.limit``)
    id: str
    #: the verbs or mutations that raise it (Markdown)
    where: str
    #: the error classes raised there (empty: not a ``RoomsimError``)
    errors: tuple[type[RoomsimError], ...]
    #: the ``code`` the error carries, or None when it depends on the path
    code: str | None
    #: when it is raised (Markdown)
    when: str
    #: the error column of the page, when the classes and code do not say it all
    note: str = ""


def _site(
    id: str,
    where: str,
    errors: tuple[type[RoomsimError], ...],
    code: str | None,
    when: str,
    note: str = "",
) -> RaiseSite:
    return RaiseSite(id, where, errors, code, when, note)


RAISE_SITES: Final[tuple[RaiseSite, ...]] = (
    _site(
        "apply.type",
        "`Room.apply`",
        (InvalidType,),
        "invalid_argument",
        "the argument is not a roomsim mutation (nor the `Mutation` base)",
    ),
    _site(
        "apply.closed",
        "any mutation but `Advance`",
        (RoomClosed,),
        "ROOM_CLOSED",
        "the room closed (timeout or `delete()`)",
    ),
    _site(
        "client.disconnected",
        "any client verb (`activate`, `disconnect`, `set_*`, `publish_track`, …)",
        (ClientDisconnected,),
        "DISCONNECTED",
        (
            "the client's session ended (left, removed, replaced, timed out, room closed); "
            "checked before `apply.closed`"
        ),
    ),
    _site(
        "string.utf8",
        (
            "any mutation or constructor taking a `str` (identity, name, metadata, attributes, "
            "topic, sids, …)"
        ),
        (InvalidArgument,),
        "invalid_argument",
        "a lone surrogate: the text is not UTF-8, which LiveKit's strings must be",
    ),
    _site(
        "identity.type",
        (
            "any mutation naming a participant (`identity`, `SendData.sender`, a key of "
            "`set_audio_levels`)"
        ),
        (InvalidType,),
        "invalid_argument",
        "not a `str`",
    ),
    _site(
        "identity.empty",
        "the same",
        (InvalidArgument,),
        "invalid_argument",
        '`""`',
    ),
    _site(
        "identity.unknown",
        (
            "server verbs, `set_audio_levels`, `set_connection_quality`, `set_stream_state`, "
            "and a client mutation applied with `Room.apply`"
        ),
        (UnknownParticipant,),
        "not_found",
        "no such identity in the room (never joined, left, replaced away)",
    ),
    _site(
        "connect.identity",
        "`connect`",
        (InvalidArgument, InvalidType),
        None,
        "an empty identity / one that is not a `str`",
    ),
    _site(
        "connect.type",
        "`connect`",
        (InvalidType,),
        "invalid_argument",
        (
            "a claim of the wrong type (`name`, `metadata`, `attributes` and their keys and "
            "values, `kind`, `kind_details`, `permission`, `active`, `auto_subscribe`, "
            "`keep_events`)"
        ),
    ),
    _site(
        "connect.limit",
        "`connect`",
        (LimitExceeded,),
        "invalid_argument",
        "identity, name, metadata or token attributes over their limit",
    ),
    _site(
        "connect.full",
        "`connect`",
        (RoomFull,),
        "JOIN_FAILURE",
        (
            "`max_participants` reached (agents and egress are exempt; a replaced session does "
            "not count)"
        ),
    ),
    _site(
        "set_name.type",
        "`set_name`",
        (InvalidType,),
        "invalid_argument",
        "the name is not a `str`",
    ),
    _site(
        "set_name.permission",
        "`set_name`",
        (PermissionDenied,),
        "NOT_ALLOWED",
        "no `can_update_metadata`",
    ),
    _site(
        "set_name.limit",
        "`set_name`",
        (LimitExceeded,),
        "LIMIT_EXCEEDED",
        "over `max_name_length`",
    ),
    _site(
        "set_metadata.type",
        "`set_metadata`",
        (InvalidType,),
        "invalid_argument",
        "the metadata is not a `str`",
    ),
    _site(
        "set_metadata.permission",
        "`set_metadata`",
        (PermissionDenied,),
        "NOT_ALLOWED",
        "no `can_update_metadata`",
    ),
    _site(
        "set_metadata.limit",
        "`set_metadata`",
        (LimitExceeded,),
        "LIMIT_EXCEEDED",
        "over `max_metadata_size`",
    ),
    _site(
        "set_attributes.type",
        "`set_attributes`",
        (InvalidType,),
        "invalid_argument",
        "not a mapping, or a key or value that is not a `str`",
    ),
    _site(
        "set_attributes.permission",
        "`set_attributes`",
        (PermissionDenied,),
        "NOT_ALLOWED",
        "no `can_update_metadata`",
    ),
    _site(
        "set_attributes.limit",
        "`set_attributes`",
        (LimitExceeded,),
        "LIMIT_EXCEEDED",
        "the update (keys plus values) over `max_attributes_size`",
    ),
    _site(
        "update_participant.type",
        "`update_participant`",
        (InvalidType,),
        "invalid_argument",
        "a name, metadata, attributes or permission of the wrong type",
    ),
    _site(
        "update_participant.limit",
        "`update_participant`",
        (LimitExceeded,),
        "invalid_argument",
        "name, then metadata, then attributes over the limit (checked before the lookup)",
    ),
    _site(
        "update_participant.hidden",
        "`update_participant`",
        (IllegalState,),
        "failed_precondition",
        "the permission would toggle `hidden`",
    ),
    _site(
        "update_room_metadata.type",
        "`update_room_metadata`",
        (InvalidType,),
        "invalid_argument",
        "not a `str`",
    ),
    _site(
        "update_room_metadata.limit",
        "`update_room_metadata`",
        (LimitExceeded,),
        "invalid_argument",
        "over `max_metadata_size`",
    ),
    _site(
        "publish_track.type",
        "`publish_track`",
        (InvalidType,),
        "invalid_argument",
        (
            "a kind or source that is not a `TrackKind` / `TrackSource`, a name not a `str`, "
            "`muted` not a `bool`"
        ),
    ),
    _site(
        "publish_track.permission",
        "`publish_track`",
        (PermissionDenied,),
        "NOT_ALLOWED",
        "no `can_publish`",
    ),
    _site(
        "publish_track.source",
        "`publish_track`",
        (PermissionDenied,),
        "NOT_ALLOWED",
        "the source not in a non-empty `can_publish_sources`",
    ),
    _site(
        "unpublish_track.type",
        "`unpublish_track`",
        (InvalidType,),
        "invalid_argument",
        "the sid is not a `str`",
    ),
    _site(
        "unpublish_track.unknown",
        "`unpublish_track`",
        (UnknownTrack,),
        "NOT_FOUND",
        "not one of the participant's tracks",
    ),
    _site(
        "set_track_muted.type",
        "`set_track_muted`",
        (InvalidType,),
        "invalid_argument",
        "the sid is not a `str`, `muted` not a `bool`",
    ),
    _site(
        "set_track_muted.unknown",
        "`set_track_muted`",
        (UnknownTrack,),
        "NOT_FOUND",
        "not one of the participant's tracks",
    ),
    _site(
        "mute_published_track.type",
        "`mute_published_track`",
        (InvalidType,),
        "invalid_argument",
        "the sid is not a `str`, `muted` not a `bool`",
    ),
    _site(
        "mute_published_track.unmute",
        "`mute_published_track`",
        (IllegalState,),
        "failed_precondition",
        "an unmute for a present participant without `RoomConfig(enable_remote_unmute=True)` "
        "(checked after the participant's lookup, before the track's: client §16.13)",
    ),
    _site(
        "set_subscribed.type",
        "`set_subscribed`",
        (InvalidType,),
        "invalid_argument",
        "a publisher or sid not a `str`, `subscribed` not a `bool`",
    ),
    _site(
        "set_subscribed.publisher",
        "`set_subscribed`",
        (UnknownParticipant,),
        "NOT_FOUND",
        "an unknown or hidden publisher",
    ),
    _site(
        "set_subscribed.own",
        "`set_subscribed`",
        (InvalidArgument,),
        "invalid_argument",
        "the client's own track",
    ),
    _site(
        "set_subscribed.track",
        "`set_subscribed`",
        (UnknownTrack,),
        "NOT_FOUND",
        "not one of the publisher's tracks",
    ),
    _site(
        "update_subscriptions.type",
        "`update_subscriptions`",
        (InvalidType,),
        "invalid_argument",
        ("`track_sids` not a tuple (the verb takes a list too) of `str`, `subscribe` not a `bool`"),
    ),
    _site(
        "update_subscriptions.track",
        "`update_subscriptions`",
        (UnknownTrack,),
        "not_found",
        "a sid no participant publishes",
    ),
    _site(
        "update_subscriptions.own",
        "`update_subscriptions`",
        (InvalidArgument,),
        "invalid_argument",
        "the participant's own track",
    ),
    _site(
        "set_track_subscription_permissions.type",
        "`set_track_subscription_permissions`",
        (InvalidType,),
        "invalid_argument",
        (
            "`all_participants` not a `bool`; `allowed` not a mapping of `str` to a sequence "
            "of `str` or `None`"
        ),
    ),
    _site(
        "set_track_subscription_permissions.identity",
        "`set_track_subscription_permissions`",
        (InvalidArgument,),
        "invalid_argument",
        "an empty identity in `allowed`",
    ),
    _site(
        "send_data.type",
        "`send_data`",
        (InvalidType,),
        "invalid_argument",
        (
            "data not `bytes` or `str`, topic not a `str` or `None`, `reliable` not a `bool`, "
            "destinations not a sequence of `str`"
        ),
    ),
    _site(
        "set_stream_state.type",
        "`set_stream_state`",
        (InvalidType,),
        "invalid_argument",
        "the state not a `StreamState`, the sid not a `str`",
    ),
    _site(
        "set_stream_state.state",
        "`set_stream_state`",
        (InvalidArgument,),
        "invalid_argument",
        "`StreamState.UNKNOWN`",
    ),
    _site(
        "set_stream_state.track",
        "`set_stream_state`",
        (UnknownTrack,),
        "not_found",
        "a sid no participant publishes",
    ),
    _site(
        "set_stream_state.audio",
        "`set_stream_state`",
        (InvalidArgument,),
        "invalid_argument",
        "an audio track",
    ),
    _site(
        "set_stream_state.not_subscribed",
        "`set_stream_state`",
        (IllegalState,),
        "failed_precondition",
        "a track the participant is not subscribed to",
    ),
    _site(
        "set_audio_levels.type",
        "`set_audio_levels`",
        (InvalidType,),
        "invalid_argument",
        "not a mapping; a level that is not an `int` or `float` (`bool` included)",
    ),
    _site(
        "set_audio_levels.range",
        "`set_audio_levels`",
        (InvalidArgument,),
        "invalid_argument",
        "NaN, or outside [0, 1]",
    ),
    _site(
        "push_audio.samples",
        "`push_audio`",
        (InvalidType, InvalidArgument),
        "invalid_argument",
        "samples that are not int16 PCM (a `str`, a list, a buffer of another format) or not "
        "whole frames of the channels",
    ),
    _site(
        "push_audio.format",
        "`push_audio`",
        (InvalidArgument,),
        "invalid_argument",
        "a sample rate that is not whole 10 ms frames, channels outside 1..8, or a format other "
        "than the one of the track's first push",
    ),
    _site(
        "push_audio.track",
        "`push_audio`",
        (UnknownTrack, InvalidArgument),
        None,
        "not one of the participant's tracks (`NOT_FOUND`), or a video track",
    ),
    _site(
        "receive_audio.not_subscribed",
        "`receive_audio`",
        (IllegalState,),
        "failed_precondition",
        "a track the client is not subscribed to",
    ),
    _site(
        "set_connection_quality.type",
        "`set_connection_quality`",
        (InvalidType,),
        "invalid_argument",
        "not a `ConnectionQuality`",
    ),
    _site(
        "set_connection_quality.unknown",
        "`set_connection_quality`",
        (InvalidArgument,),
        "invalid_argument",
        "`ConnectionQuality.UNKNOWN`",
    ),
    _site(
        "advance.type",
        "`advance`",
        (InvalidType,),
        "invalid_argument",
        "not an `int` or `float` (`bool` included)",
    ),
    _site(
        "advance.range",
        "`advance`",
        (InvalidArgument,),
        "invalid_argument",
        "negative, NaN or infinite",
    ),
    _site(
        "advance.in_handler",
        "`advance`",
        (IllegalState,),
        "failed_precondition",
        "called inside a handler",
    ),
    _site(
        "dispatch.handler",
        "any verb",
        (HandlerError,),
        "handler_error",
        (
            "a handler raised; **the mutation was applied** and every event delivered "
            '(`RoomConfig(handler_errors="raise")`)'
        ),
    ),
    _site(
        "on.event",
        "`client.on`, `client.off`",
        (InvalidArgument,),
        "invalid_argument",
        "an unknown event name, or neither a name nor an event class",
    ),
    _site(
        "on.handler",
        "`client.on`",
        (InvalidArgument,),
        "invalid_argument",
        "the handler is not callable, or is a coroutine function",
    ),
    _site(
        "off.handler",
        "`client.off`",
        (InvalidArgument,),
        "invalid_argument",
        "the handler is not registered for that event",
    ),
    _site(
        "events.no_history",
        "`client.events`",
        (IllegalState,),
        "failed_precondition",
        "the client was connected with `keep_events=False`",
    ),
    _site(
        "room.type",
        "`Room(...)`",
        (InvalidType,),
        "invalid_argument",
        "a name, config, clock or `keep_log` of the wrong type",
    ),
    _site(
        "room.name",
        "`Room(...)`",
        (InvalidArgument,),
        "invalid_argument",
        "an empty name",
    ),
    _site(
        "room.name_limit",
        "`Room(...)`",
        (LimitExceeded,),
        "invalid_argument",
        "a name over 256 bytes",
    ),
    _site(
        "room_config.type",
        "`RoomConfig(...)`",
        (InvalidType,),
        "invalid_argument",
        "a setting of the wrong type",
    ),
    _site(
        "room_config.range",
        "`RoomConfig(...)`",
        (InvalidArgument,),
        "invalid_argument",
        (
            "negative, NaN or infinite; over 2**32 - 1 (LiveKit's uint32); a media interval "
            'between 0 and 1 ms; `handler_errors` not `"raise"` or `"log"`'
        ),
    ),
    _site(
        "permission.type",
        "`Permission(...)`",
        (InvalidType,),
        "invalid_argument",
        "a flag not a `bool`; `can_publish_sources` not an iterable of `TrackSource`",
    ),
    _site(
        "clock.range",
        "`ManualClock(...)`",
        (InvalidArgument,),
        "invalid_argument",
        "a start that is not a number, negative or NaN",
    ),
    _site(
        "from_snapshot.type",
        "`Room.from_snapshot`",
        (InvalidType,),
        "invalid_argument",
        "not a `RoomSnapshot`",
    ),
    _site(
        "from_snapshot.clock",
        "`Room.from_snapshot`",
        (InvalidArgument,),
        "invalid_argument",
        "a clock not standing at the snapshot's time",
    ),
    _site(
        "from_snapshot.inconsistent",
        "`Room.from_snapshot`",
        (InvalidArgument,),
        "invalid_argument",
        (
            "a snapshot no room gives (tampered: shared sids, sessions out of order, clients "
            "without their session); the fork is dropped and the clock keeps nothing of it"
        ),
    ),
    _site(
        "invariants.broken",
        "`roomsim.testing.check_invariants`",
        (InternalError,),
        "internal",
        "an invariant does not hold: a roomsim bug",
    ),
    _site(
        "scenario.source",
        "`scenario.load`, `replay`, `play`, `check`, `dump`",
        (InvalidType,),
        "invalid_argument",
        "neither a path nor a text file",
    ),
    _site(
        "scenario.line",
        "`scenario.load` (and everything that reads a file)",
        (InvalidArgument,),
        "invalid_argument",
        (
            "a malformed line (not UTF-8, not JSON, not an object, a bad header, an unknown "
            "mutation, field or value); the message starts `line N:`"
        ),
    ),
    _site(
        "scenario.replay",
        "`scenario.replay`, `play`, `check`",
        (InvalidArgument,),
        "invalid_argument",
        (
            "a recorded mutation is refused on replay, or the header's room can't be made; the "
            "message names the line"
        ),
    ),
    _site(
        "scenario.dump",
        "`scenario.dump`",
        (InvalidType, InvalidArgument),
        "invalid_argument",
        "not a `Room`; `events_of` not identities, or naming one that never connected",
    ),
    _site(
        "scenario.no_log",
        "`scenario.dump`",
        (IllegalState,),
        "failed_precondition",
        "the room was made with `keep_log=False`",
    ),
    _site(
        "scenario.mismatch",
        "`scenario.check`",
        (),
        None,
        "the replayed events differ from those the file records; the message is a diff",
        "`scenario.EventsMismatch` (an `AssertionError`, not a `RoomsimError`)",
    ),
    *(_site(*row) for row in RPC_ROWS),  # RPC and data streams
    *(_site(*row) for row in FAULT_ROWS),  # the fault verbs' sites (faults §10)
    *(_site(*row) for row in MOVE_ROWS),  # move_participant's sites (faults §5)
)

#: the sites by id
SITES_BY_ID: Final[dict[str, RaiseSite]] = {s.id: s for s in RAISE_SITES}
