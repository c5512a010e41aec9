"""Transcripts: every refused track, subscription and permission request changes nothing.

Spec: server §3 (a source is publishable only with ``can_publish`` and an allowed source),
§5 (``AddTrack`` rejects a disallowed source with ``NOT_ALLOWED``; an unknown track in a mute
request gets ``NOT_FOUND``; API unmute ``failed_precondition``), §6 (a permission update that
fails keeps the previous permissions), design §1 (atomic: ``room.snapshot()`` before == after),
design §4 (error classes and codes; unknown identities and sids named by a client or a server
API verb are refused; wrong types are refused).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

from roomsim import (
    ClientDisconnected,
    ConnectionQuality,
    IllegalState,
    InvalidArgument,
    InvalidType,
    Permission,
    PermissionDenied,
    Room,
    RoomConfig,
    TrackKind,
    TrackSource,
    UnknownParticipant,
    UnknownTrack,
)
from roomsim import events as ev

AUDIO, VIDEO = TrackKind.AUDIO, TrackKind.VIDEO
MIC, CAM, SCREEN = TrackSource.MICROPHONE, TrackSource.CAMERA, TrackSource.SCREEN_SHARE


def _refused(room: Room, exc: type[Exception], code: str, call: Callable[[], object]) -> None:
    """``call`` raises exactly ``exc`` with ``code`` and leaves the room as it was."""
    before = room.snapshot()
    with pytest.raises(exc) as info:
        call()
    assert type(info.value) is exc
    assert info.value.code == code  # type: ignore[attr-defined]
    assert room.snapshot() == before


def _bad(value: object) -> Any:
    """A value of the wrong type, passed past the type checker on purpose."""
    return value


def _setup() -> tuple[Room, str, str]:
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    room.connect("ghost", permission=Permission(hidden=True))
    mic = alice.publish_track(AUDIO, MIC)
    b_cam = bob.publish_track(VIDEO, CAM)
    for c in room.clients.values():
        c.drain()
    return room, mic, b_cam


# --------------------------------------------------------------------------------------------
# publish


def test_publish_without_can_publish_is_not_allowed() -> None:
    """Server §3/§5: no ``can_publish`` -> ``NOT_ALLOWED``, no track, no sid used."""
    room = Room("r")
    viewer = room.connect("viewer", permission=Permission(can_publish=False))
    bob = room.connect("bob")
    viewer.drain()
    for kind, source in ((AUDIO, MIC), (VIDEO, CAM), (VIDEO, SCREEN)):
        _refused(
            room,
            PermissionDenied,
            "NOT_ALLOWED",
            functools.partial(viewer.publish_track, kind, source),
        )
    assert viewer.drain() == ()
    assert bob.drain() == ()
    # the refused attempts used no sid
    assert bob.publish_track(AUDIO, MIC) == "TR_1"


def test_publish_of_a_source_outside_can_publish_sources_is_not_allowed() -> None:
    """Server §3: with a non-empty ``can_publish_sources``, another source is refused."""
    room = Room("r")
    alice = room.connect("alice", permission=Permission(can_publish_sources=(MIC,)))
    _refused(room, PermissionDenied, "NOT_ALLOWED", lambda: alice.publish_track(VIDEO, CAM))
    _refused(
        room,
        PermissionDenied,
        "NOT_ALLOWED",
        lambda: alice.publish_track(AUDIO, TrackSource.SCREEN_SHARE_AUDIO),
    )
    assert alice.publish_track(AUDIO, MIC) == "TR_1"


def test_publish_after_can_publish_revoked_is_not_allowed() -> None:
    """Server §3: the grant is checked at each publish, against the current permission."""
    room = Room("r")
    alice = room.connect("alice")
    room.update_participant("alice", permission=Permission(can_publish=False))
    _refused(room, PermissionDenied, "NOT_ALLOWED", lambda: alice.publish_track(AUDIO, MIC))


def test_publish_with_wrong_types_is_refused() -> None:
    """design §4: a value of the wrong Python type is ``InvalidType``."""
    room = Room("r")
    alice = room.connect("alice")
    bad: list[Callable[[], object]] = [
        lambda: alice.publish_track("audio", MIC),  # type: ignore[arg-type]
        lambda: alice.publish_track(AUDIO, "microphone"),  # type: ignore[arg-type]
        lambda: alice.publish_track(MIC, AUDIO),  # type: ignore[arg-type]
        lambda: alice.publish_track(AUDIO, MIC, name=None),  # type: ignore[arg-type]
        lambda: alice.publish_track(AUDIO, MIC, muted=1),  # type: ignore[arg-type]
    ]
    for call in bad:
        _refused(room, InvalidType, "invalid_argument", call)


# --------------------------------------------------------------------------------------------
# unpublish and mute (own tracks)


def test_unpublish_of_a_track_not_ones_own_is_not_found() -> None:
    """Server §5 / design §4: an unknown sid, another participant's sid and an already
    unpublished sid are refused (``UnknownTrack``, client code ``NOT_FOUND``)."""
    room, mic, b_cam = _setup()
    alice = room.clients["alice"]
    _refused(room, UnknownTrack, "NOT_FOUND", lambda: alice.unpublish_track("TR_999"))
    _refused(room, UnknownTrack, "NOT_FOUND", lambda: alice.unpublish_track(b_cam))
    alice.unpublish_track(mic)
    _refused(room, UnknownTrack, "NOT_FOUND", lambda: alice.unpublish_track(mic))
    _refused(room, InvalidType, "invalid_argument", lambda: alice.unpublish_track(_bad(1)))


def test_set_track_muted_of_a_track_not_ones_own_is_not_found() -> None:
    """Server §5: "An unknown track gets RequestResponse{NOT_FOUND}"."""
    room, mic, b_cam = _setup()
    alice = room.clients["alice"]
    _refused(room, UnknownTrack, "NOT_FOUND", lambda: alice.set_track_muted("TR_999", True))
    _refused(room, UnknownTrack, "NOT_FOUND", lambda: alice.set_track_muted(b_cam, True))
    _refused(room, InvalidType, "invalid_argument", lambda: alice.set_track_muted(mic, _bad(1)))


def test_server_mute_errors() -> None:
    """Server §5 (API unmute refused with ``failed_precondition`` when remote unmute is
    off), §1 (unknown participant ``not_found``), design §4 (wrong types)."""
    room, mic, _b_cam = _setup()
    _refused(
        room,
        IllegalState,
        "failed_precondition",
        lambda: room.mute_published_track("alice", mic, False),
    )
    _refused(
        room,
        UnknownParticipant,
        "not_found",
        lambda: room.mute_published_track("nobody", mic, True),
    )
    _refused(
        room,
        InvalidType,
        "invalid_argument",
        lambda: room.mute_published_track("alice", mic, 0),  # type: ignore[arg-type]
    )
    _refused(
        room,
        InvalidType,
        "invalid_argument",
        lambda: room.mute_published_track("alice", 7, True),  # type: ignore[arg-type]
    )


def test_remote_unmute_allowed_still_checks_the_participant() -> None:
    """design §4: with remote unmute on, an unknown identity is still refused."""
    room = Room("r", config=RoomConfig(enable_remote_unmute=True))
    room.connect("alice")
    _refused(
        room,
        UnknownParticipant,
        "not_found",
        lambda: room.mute_published_track("bob", "TR_1", False),
    )


# --------------------------------------------------------------------------------------------
# subscriptions


def test_set_subscribed_errors() -> None:
    """design §4: unknown (or hidden, so unknown to the client: server §3) publishers and
    unknown sids named by a client are refused; a participant can't subscribe to itself."""
    room, mic, b_cam = _setup()
    bob = room.clients["bob"]
    _refused(room, UnknownParticipant, "NOT_FOUND", lambda: bob.set_subscribed("nobody", mic, True))
    _refused(room, UnknownParticipant, "NOT_FOUND", lambda: bob.set_subscribed("ghost", mic, True))
    _refused(room, UnknownTrack, "NOT_FOUND", lambda: bob.set_subscribed("alice", "TR_9", True))
    # a real sid, but of another publisher
    _refused(room, UnknownTrack, "NOT_FOUND", lambda: bob.set_subscribed("alice", b_cam, False))
    _refused(
        room, InvalidArgument, "invalid_argument", lambda: bob.set_subscribed("bob", b_cam, True)
    )
    _refused(
        room,
        InvalidType,
        "invalid_argument",
        lambda: bob.set_subscribed("alice", mic, "no"),  # type: ignore[arg-type]
    )


def test_set_subscribed_to_an_unpublished_track_is_refused() -> None:
    """design §4: a sid no longer published is unknown."""
    room, mic, _b_cam = _setup()
    room.clients["alice"].unpublish_track(mic)
    bob = room.clients["bob"]
    _refused(room, UnknownTrack, "NOT_FOUND", lambda: bob.set_subscribed("alice", mic, True))


def test_update_subscriptions_errors_are_atomic() -> None:
    """design §1/§4 (server API): an unknown identity or sid anywhere in the list refuses
    the whole call; the valid entries before it are not applied."""
    room, mic, b_cam = _setup()
    bob = room.clients["bob"]
    _refused(
        room,
        UnknownParticipant,
        "not_found",
        lambda: room.update_subscriptions("nobody", track_sids=(mic,), subscribe=False),
    )
    _refused(
        room,
        UnknownTrack,
        "not_found",
        lambda: room.update_subscriptions("bob", track_sids=(mic, "TR_999"), subscribe=False),
    )
    _refused(
        room,
        InvalidArgument,
        "invalid_argument",
        lambda: room.update_subscriptions("bob", track_sids=(mic, b_cam), subscribe=False),
    )
    _refused(
        room,
        InvalidType,
        "invalid_argument",
        lambda: room.update_subscriptions("bob", track_sids=_bad(mic), subscribe=False),
    )
    _refused(
        room,
        InvalidType,
        "invalid_argument",
        lambda: room.update_subscriptions("bob", track_sids=(mic,), subscribe=_bad(None)),
    )
    assert bob.remote_participants["alice"].track_publications[mic].subscribed is True


def test_subscription_permission_errors_keep_the_previous_permissions() -> None:
    """Server §6: an update that fails leaves the previous permissions in place;
    design §4: malformed input is refused.
    A first subscription to a publisher also brings its quality (server §8)."""
    room, mic, b_cam = _setup()
    alice, bob = room.clients["alice"], room.clients["bob"]
    alice.set_track_subscription_permissions(all_participants=False, allowed={"bob": (mic,)})
    bad: list[tuple[type[Exception], Callable[[], object]]] = [
        (
            InvalidArgument,
            lambda: alice.set_track_subscription_permissions(
                all_participants=False, allowed={"": None}
            ),
        ),
        (
            InvalidType,
            lambda: alice.set_track_subscription_permissions(
                all_participants=False,
                allowed={"bob": mic},
            ),
        ),
        (
            InvalidType,
            lambda: alice.set_track_subscription_permissions(
                all_participants=False,
                allowed={"bob": (1,)},  # type: ignore[dict-item]
            ),
        ),
        (
            InvalidType,
            lambda: alice.set_track_subscription_permissions(
                all_participants=False,
                allowed=[("bob", None)],  # type: ignore[arg-type]
            ),
        ),
        (
            InvalidType,
            lambda: alice.set_track_subscription_permissions(all_participants=_bad(1)),
        ),
    ]
    for exc, call in bad:
        _refused(room, exc, "invalid_argument", call)
    room.connect("carol")
    assert room.clients["carol"].drain() == (
        ev.ConnectionQualityChanged(participant="bob", quality=ConnectionQuality.EXCELLENT),
        ev.TrackSubscribed(participant="bob", track_sid=b_cam),
    )
    assert bob.remote_participants["alice"].track_publications[mic].subscribed is True


# --------------------------------------------------------------------------------------------
# a session that ended


def test_track_verbs_of_an_ended_session_are_refused() -> None:
    """design §2: a client whose session ended refuses every later action
    (``ClientDisconnected``)."""
    room, mic, b_cam = _setup()
    alice = room.clients["alice"]
    alice.disconnect()
    calls: list[Callable[[], object]] = [
        lambda: alice.publish_track(AUDIO, MIC),
        lambda: alice.unpublish_track(mic),
        lambda: alice.set_track_muted(mic, True),
        lambda: alice.set_subscribed("bob", b_cam, False),
        lambda: alice.set_track_subscription_permissions(all_participants=False),
        lambda: alice.send_data(b"x"),
    ]
    for call in calls:
        _refused(room, ClientDisconnected, "DISCONNECTED", call)


def test_replaced_session_refuses_track_verbs() -> None:
    """design §2: on a duplicate identity the old ``Client`` refuses every later action,
    even for names that exist again in the new session."""
    room = Room("r")
    old = room.connect("alice")
    room.connect("alice")
    _refused(room, ClientDisconnected, "DISCONNECTED", lambda: old.publish_track(AUDIO, MIC))
