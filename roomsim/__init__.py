"""roomsim: an in-memory simulator of LiveKit rooms, participants and tracks.

>>> from roomsim import Room
>>> room = Room("standup")
>>> alice = room.connect("alice")
>>> bob = room.connect("bob")
>>> room.update_participant("bob", attributes={"role": "host"}).attributes["role"]
'host'
>>> [e.name for e in alice.drain()]
['participant_connected', 'participant_active', 'participant_attributes_changed']
"""

from __future__ import annotations

from roomsim import events as events
from roomsim import mutations as mutations
from roomsim import scenario as scenario
from roomsim.client import Client as Client
from roomsim.clock import ManualClock as ManualClock
from roomsim.config import RoomConfig as RoomConfig
from roomsim.errors import ClientDisconnected as ClientDisconnected
from roomsim.errors import HandlerError as HandlerError
from roomsim.errors import HandlerFailure as HandlerFailure
from roomsim.errors import IllegalState as IllegalState
from roomsim.errors import InternalError as InternalError
from roomsim.errors import InvalidArgument as InvalidArgument
from roomsim.errors import InvalidType as InvalidType
from roomsim.errors import LimitExceeded as LimitExceeded
from roomsim.errors import NotFound as NotFound
from roomsim.errors import PermissionDenied as PermissionDenied
from roomsim.errors import RoomClosed as RoomClosed
from roomsim.errors import RoomFull as RoomFull
from roomsim.errors import RoomsimError as RoomsimError
from roomsim.errors import SilentlyDropped as SilentlyDropped
from roomsim.errors import UnknownParticipant as UnknownParticipant
from roomsim.errors import UnknownTrack as UnknownTrack
from roomsim.model import ConnectionQuality as ConnectionQuality
from roomsim.model import ConnectionState as ConnectionState
from roomsim.model import DataPacketKind as DataPacketKind
from roomsim.model import DisconnectReason as DisconnectReason
from roomsim.model import InterruptKind as InterruptKind
from roomsim.model import KindDetail as KindDetail
from roomsim.model import ParticipantKind as ParticipantKind
from roomsim.model import ParticipantSnapshot as ParticipantSnapshot
from roomsim.model import ParticipantState as ParticipantState
from roomsim.model import Permission as Permission
from roomsim.model import PublicationSnapshot as PublicationSnapshot
from roomsim.model import StreamState as StreamState
from roomsim.model import TrackKind as TrackKind
from roomsim.model import TrackSource as TrackSource
from roomsim.room import Room as Room
from roomsim.snapshot import ClientSnapshot as ClientSnapshot
from roomsim.snapshot import RoomSnapshot as RoomSnapshot
from roomsim.webhooks import Webhook as Webhook

__version__ = "0.1.0"

__all__ = [
    # the room and its clients
    "Room",
    "RoomConfig",
    "Client",
    "ManualClock",
    # values
    "Permission",
    "ParticipantSnapshot",
    "PublicationSnapshot",
    "RoomSnapshot",
    "ClientSnapshot",
    "Webhook",
    # enums
    "ParticipantKind",
    "KindDetail",
    "ParticipantState",
    "TrackKind",
    "TrackSource",
    "ConnectionQuality",
    "StreamState",
    "DisconnectReason",
    "ConnectionState",
    "DataPacketKind",
    "InterruptKind",
    # errors
    "RoomsimError",
    "InvalidArgument",
    "InvalidType",
    "LimitExceeded",
    "NotFound",
    "UnknownParticipant",
    "UnknownTrack",
    "PermissionDenied",
    "IllegalState",
    "RoomClosed",
    "ClientDisconnected",
    "RoomFull",
    "HandlerError",
    "HandlerFailure",
    "SilentlyDropped",
    "InternalError",
    # namespaces
    "events",
    "mutations",
    "scenario",
]
