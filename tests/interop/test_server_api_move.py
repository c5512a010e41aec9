"""``RoomService/MoveParticipant`` over HTTP (faults §5): the unchanged ``livekit.api`` against
``serve()``, and an unchanged ``rtc.Room`` that is moved and hears ``moved``."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytest.importorskip("livekit.api")

from livekit import api, rtc

from roomsim import TrackKind, TrackSource
from roomsim.livekit import LiveKitServer
from tests.interop._serving import join, run
from tests.interop.test_server_api import backend


def _move(room: str = "r", identity: str = "alice", to: str = "stage") -> Any:
    return api.MoveParticipantRequest(room=room, identity=identity, destination_room=to)


def _token(lk: LiveKitServer, **grants: Any) -> str:
    video = api.VideoGrants(**grants)
    return api.AccessToken(lk.api_key, lk.api_secret).with_grants(video).to_jwt()


def _state(lk: LiveKitServer) -> Any:
    return tuple((r.snapshot(), len(r.log)) for r in lk.rooms.values())


def test_move_participant_moves_a_participant_between_served_rooms() -> None:
    """livekit-api's ``move_participant`` signs roomAdmin for the source and destinationRoom
    for the destination; the participant goes on in the destination under a new sid."""

    async def body(lk: LiveKitServer) -> None:
        alice = lk.room("r").connect("alice")
        lk.room("stage").connect("bob")
        old = alice.sid
        async with backend(lk) as lkapi:
            await lkapi.room.move_participant(_move())
        await lk.settle()
        assert "alice" not in lk.rooms["r"].participants
        assert lk.rooms["stage"].participants["alice"].sid == alice.sid != old
        assert alice.room is lk.rooms["stage"]
        assert [e.name for e in alice.drain()][-1] == "moved"

    run(body)


@pytest.mark.parametrize(
    ("request_", "grants", "status", "code", "message"),
    [
        # EnsureDestRoomPermission: roomAdmin of the source, destinationRoom = the destination
        (_move(), {"room_admin": True, "room": "r"}, 401, "unauthenticated", "permissions denied"),
        (
            _move(),
            {"room_admin": True, "room": "r", "destination_room": "other"},
            401,
            "unauthenticated",
            "permissions denied",
        ),
        (
            _move(),
            {"room_admin": False, "room": "r", "destination_room": "stage"},
            401,
            "unauthenticated",
            "permissions denied",
        ),
        (
            _move(to="r"),
            {"room_admin": True, "room": "r", "destination_room": "r"},
            400,
            "invalid_argument",
            "destination room cannot be the same as source room ",
        ),
        (
            _move(identity="nobody"),
            {"room_admin": True, "room": "r", "destination_room": "stage"},
            404,
            "not_found",
            "participant does not exist",
        ),
        (
            _move(to="nowhere"),
            {"room_admin": True, "room": "r", "destination_room": "nowhere"},
            404,
            "not_found",
            "requested room does not exist",
        ),
    ],
)
def test_a_refused_move_answers_as_livekit_and_changes_nothing(
    request_: Any, grants: dict[str, Any], status: int, code: str, message: str
) -> None:
    async def body(lk: LiveKitServer) -> None:
        lk.room("r").connect("alice")
        lk.room("stage").connect("bob")
        before = _state(lk)
        async with backend(lk, token=_token(lk, **grants)) as lkapi:
            with pytest.raises(api.TwirpError) as raised:
                await lkapi.room.move_participant(request_)
        await lk.settle()
        error = raised.value
        assert (error.status, error.code, error.message) == (status, code, message)
        assert _state(lk) == before

    run(body)


def test_an_sdk_room_that_is_moved_hears_moved_and_knows_the_new_room() -> None:
    """faults §5: the unchanged ``rtc.Room`` gets ``token_refreshed``, the old room's remotes
    go, the new ones arrive, ``room_updated``, ``local_track_republished`` (roomsim's new
    track sid), then ``moved``; ``room.name`` is the new room's, its remotes the new ones."""

    async def body(lk: LiveKitServer) -> None:
        sdk = await join(lk, "alice")
        await join(lk, "carol")
        lk.room("stage").connect("bob").publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
        source = rtc.AudioSource(48000, 1)
        track = rtc.LocalAudioTrack.create_audio_track("mic", source)
        await sdk.local_participant.publish_track(track)
        await lk.settle()
        seen: list[str] = []
        for name in (
            "token_refreshed",
            "participant_connected",
            "participant_disconnected",
            "room_updated",
            "local_track_republished",
            "moved",
        ):
            sdk.on(name, lambda *a, n=name: seen.append(n))
        sids: list[str] = []  # the local sid is the new one right after the token (§5.1)
        note = lambda *_: sids.append(sdk.local_participant.sid)  # noqa: E731
        sdk.on("token_refreshed", note)
        sdk.on("participant_disconnected", note)
        sdk.on("participant_connected", note)
        old = sdk.local_participant.sid
        async with backend(lk) as lkapi:
            await lkapi.room.move_participant(_move())
        await lk.settle()
        for _ in range(3):
            await asyncio.sleep(0)
        assert seen == [
            "token_refreshed",
            "participant_disconnected",
            "participant_connected",
            "room_updated",
            "local_track_republished",
            "moved",
        ]
        assert sdk.name == "stage"
        assert list(sdk.remote_participants) == ["bob"]
        moved = lk.rooms["stage"].participants["alice"]
        assert sdk.local_participant.sid == moved.sid
        assert sids == [old, moved.sid, moved.sid] and old != moved.sid
        assert list(sdk.local_participant.track_publications) == list(moved.track_publications)
        await sdk.disconnect()

    run(body)
