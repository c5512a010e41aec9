"""``RoomConfig``: the server and room settings roomsim honours."""

from __future__ import annotations

from typing import Any, Final, final

import attrs

from roomsim._validate import check_finite_nonneg, show
from roomsim.errors import InvalidArgument, InvalidType

__all__ = ["RoomConfig"]


#: the largest count, size or timeout LiveKit's protocol can carry (uint32 fields of
#: ``CreateRoomRequest`` and the server's limits)
UINT32_MAX = 2**32 - 1
#: the shortest media update interval roomsim runs (a smaller one would run away in ticks)
MIN_INTERVAL = 0.001


NEVER = 2**63


def history_limit(keep: int) -> int:
    """The length at which a history kept to ``keep`` events is trimmed (0: never): a
    quarter more, so the list is cut once per ``keep // 4`` events, not on every event."""
    return keep + max(keep // 4, 64) if keep else NEVER


def _nonneg_int(inst: Any, a: attrs.Attribute[Any], v: Any) -> None:
    if type(v) is not int:
        raise InvalidType(
            f"RoomConfig.{a.name} must be an int, got {show(v)} (type {type(v).__name__})"
        )
    if not 0 <= v <= UINT32_MAX:
        raise InvalidArgument(
            f"RoomConfig.{a.name} must be between 0 (unlimited) and {UINT32_MAX} (LiveKit's "
            f"uint32), got {show(v)}"
        )


def _seconds(inst: Any, a: attrs.Attribute[Any], v: Any) -> None:
    """A timeout: a number of seconds in [0, 2**32 - 1], as LiveKit's uint32 seconds."""
    if check_finite_nonneg(v, f"RoomConfig.{a.name}") > UINT32_MAX:
        raise InvalidArgument(
            f"RoomConfig.{a.name} must be at most {UINT32_MAX} seconds (LiveKit's uint32), "
            f"got {show(v)}"
        )


def _interval(inst: Any, a: attrs.Attribute[Any], v: Any) -> None:
    """A media update interval: 0 (at once) or between 1 ms and 2**32 - 1 seconds."""
    f = check_finite_nonneg(v, f"RoomConfig.{a.name}")
    if f != 0 and not MIN_INTERVAL <= f <= UINT32_MAX:
        raise InvalidArgument(
            f"RoomConfig.{a.name} must be 0 (at once) or between {MIN_INTERVAL} and "
            f"{UINT32_MAX} seconds, got {show(v)}"
        )


def _bool(inst: Any, a: attrs.Attribute[Any], v: Any) -> None:
    if type(v) is not bool:
        raise InvalidType(
            f"RoomConfig.{a.name} must be a bool, got {show(v)} (type {type(v).__name__})"
        )


def _handler_errors(inst: Any, a: attrs.Attribute[Any], v: Any) -> None:
    if type(v) is not str or v not in ("raise", "log"):
        raise InvalidArgument(f"RoomConfig.handler_errors must be 'raise' or 'log', got {show(v)}")


@final
@attrs.frozen(kw_only=True)
class RoomConfig:
    """Settings of one room; the defaults are LiveKit's (server §1, §4, §5, §7, §8).

    Sizes are UTF-8 bytes and inclusive; a limit of 0 means unlimited, as in LiveKit.
    Counts, sizes and timeouts go up to 2**32 - 1 (LiveKit's uint32 fields); the media
    update intervals are 0 (at once) or between 1 ms and 2**32 - 1 seconds.  The ``keep_*``
    settings are roomsim's own: they bound what a long run keeps (docs/howto/long-runs.md).
    """

    #: 0 means unlimited; agents and egress are not counted (server §4)
    max_participants: int = attrs.field(default=0, validator=_nonneg_int)
    #: seconds a room nobody ever joined stays open
    empty_timeout: float = attrs.field(default=300.0, validator=_seconds)
    #: seconds a room stays open after the last non-dependent participant left
    departure_timeout: float = attrs.field(default=20.0, validator=_seconds)
    #: seconds a participant may stay JOINING/JOINED before it is removed (JOIN_FAILURE)
    join_timeout: float = attrs.field(default=60.0, validator=_seconds)
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
    speaker_interval: float = attrs.field(default=0.4, validator=_interval)
    #: seconds between connection-quality updates; 0 sends them at once
    quality_interval: float = attrs.field(default=5.0, validator=_interval)
    #: LiveKit's token refresh (faults §7, §10): one when a session starts, then one every
    #: this many seconds from its join or last resume (LiveKit: 300), and one after each
    #: change of its own claims; 0, the default, sends only the one after a resume
    token_refresh_interval: float = attrs.field(default=0.0, validator=_seconds)
    #: final snapshots ``room.departed`` keeps, the newest (0 keeps every one): long runs
    keep_departed: int = attrs.field(default=10_000, validator=_nonneg_int)
    #: webhooks ``room.webhooks`` keeps, the newest (0, the default, keeps every one: readers
    #: such as ``serve(http=True)`` follow it by position)
    keep_webhooks: int = attrs.field(default=0, validator=_nonneg_int)
    #: ended clients ``room.all_clients`` and snapshots keep, the latest joined (0 keeps every
    #: one); a dropped client you still hold stays readable
    keep_ended_clients: int = attrs.field(default=100, validator=_nonneg_int)
    #: events each client keeps in ``client.events``, the newest (0 keeps every one): the
    #: oldest are dropped a quarter at a time, taken or not; ``connect(keep_events=False)``
    #: keeps no history but every event not yet taken
    keep_events: int = attrs.field(default=10_000, validator=_nonneg_int)
    #: "raise": a verb whose handlers raised raises HandlerError; "log": log, as livekit.rtc does
    handler_errors: str = attrs.field(default="raise", validator=_handler_errors)
    #: warn ``SilentlyDropped`` for each action LiveKit drops silently (off: fidelity first)
    strict: bool = attrs.field(default=False, validator=_bool)


#: the settings ``Room()`` uses when given none (one shared frozen value: a room built per
#: property-based example doesn't pay for building and validating it)
DEFAULT_CONFIG: Final = RoomConfig()
