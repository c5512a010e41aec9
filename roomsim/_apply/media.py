"""The media layer and data: audio levels, connection quality, data packets (server §3, §7, §8).

Each applier checks its mutation completely, then commits through ``Server`` primitives.
"""

from __future__ import annotations

from roomsim import _facts as facts
from roomsim import mutations
from roomsim._apply._dropped import dropped
from roomsim._server import Server
from roomsim.errors import (
    InvalidArgument,
)
from roomsim.model import (
    ConnectionQuality,
    DataPacketKind,
)


def apply_set_audio_levels(server: Server, m: mutations.SetAudioLevels) -> None:
    for identity in m.levels:
        server.lookup(identity)
    server.set_levels(m.levels)


def apply_set_connection_quality(server: Server, m: mutations.SetConnectionQuality) -> None:
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
    sender = server.lookup(m.sender) if m.sender is not None else None
    if sender is not None and not sender.permission.can_publish_data:
        # dropped silently, as LiveKit does (server §3, effect 3)
        dropped(server, f"data from {sender.identity!r}, which lacks can_publish_data")
        return
    absent = [d for d in m.destination_identities if d not in server.records]
    if absent:
        dropped(server, f"data to {absent!r}, who are not in room {server.name!r}")
    dests = frozenset(m.destination_identities) if m.destination_identities else None
    kind = DataPacketKind.RELIABLE if m.reliable else DataPacketKind.LOSSY
    server.append(facts.Data(sender, m.data, m.topic, kind, dests, server.now()))
