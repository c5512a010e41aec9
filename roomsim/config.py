"""``RoomConfig``: the server and room settings roomsim honours."""

from __future__ import annotations

from typing import Any, final

import attrs

from roomsim.errors import InvalidArgument, InvalidType

__all__ = ["RoomConfig"]


def _nonneg_int(inst: Any, a: attrs.Attribute[Any], v: Any) -> None:
    if type(v) is not int:
        raise InvalidType(
            f"RoomConfig.{a.name} must be an int, got {v!r} (type {type(v).__name__})"
        )
    if v < 0:
        raise InvalidArgument(f"RoomConfig.{a.name} must be >= 0 (0 means unlimited), got {v!r}")


def _nonneg_float(inst: Any, a: attrs.Attribute[Any], v: Any) -> None:
    from roomsim._validate import check_finite_nonneg

    if check_finite_nonneg(v, f"RoomConfig.{a.name}") > 1e12:
        raise InvalidArgument(f"RoomConfig.{a.name} must be at most 1e12 seconds, got {v!r}")


def _bool(inst: Any, a: attrs.Attribute[Any], v: Any) -> None:
    if type(v) is not bool:
        raise InvalidType(
            f"RoomConfig.{a.name} must be a bool, got {v!r} (type {type(v).__name__})"
        )


def _handler_errors(inst: Any, a: attrs.Attribute[Any], v: Any) -> None:
    if v not in ("raise", "log") or type(v) is not str:
        raise InvalidArgument(f"RoomConfig.handler_errors must be 'raise' or 'log', got {v!r}")


@final
@attrs.frozen(kw_only=True)
class RoomConfig:
    """Settings of one room; the defaults are LiveKit's (server §1, §4, §5, §7, §8).

    Sizes are UTF-8 bytes and inclusive; a limit of 0 means unlimited, as in LiveKit.
    """

    #: 0 means unlimited; agents and egress are not counted (server §4)
    max_participants: int = attrs.field(default=0, validator=_nonneg_int)
    #: seconds a room nobody ever joined stays open
    empty_timeout: float = attrs.field(default=300.0, validator=_nonneg_float)
    #: seconds a room stays open after the last non-dependent participant left
    departure_timeout: float = attrs.field(default=20.0, validator=_nonneg_float)
    #: seconds a participant may stay JOINING/JOINED before it is removed (JOIN_FAILURE)
    join_timeout: float = attrs.field(default=60.0, validator=_nonneg_float)
    #: whether the server API may unmute a participant's track
    enable_remote_unmute: bool = attrs.field(default=False, validator=_bool)
    #: the default for participants that do not choose
    auto_subscribe: bool = attrs.field(default=True, validator=_bool)
    #: bytes of participant or room metadata (LiveKit ``limit.max_metadata_size``)
    max_metadata_size: int = attrs.field(default=512 * 1024, validator=_nonneg_int)
    #: bytes of one attribute update: the sum of keys and values (``max_attributes_size``)
    max_attributes_size: int = attrs.field(default=64 * 1024, validator=_nonneg_int)
    #: bytes of a participant's name (``max_participant_name_length``)
    max_name_length: int = attrs.field(default=256, validator=_nonneg_int)
    #: bytes of an identity (``max_participant_identity_length``)
    max_identity_length: int = attrs.field(default=256, validator=_nonneg_int)
    #: seconds between active-speaker updates
    speaker_interval: float = attrs.field(default=0.4, validator=_nonneg_float)
    #: seconds between connection-quality updates; 0 sends them at once
    quality_interval: float = attrs.field(default=5.0, validator=_nonneg_float)
    #: "raise": a verb whose handlers raised raises HandlerError; "log": log, as livekit.rtc does
    handler_errors: str = attrs.field(default="raise", validator=_handler_errors)
