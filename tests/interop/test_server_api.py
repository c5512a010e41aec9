"""The server API over real HTTP: the unchanged ``livekit.api.LiveKitAPI`` against ``serve()``.

SDK rooms join through ``serve()``; a backend's ``LiveKitAPI`` lists, updates, mutes and
removes them over Twirp on ``lk.url``, and the SDK rooms hear of it.  Every refused call
leaves the room as it was.  Webhooks: ``test_webhooks.py``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

pytest.importorskip("livekit.api")

import aiohttp
import jwt
from livekit import api, rtc
from livekit.rtc._ffi_client import FfiClient

from roomsim import Permission, RoomConfig, TrackKind, TrackSource
from roomsim.errors import HandlerError, InvalidArgument
from roomsim.livekit import LiveKitServer, serve
from tests.interop._serving import join, run

JSON = "application/json"


@asynccontextmanager
async def backend(lk: LiveKitServer, **kwargs: Any) -> AsyncIterator[api.LiveKitAPI]:
    """The unchanged server SDK, pointed at ``lk.url`` (a ws:// URL, as apps pass it)."""
    if not kwargs:
        kwargs = {"api_key": lk.api_key, "api_secret": lk.api_secret}
    lkapi = api.LiveKitAPI(lk.url, **kwargs)
    try:
        yield lkapi
    finally:
        await lkapi.aclose()


def who(room: str, identity: str) -> api.RoomParticipantIdentity:
    return api.RoomParticipantIdentity(room=room, identity=identity)


# --------------------------------------------------------------------------------------------
# the "done when": list, update, mute, remove participants that rtc.Rooms joined


def test_live_kit_api_lists_updates_mutes_and_removes_sdk_participants() -> None:
    async def body(lk: LiveKitServer) -> None:
        alice = await join(lk, "alice")
        bob = await join(lk, "bob")
        seen: list[tuple[str, ...]] = []
        bob.on(
            "participant_metadata_changed",
            lambda p, old, new: seen.append(("metadata", p.identity, new)),
        )
        bob.on(
            "participant_attributes_changed",
            lambda changed, p: seen.append(("attributes", p.identity, str(changed))),
        )
        bob.on("participant_name_changed", lambda p, old, new: seen.append(("name", new)))
        bob.on("track_muted", lambda p, pub: seen.append(("muted", p.identity, pub.sid)))
        bob.on("participant_disconnected", lambda p: seen.append(("left", p.identity)))
        ended: list[int] = []
        alice.on("disconnected", lambda reason: ended.append(reason))
        source = rtc.AudioSource(48000, 1)
        track = rtc.LocalAudioTrack.create_audio_track("voice", source)
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        pub = await alice.local_participant.publish_track(track, options)
        await lk.settle()

        async with backend(lk) as lkapi:
            listed = await lkapi.room.list_participants(api.ListParticipantsRequest(room="r"))
            assert [p.identity for p in listed.participants] == ["alice", "bob"]
            assert [t.sid for t in listed.participants[0].tracks] == [pub.sid]
            info = await lkapi.room.update_participant(
                api.UpdateParticipantRequest(
                    room="r",
                    identity="alice",
                    name="Alice",
                    metadata="chair",
                    attributes={"hand": "up"},
                )
            )
            assert (info.name, info.metadata, dict(info.attributes)) == (
                "Alice",
                "chair",
                {"hand": "up"},
            )
            muted = await lkapi.room.mute_published_track(
                api.MuteRoomTrackRequest(room="r", identity="alice", track_sid=pub.sid, muted=True)
            )
            assert muted.track.sid == pub.sid and muted.track.muted
            await lk.settle()
            await lkapi.room.remove_participant(who(room="r", identity="alice"))
            await lk.settle()

        assert seen == [
            ("name", "Alice"),
            ("metadata", "alice", "chair"),
            ("attributes", "alice", "{'hand': 'up'}"),
            ("muted", "alice", pub.sid),
            ("left", "alice"),
        ]
        assert ended == [rtc.DisconnectReason.PARTICIPANT_REMOVED]
        assert alice.local_participant.track_publications[pub.sid].muted
        assert list(lk.room("r").participants) == ["bob"]

    run(body)


def test_the_other_room_service_methods_reach_the_sdk_rooms() -> None:
    async def body(lk: LiveKitServer) -> None:
        bob = await join(lk, "bob")
        carol = lk.room("r").connect("carol")
        cam = carol.publish_track(TrackKind.VIDEO, TrackSource.CAMERA)
        seen: list[Any] = []
        bob.on("room_metadata_changed", lambda old, new: seen.append(("room", new)))
        bob.on("data_received", lambda p: seen.append(("data", p.data, p.topic, p.participant)))
        bob.on("track_unsubscribed", lambda t, pub, p: seen.append(("unsubscribed", pub.sid)))
        ended: list[int] = []
        bob.on("disconnected", lambda reason: ended.append(reason))
        await lk.settle()
        async with backend(lk) as lkapi:
            room = await lkapi.room.update_room_metadata(
                api.UpdateRoomMetadataRequest(room="r", metadata="live")
            )
            assert (room.name, room.metadata, room.num_participants) == ("r", "live", 2)
            await lkapi.room.send_data(
                api.SendDataRequest(
                    room="r", data=b"hi", topic="chat", destination_identities=["bob"]
                )
            )
            await lkapi.room.update_subscriptions(
                api.UpdateSubscriptionsRequest(
                    room="r", identity="bob", track_sids=[cam], subscribe=False
                )
            )
            got = await lkapi.room.get_participant(who(room="r", identity="carol"))
            assert (got.identity, [t.sid for t in got.tracks]) == ("carol", [cam])
            await lk.settle()
            # the server's unsubscription is invisible to livekit.rtc (client §16.1)
            assert seen == [("room", "live"), ("data", b"hi", "chat", None)]
            assert not lk.room("r").is_subscribed("bob", cam)
            assert bob.remote_participants["carol"].track_publications[cam].subscribed
            old = lk.rooms["r"]
            await lkapi.room.delete_room(api.DeleteRoomRequest(room="r"))
            await lk.settle()
            assert ended == [rtc.DisconnectReason.ROOM_DELETED] and old.closed
            listed = await lkapi.room.list_rooms(api.ListRoomsRequest(names=["r"]))
            assert list(listed.rooms) == []

    run(body)


def test_create_room_options_become_the_room_config() -> None:
    async def body(lk: LiveKitServer) -> None:
        async with backend(lk) as lkapi:
            made = await lkapi.room.create_room(
                api.CreateRoomRequest(
                    name="big",
                    empty_timeout=30,
                    departure_timeout=5,
                    max_participants=2,
                    metadata="m",
                )
            )
            again = await lkapi.room.create_room(
                api.CreateRoomRequest(name="big", empty_timeout=99)
            )
            listed = await lkapi.room.list_rooms(api.ListRoomsRequest())
        room = lk.rooms["big"]
        assert (room.config.empty_timeout, room.config.departure_timeout) == (30.0, 5.0)
        assert room.config.max_participants == 2 and room.metadata == "m"
        # an open room is returned as it is (LiveKit's getOrCreateRoom)
        assert again.sid == made.sid == room.sid and again.empty_timeout == 30
        assert made.creation_time == int(lk.epoch) and made.metadata == "m"
        assert [r.name for r in listed.rooms] == ["big"]

    run(body)


# --------------------------------------------------------------------------------------------
# refusals: LiveKit's codes and texts, and the room as it was


def _state(lk: LiveKitServer) -> Any:
    room = lk.rooms["r"]
    return (room.snapshot(), len(room.log), room.closed)


def _admin(lk: LiveKitServer, **grants: Any) -> str:
    video = api.VideoGrants(**grants)
    return api.AccessToken(lk.api_key, lk.api_secret).with_grants(video).to_jwt()


CALLS: dict[str, Callable[[api.LiveKitAPI], Awaitable[Any]]] = {
    "list_participants": lambda a: a.room.list_participants(api.ListParticipantsRequest(room="r")),
    "get_participant": lambda a: a.room.get_participant(who(room="r", identity="alice")),
    "remove_participant": lambda a: a.room.remove_participant(who(room="r", identity="alice")),
    "update_participant": lambda a: a.room.update_participant(
        api.UpdateParticipantRequest(room="r", identity="alice", metadata="x")
    ),
    "mute_published_track": lambda a: a.room.mute_published_track(
        api.MuteRoomTrackRequest(room="r", identity="alice", track_sid="TR_1", muted=True)
    ),
    "update_subscriptions": lambda a: a.room.update_subscriptions(
        api.UpdateSubscriptionsRequest(room="r", identity="alice", track_sids=["TR_1"])
    ),
    "send_data": lambda a: a.room.send_data(api.SendDataRequest(room="r", data=b"x")),
    "update_room_metadata": lambda a: a.room.update_room_metadata(
        api.UpdateRoomMetadataRequest(room="r", metadata="x")
    ),
    "delete_room": lambda a: a.room.delete_room(api.DeleteRoomRequest(room="r")),
    "create_room": lambda a: a.room.create_room(api.CreateRoomRequest(name="r2")),
    "list_rooms": lambda a: a.room.list_rooms(api.ListRoomsRequest()),
}


async def _refused(lk: LiveKitServer, call: str, **kwargs: Any) -> api.TwirpError:
    before = _state(lk)
    async with backend(lk, **kwargs) as lkapi:
        with pytest.raises(api.TwirpError) as raised:
            await CALLS[call](lkapi)
    await lk.settle()
    assert _state(lk) == before and "r2" not in lk.rooms
    return raised.value


async def _setup(lk: LiveKitServer) -> rtc.Room:
    sdk = await join(lk, "alice")
    await lk.settle()
    return sdk


@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_token_with_another_key_or_secret_is_a_bare_401(call: str) -> None:
    async def body(lk: LiveKitServer) -> None:
        await _setup(lk)
        for key, secret in (("other-key", lk.api_secret), (lk.api_key, "x" * 32)):
            error = await _refused(lk, call, api_key=key, api_secret=secret)
            # LiveKit's auth middleware answers in plain text: the client reports "unknown"
            assert (error.status, error.code) == (401, "unknown")

    run(body)


@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_token_without_the_grant_is_unauthenticated_permissions_denied(call: str) -> None:
    async def body(lk: LiveKitServer) -> None:
        await _setup(lk)
        wrong = {  # each call's grant missing, or for another room
            "list_rooms": _admin(lk, room_create=True, room_admin=True, room="r"),
            "create_room": _admin(lk, room_list=True, room_admin=True, room="r"),
            "delete_room": _admin(lk, room_list=True, room_admin=True, room="r"),
        }.get(call, _admin(lk, room_admin=True, room="other", room_create=True))
        for token in (wrong, lk.token("x", room="r")):
            error = await _refused(lk, call, token=token)
            assert (error.status, error.code, error.message) == (
                401,
                "unauthenticated",
                "permissions denied",
            )

    run(body)


def test_an_expired_token_is_refused_on_the_virtual_clock() -> None:
    async def body(lk: LiveKitServer) -> None:
        await _setup(lk)
        token = _admin(lk, room_admin=True, room="r")
        lk.advance(7 * 3600)  # past the 6 h livekit-api gives its tokens (and the leeway)
        error = await _refused(lk, "list_participants", token=token)
        assert (error.status, error.code) == (401, "unknown")

    run(body, room_config=RoomConfig(empty_timeout=30 * 3600, departure_timeout=30 * 3600))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("get_participant", "participant does not exist"),
        ("remove_participant", "participant does not exist"),
        ("update_participant", "participant does not exist"),
        ("mute_published_track", "participant does not exist"),
        ("update_subscriptions", "participant does not exist"),
    ],
)
def test_an_unknown_participant_is_not_found(call: str, message: str) -> None:
    async def body(lk: LiveKitServer) -> None:
        lk.room("r").connect("bob")
        error = await _refused(lk, call)
        assert (error.status, error.code, error.message) == (404, "not_found", message)

    run(body)


@pytest.mark.parametrize(
    "call", ["list_participants", "get_participant", "send_data", "update_room_metadata"]
)
def test_an_unknown_room_is_not_found(call: str) -> None:
    async def body(lk: LiveKitServer) -> None:
        lk.room("other")
        async with backend(lk) as lkapi:
            with pytest.raises(api.TwirpError) as raised:
                await CALLS[call](lkapi)
        error = raised.value
        assert (error.status, error.code, error.message) == (
            404,
            "not_found",
            "requested room does not exist",
        )
        assert list(lk.rooms) == ["other"]

    run(body)


def test_what_the_room_refuses_comes_back_with_its_code_and_changes_nothing() -> None:
    async def body(lk: LiveKitServer) -> None:
        alice = lk.room("r").connect("alice")
        mic = alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
        alice.set_track_muted(mic, True)
        before = _state(lk)
        async with backend(lk) as lkapi:
            with pytest.raises(api.TwirpError) as unmute:
                await lkapi.room.mute_published_track(
                    api.MuteRoomTrackRequest(room="r", identity="alice", track_sid=mic)
                )
            with pytest.raises(api.TwirpError) as big:
                await lkapi.room.update_participant(
                    api.UpdateParticipantRequest(room="r", identity="alice", metadata="x" * 99)
                )
        # livekit-api always sends a 16-byte nonce; a raw request can send another
        path = "/twirp/livekit.RoomService/SendData"
        nonce = await _post(lk, path, b'{"room":"r","data":"eA==","nonce":"MQ=="}', JSON)
        assert _state(lk) == before
        assert (unmute.value.status, unmute.value.code) == (412, "failed_precondition")
        assert "remote unmute not enabled" in unmute.value.message
        assert (big.value.status, big.value.code) == (400, "invalid_argument")
        assert (nonce[0], json.loads(nonce[2])) == (
            400,
            {
                "code": "invalid_argument",
                "msg": "nonce should be 16-bytes or not present, got: 1 bytes",
            },
        )

    run(body, room_config=RoomConfig(max_metadata_size=10))


def test_an_unknown_track_is_muted_by_no_one_and_answered_without_a_track() -> None:
    async def body(lk: LiveKitServer) -> None:
        lk.room("r").connect("alice")
        before = _state(lk)
        async with backend(lk) as lkapi:
            res = await lkapi.room.mute_published_track(
                api.MuteRoomTrackRequest(room="r", identity="alice", track_sid="TR_x", muted=True)
            )
        assert not res.HasField("track")
        assert lk.room("r").snapshot().participants == before[0].participants

    run(body)


# --------------------------------------------------------------------------------------------
# Twirp over HTTP: JSON bodies, routes, the auth header


async def _post(
    lk: LiveKitServer,
    path: str,
    body: bytes,
    content_type: str,
    *,
    method: str = "POST",
    auth: str | None = None,
) -> tuple[int, str, Any]:
    url = lk.url.replace("ws://", "http://") + path
    if auth is None:
        auth = "Bearer " + _admin(lk, room_admin=True, room="r", room_list=True)
    headers = {"Content-Type": content_type, "Authorization": auth}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, data=body, headers=headers) as resp,
    ):
        return resp.status, resp.content_type, await resp.text()


def test_json_bodies_are_read_and_answered_as_twirp_does() -> None:
    async def body(lk: LiveKitServer) -> None:
        lk.room("r").connect("alice", metadata="m")
        path = "/twirp/livekit.RoomService/ListParticipants"
        status, kind, text = await _post(lk, path, b'{"room": "r", "extra": 1}', "application/json")
        assert (status, kind) == (200, "application/json")
        answer = json.loads(text)
        (alice,) = answer["participants"]
        # proto field names, unpopulated fields included (twirp's protojson options)
        assert alice["identity"] == "alice" and alice["metadata"] == "m"
        assert alice["is_publisher"] is False and alice["tracks"] == []
        path = "/twirp/livekit.RoomService/UpdateParticipant"
        status, _, text = await _post(
            lk,
            path,
            b'{"room":"r","identity":"alice","attributes":{"k":"v"}}',
            "application/json; charset=utf-8",
        )
        assert status == 200 and json.loads(text)["attributes"] == {"k": "v"}
        assert lk.room("r").participants["alice"].attributes == {"k": "v"}

    run(body)


@pytest.mark.parametrize(
    ("path", "method", "content_type", "body", "status", "code", "msg"),
    [
        (
            "/twirp/livekit.RoomService/Nope",
            "POST",
            "application/json",
            b"{}",
            404,
            "bad_route",
            'no handler for path "/twirp/livekit.RoomService/Nope"',
        ),
        (
            "/twirp/livekit.RoomService/ListRooms",
            "GET",
            "application/json",
            b"",
            404,
            "bad_route",
            'unsupported method "GET" (only POST is allowed)',
        ),
        (
            "/twirp/livekit.RoomService/ListRooms",
            "POST",
            "text/plain",
            b"",
            404,
            "bad_route",
            'unexpected Content-Type: "text/plain"',
        ),
        (
            "/twirp/livekit.RoomService/ListRooms",
            "POST",
            "application/json",
            b"{",
            400,
            "malformed",
            "the json request could not be decoded",
        ),
        (
            "/twirp/livekit.RoomService/ListRooms",
            "POST",
            "application/protobuf",
            b"\xff",
            400,
            "malformed",
            "the protobuf request could not be decoded",
        ),
    ],
)
def test_twirp_refuses_bad_routes_and_bodies(
    path: str, method: str, content_type: str, body: bytes, status: int, code: str, msg: str
) -> None:
    async def main(lk: LiveKitServer) -> None:
        got = await _post(lk, path, body, content_type, method=method)
        assert (got[0], json.loads(got[2])["code"], json.loads(got[2])["msg"]) == (
            status,
            code,
            msg,
        )

    run(main)


@pytest.mark.parametrize(
    ("auth", "text"),
    [
        ("Basic abc", "invalid authorization header. Must start with Bearer "),
        ("Bearer not-a-jwt", "invalid authorization token"),
    ],
)
def test_the_auth_middleware_answers_in_plain_text(auth: str, text: str) -> None:
    async def main(lk: LiveKitServer) -> None:
        path = "/twirp/livekit.RoomService/ListRooms"
        assert await _post(lk, path, b"{}", "application/json", auth=auth) == (
            401,
            "text/plain",
            text,
        )
        foreign = jwt.encode({"iss": "someone", "exp": 2**40}, "s" * 32, algorithm="HS256")
        got = await _post(lk, path, b"{}", "application/json", auth=f"Bearer {foreign}")
        assert got == (401, "text/plain", "invalid API key")

    run(main)


def test_no_token_at_all_reaches_the_method_with_no_grants() -> None:
    async def main(lk: LiveKitServer) -> None:
        path = "/twirp/livekit.RoomService/ListRooms"
        status, _, text = await _post(lk, path, b"{}", "application/json", auth="")
        assert (status, json.loads(text)) == (
            401,
            {"code": "unauthenticated", "msg": "permissions denied"},
        )

    run(main)


def test_serve_options_are_checked() -> None:
    async def main() -> None:
        cases: list[tuple[dict[str, Any], str]] = [
            ({"url": "ws://x"}, "http=False"),
            ({"port": -1}, "0..65535"),
            ({"webhook_urls": "http://x"}, "wrap it"),
            ({"webhook_urls": ["ftp://x"]}, "http://"),
            ({"http": False, "webhook_urls": ["http://x"]}, "needs http=True"),
        ]
        for kwargs, text in cases:
            with pytest.raises(InvalidArgument, match=text):
                async with serve(**kwargs):
                    pass
        async with serve(http=False, url="ws://elsewhere") as lk:
            assert lk.url == "ws://elsewhere" and lk.http is None

    asyncio.run(main())
    assert FfiClient._instance is None


def test_a_permission_update_reaches_the_sdk_room() -> None:
    async def body(lk: LiveKitServer) -> None:
        alice = await join(lk, "alice")
        changed: list[tuple[str, bool]] = []
        alice.on(
            "participant_permissions_changed",
            lambda p, permission: changed.append((p.identity, permission.can_publish)),
        )
        async with backend(lk) as lkapi:
            await lkapi.room.update_participant(
                api.UpdateParticipantRequest(
                    room="r",
                    identity="alice",
                    permission=api.ParticipantPermission(can_subscribe=True, can_publish=False),
                )
            )
        await lk.settle()
        assert lk.room("r").participants["alice"].permission == Permission(
            can_publish=False, can_publish_data=False
        )
        assert changed == [("alice", False)]

    run(body)


def test_create_room_refuses_metadata_over_the_limit_and_makes_no_room() -> None:
    async def body(lk: LiveKitServer) -> None:
        async with backend(lk) as lkapi:
            with pytest.raises(api.TwirpError) as raised:
                await lkapi.room.create_room(api.CreateRoomRequest(name="r", metadata="x" * 11))
        assert (raised.value.code, raised.value.message) == (
            "invalid_argument",
            "metadata size exceeds limits 10",
        )
        assert raised.value.metadata == {"argument": "metadata size exceeds limits"}
        assert dict(lk.rooms) == {} and lk.webhooks == ()

    run(body, room_config=RoomConfig(max_metadata_size=10))


def test_a_roomsim_handler_that_raises_does_not_fail_the_call_settle_raises_it() -> None:
    async def body(lk: LiveKitServer) -> None:
        def boom(event: Any) -> None:
            raise RuntimeError("handler bug")

        lk.room("r").connect("bob", on={"room_metadata_changed": boom})
        async with backend(lk) as lkapi:
            room = await lkapi.room.update_room_metadata(
                api.UpdateRoomMetadataRequest(room="r", metadata="new")
            )
        assert room.metadata == "new" and lk.room("r").metadata == "new"
        with pytest.raises(HandlerError, match="handler bug"):
            await lk.settle()

    run(body)
