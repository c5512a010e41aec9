"""The media layer and data: audio levels, connection quality, data packets (server §3, §7, §8).

Each applier checks its mutation completely, then commits through ``Server`` primitives.
"""

from __future__ import annotations

from collections.abc import Mapping

from roomsim import _facts as facts
from roomsim import _validate as checks
from roomsim import mutations
from roomsim._records import (
    SPEAKING_THRESHOLD,
)
from roomsim._server import Server
from roomsim.errors import (
    InvalidArgument,
    InvalidType,
)
from roomsim.model import (
    ConnectionQuality,
    DataPacketKind,
)


def apply_set_audio_levels(server: Server, m: mutations.SetAudioLevels) -> None:
    if not isinstance(m.levels, Mapping):
        raise InvalidType(
            f"set_audio_levels(levels=...) takes a mapping of identity to a level in [0, 1], "
            f"got {m.levels!r} (type {type(m.levels).__name__})"
        )
    for identity, level in m.levels.items():
        server.lookup(identity)
        if type(level) not in (int, float):
            raise InvalidType(
                f"the audio level of {identity!r} must be a number in [0, 1], got {level!r} "
                f"(type {type(level).__name__})"
            )
        if not (0.0 <= level <= 1.0):  # also refuses NaN
            raise InvalidArgument(
                f"the audio level of {identity!r} must be linear in [0, 1] (1 is loudest; "
                f"the speaking threshold is about {SPEAKING_THRESHOLD:.4f}), got {level!r}"
            )
    server.set_levels(m.levels)


def apply_set_connection_quality(server: Server, m: mutations.SetConnectionQuality) -> None:
    checks.check_enum(m.quality, ConnectionQuality, "set_connection_quality(quality=...)")
    if m.quality is ConnectionQuality.UNKNOWN:
        raise InvalidArgument(
            "set_connection_quality(quality=...) takes POOR, GOOD, EXCELLENT or LOST; "
            "UNKNOWN is only the SDK's value before the first update"
        )
    rec = server.lookup(m.identity)
    if rec.quality is m.quality:
        return
    server.set_media(rec, quality=m.quality)
    server.mark_quality()


def apply_send_data(server: Server, m: mutations.SendData) -> None:
    if m.sender is not None:
        checks.check_str(m.sender, "send_data sender")
    if not isinstance(m.data, bytes):
        raise InvalidType(f"send_data(data=...) must be bytes or str, got {type(m.data).__name__}")
    checks.check_opt_str(m.topic, "send_data(topic=...)")
    checks.check_bool(m.reliable, "send_data(reliable=...)")
    if not isinstance(m.destination_identities, tuple):
        raise InvalidType(
            "send_data(destination_identities=...) must be a tuple of identities, got "
            f"{m.destination_identities!r}"
        )
    for d in m.destination_identities:
        checks.check_str(d, "send_data(destination_identities=...) entry")
    sender = server.lookup(m.sender) if m.sender is not None else None
    if sender is not None and not sender.permission.can_publish_data:
        return  # dropped silently, as LiveKit does (server §3, effect 3)
    dests = frozenset(m.destination_identities) if m.destination_identities else None
    kind = DataPacketKind.RELIABLE if m.reliable else DataPacketKind.LOSSY
    server.append(facts.Data(sender, m.data, m.topic, kind, dests, server.now()))
