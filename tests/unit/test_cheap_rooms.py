"""What a small room makes lazily, or shares, so that building one is cheap (issue 21, item 3):
the webhooks built when read, the publisher index sorted when read, the shared default
settings and grants; each gives what the eager structure gave."""

from __future__ import annotations

import copy
import enum
import inspect
import itertools
import pickle
from typing import Any

import attrs
import pytest

from roomsim import InvalidType, Permission, Room, RoomConfig, TrackKind, TrackSource
from roomsim.config import DEFAULT_CONFIG
from roomsim.events import TrackSubscribed
from roomsim.model import DEFAULT_PERMISSION
from roomsim.webhooks import Webhook


def _busy(room: Room) -> None:
    alice = room.connect("alice")
    room.connect("bob")
    alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    room.remove_participant("bob")


def test_webhooks_are_values_with_the_records_as_they_were_when_sent() -> None:
    room = Room("r")
    alice = room.connect("alice", attributes={"a": "1"})
    sid = alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    # the records change after the webhooks were sent; the webhooks show them as they were
    room.update_participant("alice", attributes={"a": "2"})
    room.mute_published_track("alice", sid, True)
    hooks = room.webhooks
    assert [w.event for w in hooks] == ["room_started", "participant_joined", "track_published"]
    assert all(type(w) is Webhook for w in hooks)
    assert [w.id for w in hooks] == ["EV_1", "EV_2", "EV_3"]
    joined = hooks[1].participant
    assert joined is not None and dict(joined.attributes) == {"a": "1"}
    assert joined.track_publications == {}
    track = hooks[2].track
    assert track is not None and track.sid == sid and not track.muted
    assert hooks[2].participant is None and hooks[2].participant_identity == "alice"


def test_a_view_read_early_shows_later_webhooks_built() -> None:
    room = Room("r")
    hooks = room.webhooks
    assert len(hooks) == 1 and hooks[0].event == "room_started"
    _busy(room)
    assert [w.event for w in hooks] == [
        "room_started",
        "participant_joined",
        "participant_joined",
        "track_published",
        "participant_left",
    ]
    assert all(type(w) is Webhook for w in hooks[1:])
    assert hooks == list(room.webhooks) and hooks == room.webhooks
    assert hooks[-1].participant is not None and hooks[-1].participant.identity == "bob"


def test_kept_webhooks_bound_drops_unbuilt_ones_too() -> None:
    room = Room("r", config=RoomConfig(keep_webhooks=2))
    _busy(room)  # five webhooks sent, never read: the bound drops unbuilt entries
    assert [w.id for w in room.webhooks] == ["EV_4", "EV_5"]
    assert [w.event for w in room.webhooks] == ["track_published", "participant_left"]
    room.connect("carol")
    assert [w.id for w in room.webhooks] == ["EV_5", "EV_6"]


def test_a_fork_of_a_room_whose_webhooks_were_never_read() -> None:
    room = Room("r")
    _busy(room)
    fork = Room.from_snapshot(room.snapshot())
    assert list(fork.webhooks) == list(room.webhooks)
    fork.connect("carol")
    room.connect("carol")
    assert fork.webhooks[-1] == room.webhooks[-1]
    assert fork.snapshot() == room.snapshot()


def test_an_earlier_joiner_publishing_later_keeps_join_order() -> None:
    room = Room("r")
    clients = [room.connect(name) for name in ("a", "b", "c")]
    for c in reversed(clients):  # the publisher index gets its entries out of join order
        c.publish_track(TrackKind.VIDEO, TrackSource.CAMERA)
    server = room._server
    assert (list(server.publishers), server.pubs_unsorted) == ([3, 2, 1], True)
    late = room.connect("d")
    # the newcomer's subscriptions come in the publishers' join order (server §6)
    assert [e.participant for e in late.drain() if isinstance(e, TrackSubscribed)] == [
        "a",
        "b",
        "c",
    ]
    assert (list(server.publishers), server.pubs_unsorted) == ([1, 2, 3], False)
    room._check()
    fork = Room.from_snapshot(room.snapshot())
    assert list(fork._server.publishers) == [1, 2, 3]


def test_default_settings_and_grants_are_shared_values() -> None:
    a, b = Room("a"), Room("b")
    assert a.config is DEFAULT_CONFIG is b.config and RoomConfig() == DEFAULT_CONFIG
    alice = a.connect("alice")
    assert a.participants["alice"].permission is DEFAULT_PERMISSION == Permission()
    assert alice.identity == "alice"


def test_a_grant_of_bools_stores_what_attrs_checked_init_stores() -> None:
    names = [a.name for a in attrs.fields(Permission) if a.name != "can_publish_sources"]
    for values in itertools.islice(
        itertools.product((True, False), repeat=len(names)), 0, None, 37
    ):
        given = dict(zip(names, values, strict=True))
        fast = Permission(**given)
        checked = object.__new__(Permission)
        checked.__attrs_init__(**given)
        assert fast == checked and repr(fast) == repr(checked) and hash(fast) == hash(checked)
    # can_publish_data follows can_publish when omitted, on both paths
    assert not Permission(can_publish=False).can_publish_data
    assert Permission(can_publish_sources=[TrackSource.CAMERA]).can_publish_sources == (
        TrackSource.CAMERA,
    )
    assert Permission(can_publish_sources=()) == DEFAULT_PERMISSION
    assert attrs.evolve(DEFAULT_PERMISSION, hidden=True).hidden
    # anything but bools goes through attrs' checks: the same typed errors as before
    with pytest.raises(InvalidType, match="can_publish must be a bool"):
        Permission(can_publish=1)  # type: ignore[arg-type]
    with pytest.raises(InvalidType, match="can_publish_data must be a bool"):
        Permission(can_publish_data=None)  # type: ignore[arg-type]
    with pytest.raises(InvalidType, match="can_publish_sources must be a tuple"):
        Permission(can_publish_sources="camera")


def test_the_grants_own_signature_keeps_attrs_defaults() -> None:
    # Permission.__init__ is written out (its fast path); its defaults must stay attrs' own
    params = inspect.signature(Permission.__init__).parameters
    for field in attrs.fields(Permission):
        given = params[field.name].default
        if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            assert given is attrs.NOTHING, field.name  # computed by the field's factory
        else:
            assert given == field.default, field.name
    checked = object.__new__(Permission)
    checked.__attrs_init__()
    assert Permission() == checked == DEFAULT_PERMISSION


class _Flag(enum.IntEnum):
    ON = 1
    OFF = 0


class _Grant(Permission):  # type: ignore[misc]  # final for mypy only: a subclass still runs
    pass


def _outcome(make: Any, given: dict[str, Any]) -> Any:
    try:
        p = make(given)
    except Exception as e:  # the types and messages are what is compared
        return type(e).__name__, str(e)
    return [(type(v), v) for v in attrs.astuple(p, recurse=False)]


def _checked(given: dict[str, Any]) -> Permission:
    p = object.__new__(Permission)
    p.__attrs_init__(**given)
    return p


def test_a_grant_of_anything_else_gives_what_attrs_checked_init_gives() -> None:
    """Every field, alone or with a second (can_publish omitted, ill-typed, or given with the
    data grant), set to a bool, an int, an IntEnum member, None, attrs.NOTHING (the factory
    default), a source tuple or list, or text: the same values or the same error."""
    values: tuple[Any, ...] = (True, False, 1, 0, _Flag.ON, None, attrs.NOTHING, ())
    values += ([], (TrackSource.CAMERA,), "x")
    names = [a.name for a in attrs.fields(Permission)]
    for first, second in itertools.combinations_with_replacement(names, 2):
        for v, w in itertools.product(values, (True, 1, attrs.NOTHING)):
            given = {second: w, first: v}
            assert _outcome(lambda g: Permission(**g), given) == _outcome(_checked, given), given


def test_a_grant_subclass_pickles_copies_and_evolves_as_attrs_builds_it() -> None:
    grant = _Grant(hidden=True, can_publish=False)
    assert type(grant) is _Grant and not grant.can_publish_data
    assert type(attrs.evolve(grant, can_publish=True)) is _Grant
    assert not attrs.evolve(grant, can_publish=True).can_publish_data  # kept, not re-derived
    for p in (grant, Permission(can_subscribe=False), DEFAULT_PERMISSION):
        assert pickle.loads(pickle.dumps(p)) == p == copy.copy(p) == copy.deepcopy(p)
    assert hash(Permission(agent=True)) == hash(_checked({"agent": True}))
    with pytest.raises(TypeError, match="positional"):
        Permission(True)  # type: ignore[call-arg]
