"""A small room in which every raise site of docs/reference/errors.md can be reached."""

from __future__ import annotations

from dataclasses import dataclass, field

from roomsim import (
    Client,
    ParticipantKind,
    Permission,
    Room,
    RoomConfig,
    RoomsimError,
    TrackKind,
    TrackSource,
)
from roomsim.raise_sites import RAISE_SITES
from roomsim.testing import check_invariants

# every size limit is 8 bytes; three counted participants fill the room
LIMIT = 8
CONFIG = RoomConfig(
    max_participants=3,
    max_identity_length=LIMIT,
    max_name_length=LIMIT,
    max_metadata_size=LIMIT,
    max_attributes_size=LIMIT,
)


@dataclass
class World:
    room: Room
    alice: Client  # can_update_metadata; publishes mic (audio) and cam (video)
    bob: Client  # the token defaults (no can_update_metadata); publishes bcam; subscribed to all
    hide: Client  # hidden; publishes nothing
    dave: Client  # an agent (not counted): can_publish=False, keep_events=False, no auto-subscribe
    carol: Client  # left the room
    mic: str
    cam: str
    bcam: str
    #: other rooms a case made on the room's clock (a move's destination): they must not change
    others: list[Room] = field(default_factory=list)


def world() -> World:
    room = Room("r", config=CONFIG)
    carol = room.connect("carol")
    carol.disconnect()
    alice = room.connect("alice", permission=Permission(can_update_metadata=True))
    bob = room.connect("bob", attributes={"k": "v"})
    hide = room.connect("hide", permission=Permission(hidden=True))
    dave = room.connect(
        "dave",
        kind=ParticipantKind.AGENT,
        permission=Permission(can_publish=False),
        keep_events=False,
        auto_subscribe=False,
    )
    mic = alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE, name="mic")
    cam = alice.publish_track(TrackKind.VIDEO, TrackSource.CAMERA, name="cam")
    bcam = bob.publish_track(TrackKind.VIDEO, TrackSource.CAMERA, name="bcam")
    for c in (alice, bob, hide):
        c.drain()
    dave.drain()
    return World(room, alice, bob, hide, dave, carol, mic, cam, bcam)


def still_usable(room: Room) -> None:
    """The room passes its invariants and takes a valid mutation (or time, once closed)."""
    check_invariants(room)
    if room.closed:
        room.advance(1.0)
    else:
        room.update_room_metadata("usable")
        assert room.metadata == "usable"
    check_invariants(room)


def documented_ids() -> list[str]:
    """The ids of the raise-site table (``roomsim.raise_sites``, from which the "Where each
    is raised" table of docs/reference/errors.md is generated), in order."""
    return [site.id for site in RAISE_SITES]


def assert_error(
    exc: BaseException, cls: type[BaseException], code: str | None
) -> RoomsimError | None:
    """``exc`` is exactly ``cls`` and carries ``code``."""
    assert type(exc) is cls, f"expected {cls.__name__}, got {type(exc).__name__}: {exc}"
    if code is None:
        return None
    assert isinstance(exc, RoomsimError)
    assert exc.code == code, f"code {exc.code!r}, expected {code!r}: {exc}"
    return exc
