"""Conformance transcripts: participant permissions (server §3, client §4-§5;
design §2)."""

from __future__ import annotations

import pytest

from roomsim import (
    IllegalState,
    InvalidType,
    Permission,
    PermissionDenied,
    Room,
    TrackKind,
    TrackSource,
)
from roomsim import events as E


def _changed(identity: str, old: Permission, new: Permission) -> E.ParticipantPermissionsChanged:
    return E.ParticipantPermissionsChanged(
        participant=identity, old_permissions=old, permissions=new
    )


def test_token_defaults() -> None:
    """server §3 table: can_subscribe/can_publish true, can_publish_data follows can_publish,
    the rest false or empty."""
    p = Permission()
    assert (p.can_subscribe, p.can_publish, p.can_publish_data) == (True, True, True)
    assert not any(
        (
            p.hidden,
            p.recorder,
            p.can_update_metadata,
            p.agent,
            p.can_subscribe_metrics,
            p.can_manage_agent_session,
        )
    )
    assert p.can_publish_sources == ()
    assert Permission(can_publish=False).can_publish_data is False
    assert Permission(can_publish=False, can_publish_data=True).can_publish_data is True


def test_permission_change_goes_to_everyone_including_the_subject() -> None:
    """server §3 effect 5: the update goes to everyone, the subject included;
    design §3: the event carries old and new."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    carol = room.connect("carol")
    alice.drain()
    bob.drain()
    old = room.participants["bob"].permission
    new = Permission(can_subscribe=False)
    room.update_participant("bob", permission=new)
    expected = (_changed("bob", old, new),)
    assert alice.drain() == expected
    assert bob.drain() == expected
    assert carol.drain() == expected
    assert room.participants["bob"].permission == new
    assert alice.remote_participants["bob"].permission == new
    assert bob.local_participant.permission == new


def test_update_replaces_the_whole_set() -> None:
    """server §3: an update is not a merge; fields left out take their defaults."""
    room = Room("r")
    alice = room.connect("alice")
    first = Permission(can_publish=False, can_update_metadata=True, can_subscribe_metrics=True)
    room.connect("bob", permission=first)
    alice.drain()
    second = Permission(can_subscribe=False)
    room.update_participant("bob", permission=second)
    got = room.participants["bob"].permission
    assert got == second
    assert got.can_publish is True
    assert got.can_update_metadata is False
    assert got.can_subscribe_metrics is False
    assert alice.drain() == (_changed("bob", first, second),)


def test_equal_permission_changes_nothing() -> None:
    """server §3: MatchesPermission -> SetPermission returns false, nothing happens."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob", permission=Permission(can_update_metadata=True))
    alice.drain()
    room.update_participant("bob", permission=Permission(can_update_metadata=True))
    assert alice.drain() == ()
    assert bob.drain() == ()


def test_sources_order_matters() -> None:
    """server §3: the can_publish_sources comparison is order-sensitive."""
    room = Room("r")
    alice = room.connect("alice")
    ab = Permission(can_publish_sources=(TrackSource.CAMERA, TrackSource.MICROPHONE))
    ba = Permission(can_publish_sources=(TrackSource.MICROPHONE, TrackSource.CAMERA))
    room.connect("bob", permission=ab)
    alice.drain()
    room.update_participant("bob", permission=ba)
    assert alice.drain() == (_changed("bob", ab, ba),)


def test_any_field_change_fires_the_event_as_in_python() -> None:
    """client §5 Rust/Python: compares the whole permission (JS would skip
    can_update_metadata); design §3 follows the Python SDK."""
    room = Room("r")
    alice = room.connect("alice")
    room.connect("bob")
    alice.drain()
    old, new = Permission(), Permission(can_update_metadata=True)
    room.update_participant("bob", permission=new)
    assert alice.drain() == (_changed("bob", old, new),)


def test_granting_and_revoking_can_update_metadata_governs_the_client_path() -> None:
    """server §2 Who may update: the client path consults the current grant."""
    room = Room("r")
    bob = room.connect("bob")
    room.update_participant("bob", permission=Permission(can_update_metadata=True))
    bob.set_metadata("m")
    room.update_participant("bob", permission=Permission())
    before = room.snapshot()
    with pytest.raises(PermissionDenied) as exc:
        bob.set_metadata("n")
    assert exc.value.code == "NOT_ALLOWED"
    assert room.snapshot() == before


def test_hidden_subject_only_sees_its_own_permission_change() -> None:
    """server §3 effect 5: for a hidden participant it goes to the participant only."""
    room = Room("r")
    alice = room.connect("alice")
    ghost = room.connect("ghost", permission=Permission(hidden=True))
    old = Permission(hidden=True)
    new = Permission(hidden=True, can_publish=False)
    room.update_participant("ghost", permission=new)
    assert ghost.drain() == (_changed("ghost", old, new),)
    assert alice.drain() == ()


@pytest.mark.parametrize("start_hidden", [False, True])
def test_toggling_hidden_is_refused(start_hidden: bool) -> None:
    """design §2: toggling hidden on a connected participant -> IllegalState (server open
    items); atomic, even with other changes in the same call."""
    room = Room("r")
    alice = room.connect("alice")
    room.connect("bob", permission=Permission(hidden=start_hidden))
    alice.drain()
    before = room.snapshot()
    with pytest.raises(IllegalState) as exc:
        room.update_participant(
            "bob", name="Bob", attributes={"k": "v"}, permission=Permission(hidden=not start_hidden)
        )
    assert type(exc.value) is IllegalState
    assert exc.value.code == "failed_precondition"
    assert room.snapshot() == before


def test_revoking_publish_unpublishes_after_the_permission_event() -> None:
    """server §3 effect 1 + client §4.4 d-f: permissions changed, then the removed track is
    unsubscribed and unpublished, then the forced speaker update (client §16.5, §16.6); a JS
    publisher sees local_track_unpublished (client §16.2; Python: see test_sdk_profiles)."""
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob", sdk="js")
    mic = bob.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
    alice.drain()
    bob.drain()
    old, new = Permission(), Permission(can_publish=False)
    room.update_participant("bob", permission=new)
    assert alice.drain() == (
        _changed("bob", old, new),
        E.TrackUnsubscribed(participant="bob", track_sid=mic),
        E.TrackUnpublished(participant="bob", track_sid=mic),
        E.ActiveSpeakersChanged(speakers=()),
    )
    assert bob.drain() == (_changed("bob", old, new), E.LocalTrackUnpublished(track_sid=mic))
    assert room.participants["bob"].track_publications == {}


def test_permission_of_the_wrong_type() -> None:
    """design §4: a value of the wrong type -> InvalidType, atomically."""
    room = Room("r")
    room.connect("bob")
    before = room.snapshot()
    with pytest.raises(InvalidType) as exc:
        room.update_participant("bob", permission={"can_publish": False})  # type: ignore[arg-type]
    assert exc.value.code == "invalid_argument"
    with pytest.raises(InvalidType):
        Permission(can_publish=1)  # type: ignore[arg-type]
    with pytest.raises(InvalidType):
        Permission(can_publish_sources=TrackSource.CAMERA)
    assert room.snapshot() == before
