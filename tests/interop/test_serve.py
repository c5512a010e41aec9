"""``serve()``: unchanged ``livekit.rtc`` calls against roomsim rooms (design §6).

Each test drives the real SDK (``rtc.Room().connect``, ``local_participant.*``, publications)
inside ``asyncio.run``; the roomsim side is read through the public API (``lk.room(...)``).
"""

from __future__ import annotations

import asyncio
import logging
import types
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("livekit.api")

import jwt
from livekit import api, rtc
from livekit.rtc._ffi_client import FfiClient

from roomsim import (
    DataPacketKind,
    DisconnectReason,
    ParticipantKind,
    Permission,
    RoomConfig,
    TrackKind,
    TrackSource,
)
from roomsim import events as E
from roomsim import mutations as M
from roomsim.livekit import (
    NOT_SIMULATED_REQUESTS,
    LiveKitServer,
    NativeFfiActive,
    NotSimulated,
    serve,
    to_rtc,
)
from roomsim.livekit._ffi import InProcessFfi
from tests.interop._serving import join, run

# --------------------------------------------------------------------------------------------
# connect


def test_connect_turns_the_token_claims_into_the_participant() -> None:
    async def body(lk: LiveKitServer) -> None:
        sdk = rtc.Room()
        token = lk.token(
            "agent",
            room="standup",
            name="Agent",
            metadata='{"v": 1}',
            attributes={"role": "bot"},
            kind="agent",
            can_publish=False,
            can_update_own_metadata=True,
            can_publish_sources=["microphone"],
        )
        await sdk.connect(lk.url, token)
        me = sdk.local_participant
        assert (me.identity, me.name, me.metadata, me.attributes) == (
            "agent",
            "Agent",
            '{"v": 1}',
            {"role": "bot"},
        )
        assert me.kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT
        snap = lk.room("standup").participants["agent"]
        assert snap.kind is ParticipantKind.AGENT
        assert snap.permission == Permission(
            can_publish=False,
            can_publish_data=True,  # the token says so explicitly (VideoGrants default)
            can_update_metadata=True,
            can_publish_sources=(TrackSource.MICROPHONE,),
        )
        assert me.permissions == to_rtc(snap.permission)
        assert sdk.name == "standup" and sdk.isconnected()
        assert await sdk.sid == lk.room("standup").sid
        await sdk.disconnect()

    run(body)


def test_the_connect_callback_carries_the_participants_and_their_publications() -> None:
    async def body(lk: LiveKitServer) -> None:
        room = lk.room("r")
        alice = room.connect("alice", attributes={"a": "1"})
        mic = alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE, name="mic")
        connected: list[str] = []
        sdk = rtc.Room()
        sdk.on("participant_connected", lambda p: connected.append(p.identity))
        await sdk.connect(lk.url, lk.token("bob", room="r"))
        # state at connect, no participant_connected for who was already there (client §13)
        rp = sdk.remote_participants["alice"]
        assert rp.attributes == {"a": "1"} and list(rp.track_publications) == [mic]
        await lk.settle()
        assert connected == []
        pub = rp.track_publications[mic]
        assert pub.subscribed and isinstance(pub.track, rtc.RemoteAudioTrack)
        assert pub.name == "mic" and pub.source == rtc.TrackSource.SOURCE_MICROPHONE

    run(body)


def test_auto_subscribe_false_is_honoured_and_set_subscribed_subscribes() -> None:
    async def body(lk: LiveKitServer) -> None:
        alice = lk.room("r").connect("alice")
        cam = alice.publish_track(TrackKind.VIDEO, TrackSource.CAMERA)
        sdk = rtc.Room()
        await sdk.connect(lk.url, lk.token("bob", room="r"), rtc.RoomOptions(auto_subscribe=False))
        await lk.settle()
        pub = sdk.remote_participants["alice"].track_publications[cam]
        assert not subscribed(pub)
        bob = lk.room("r").clients["bob"]
        assert not bob.remote_participants["alice"].track_publications[cam].subscribed
        pub.set_subscribed(True)
        await lk.settle()
        assert subscribed(pub) and isinstance(pub.track, rtc.RemoteVideoTrack)
        assert bob.remote_participants["alice"].track_publications[cam].subscribed
        pub.set_subscribed(False)
        await lk.settle()
        assert not subscribed(pub)
        unsub = M.SetSubscribed(identity="bob", publisher="alice", track_sid=cam, subscribed=False)
        assert unsub in lk.room("r").log

    run(body)


def subscribed(pub: rtc.RemoteTrackPublication) -> bool:
    # a function call: mypy would otherwise narrow the property across awaits
    return pub.subscribed


# --------------------------------------------------------------------------------------------
# refused tokens: LiveKit's status and text (rust-sdks SignalError::Client)

UNAUTHORIZED = "engine: signal failure: client error: 401 Unauthorized - "


async def refused(lk: LiveKitServer, token: str, url: str | None = None) -> str:
    sdk = rtc.Room()
    with pytest.raises(rtc.ConnectError) as info:
        await sdk.connect(lk.url if url is None else url, token)
    assert not sdk.isconnected()
    return info.value.message


def test_bad_tokens_are_refused_with_livekits_error() -> None:
    async def body(lk: LiveKitServer) -> None:
        assert await refused(lk, "not-a-jwt") == UNAUTHORIZED
        wrong_secret = api.AccessToken(lk.api_key, "another-secret-of-32-bytes-length!")
        wrong_secret.with_identity("x").with_grants(api.VideoGrants(room_join=True, room="r"))
        assert await refused(lk, wrong_secret.to_jwt()) == UNAUTHORIZED
        unknown_key = api.AccessToken("unknown-key", lk.api_secret).with_identity("x")
        unknown_key.with_grants(api.VideoGrants(room_join=True, room="r"))
        assert await refused(lk, unknown_key.to_jwt()) == UNAUTHORIZED
        no_join = lk.token("x", room="r", room_join=False)
        assert await refused(lk, no_join) == UNAUTHORIZED + "permissions denied"
        no_room = jwt.encode(
            {
                "sub": "x",
                "iss": lk.api_key,
                "exp": int(lk.unix_now) + 60,
                "video": {"roomJoin": True},
            },
            lk.api_secret,
            algorithm="HS256",
        )
        assert await refused(lk, no_room) == (
            "engine: signal failure: client error: 400 Bad Request - room name cannot be empty"
        )
        no_exp = jwt.encode(
            {"sub": "x", "iss": lk.api_key, "video": {"roomJoin": True, "room": "r"}},
            lk.api_secret,
            algorithm="HS256",
        )
        assert await refused(lk, no_exp) == UNAUTHORIZED
        message = await refused(lk, lk.token("x", room="r"), url="ws://elsewhere:7880")
        assert "404 Not Found" in message and "lk.url" in message
        # nobody joined
        assert "x" not in lk.room("r").participants

    run(body)


def test_token_times_are_checked_against_the_virtual_clock() -> None:
    async def body(lk: LiveKitServer) -> None:
        lk.room("r")
        short = lk.token("a", room="r", ttl=10.0)
        lk.advance(10.0 + 60.0)  # exp plus LiveKit's one minute of leeway: still valid
        assert (await join_token(lk, short)).isconnected()
        lk.advance(1.0)
        assert await refused(lk, short) == UNAUTHORIZED
        # a token from AccessToken.to_jwt() carries the wall clock: valid now (epoch = wall)
        real = api.AccessToken(lk.api_key, lk.api_secret).with_identity("c")
        real.with_grants(api.VideoGrants(room_join=True, room="r"))
        assert (await join_token(lk, real.to_jwt())).isconnected()

    run(body)


async def join_token(lk: LiveKitServer, token: str) -> rtc.Room:
    sdk = rtc.Room()
    await sdk.connect(lk.url, token)
    return sdk


def test_a_token_not_yet_valid_is_refused() -> None:
    async def body(lk: LiveKitServer) -> None:
        early = jwt.encode(
            {
                "sub": "x",
                "iss": lk.api_key,
                "nbf": int(lk.unix_now) + 3600,
                "exp": int(lk.unix_now) + 7200,
                "video": {"roomJoin": True, "room": "r"},
            },
            lk.api_secret,
            algorithm="HS256",
        )
        assert await refused(lk, early) == UNAUTHORIZED

    run(body, epoch=1_700_000_000)


def test_a_refused_join_is_a_connect_error() -> None:
    async def body(lk: LiveKitServer) -> None:
        await join(lk, "a")
        message = await refused(lk, lk.token("b", room="r"))
        assert "403 Forbidden" in message

    run(body, room_config=RoomConfig(max_participants=1))


def test_rooms_are_created_on_first_join_with_their_config() -> None:
    async def body(lk: LiveKitServer) -> None:
        await join(lk, "a", room="small")
        await join(lk, "a", room="big")
        assert lk.rooms["small"].config.max_participants == 2
        assert lk.rooms["big"].config == RoomConfig()
        assert list(lk.rooms) == ["small", "big"]

    run(body, rooms={"small": RoomConfig(max_participants=2)})


# --------------------------------------------------------------------------------------------
# the local participant's verbs


def test_metadata_name_and_attributes_reach_the_room_and_the_other_sdk_room() -> None:
    async def body(lk: LiveKitServer) -> None:
        agent = await join(lk, "agent", can_update_own_metadata=True)
        user = await join(lk, "user")
        seen: list[tuple[Any, ...]] = []
        user.on("participant_metadata_changed", lambda p, old, new: seen.append(("md", new)))
        user.on("participant_name_changed", lambda p, old, new: seen.append(("name", new)))
        user.on("participant_attributes_changed", lambda ch, p: seen.append(("attr", ch)))
        me = agent.local_participant
        await me.set_metadata("m1")
        await me.set_name("Agent")
        await me.set_attributes({"state": "listening", "x": "1"})
        await me.set_attributes({"x": ""})
        # after the await the caller's own state is updated (events before the callback)
        assert (me.metadata, me.name, me.attributes) == ("m1", "Agent", {"state": "listening"})
        await lk.settle()
        assert seen == [
            ("md", "m1"),
            ("name", "Agent"),
            ("attr", {"state": "listening", "x": "1"}),
            ("attr", {"x": ""}),
        ]
        assert lk.room("r").participants["agent"].attributes == {"state": "listening"}
        assert M.SetMetadata(identity="agent", metadata="m1") in lk.room("r").log

    run(body)


def test_a_refused_own_update_is_silent_as_in_livekit_rtc() -> None:
    async def body(lk: LiveKitServer) -> None:
        user = await join(lk, "user")  # no canUpdateOwnMetadata
        me = user.local_participant
        await me.set_attributes({"hand": "up"})
        await me.set_metadata("m")
        await me.set_name("N")
        await lk.settle()
        assert (me.attributes, me.metadata, me.name) == ({}, "", "")
        assert lk.room("r").participants["user"].attributes == {}

    run(body)


def test_publish_data_reliable_lossy_topic_and_destinations() -> None:
    async def body(lk: LiveKitServer) -> None:
        a = await join(lk, "a")
        b = await join(lk, "b")
        c = await join(lk, "c")
        got: dict[str, list[tuple[Any, ...]]] = {"b": [], "c": []}
        for name, sdk in (("b", b), ("c", c)):
            sdk.on(
                "data_received",
                lambda pkt, name=name: got[name].append(
                    (pkt.participant.identity, pkt.data, pkt.topic, pkt.kind)
                ),
            )
        await a.local_participant.publish_data("hello", topic="chat")
        await a.local_participant.publish_data(b"\x00\x01", reliable=False)
        await a.local_participant.publish_data(b"only-c", destination_identities=["c"])
        await lk.settle()
        reliable, lossy = to_rtc(DataPacketKind.RELIABLE), to_rtc(DataPacketKind.LOSSY)
        assert got["b"] == [("a", b"hello", "chat", reliable), ("a", b"\x00\x01", "", lossy)]
        assert got["c"] == [
            ("a", b"hello", "chat", reliable),
            ("a", b"\x00\x01", "", lossy),
            ("a", b"only-c", "", reliable),
        ]
        roomsim_c = lk.room("r").clients["c"]
        assert [e.data for e in roomsim_c.events if isinstance(e, E.DataReceived)] == [
            b"hello",
            b"\x00\x01",
            b"only-c",
        ]

    run(body)


def test_publish_mute_and_unpublish_tracks() -> None:
    async def body(lk: LiveKitServer) -> None:
        agent = await join(lk, "agent")
        user = await join(lk, "user")
        events: list[str] = []
        for name in ("track_published", "track_subscribed", "track_muted", "track_unmuted"):
            user.on(name, lambda *args, name=name: events.append(name))
        user.on("track_unsubscribed", lambda *a: events.append("track_unsubscribed"))
        user.on("track_unpublished", lambda *a: events.append("track_unpublished"))
        local: list[str] = []
        agent.on("local_track_published", lambda pub, track: local.append(pub.sid))
        agent.on("local_track_subscribed", lambda track: local.append("subscribed"))
        source = rtc.AudioSource(48000, 1)
        track = rtc.LocalAudioTrack.create_audio_track("voice", source)
        await source.capture_frame(rtc.AudioFrame.create(48000, 1, 480))
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        pub = await agent.local_participant.publish_track(track, options)
        screen = rtc.LocalVideoTrack.create_video_track(
            "screen", rtc.VideoSource(640, 480, is_screencast=True)
        )
        spub = await agent.local_participant.publish_track(
            screen, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_SCREENSHARE)
        )
        await lk.settle()
        snap = lk.room("r").participants["agent"].track_publications
        assert (snap[pub.sid].name, snap[pub.sid].kind, snap[pub.sid].source) == (
            "voice",
            TrackKind.AUDIO,
            TrackSource.MICROPHONE,
        )
        assert snap[spub.sid].source is TrackSource.SCREEN_SHARE
        assert local == [pub.sid, "subscribed", spub.sid, "subscribed"]
        assert pub.track is track and track.sid == pub.sid
        track.mute()
        await lk.settle()
        assert lk.room("r").participants["agent"].track_publications[pub.sid].muted
        assert user.remote_participants["agent"].track_publications[pub.sid].muted
        track.unmute()
        await agent.local_participant.unpublish_track(pub.sid)
        await lk.settle()
        assert pub.sid not in agent.local_participant.track_publications
        assert pub.sid not in lk.room("r").participants["agent"].track_publications
        assert events == [
            "track_published",
            "track_subscribed",
            "track_published",
            "track_subscribed",
            "track_muted",
            "track_unmuted",
            "track_unsubscribed",
            "track_unpublished",
        ]

    run(body)


def test_publishing_without_the_grant_is_a_publish_track_error() -> None:
    async def body(lk: LiveKitServer) -> None:
        sdk = await join(lk, "viewer", can_publish=False)
        track = rtc.LocalAudioTrack.create_audio_track("mic", rtc.AudioSource(48000, 1))
        with pytest.raises(rtc.participant.PublishTrackError):
            await sdk.local_participant.publish_track(track)
        assert lk.room("r").participants["viewer"].track_publications == {}

    run(body)


def test_track_subscription_permissions() -> None:
    async def body(lk: LiveKitServer) -> None:
        pub_room = await join(lk, "pub")
        await join(lk, "a")
        await join(lk, "b")
        track = rtc.LocalAudioTrack.create_audio_track("mic", rtc.AudioSource(48000, 1))
        pub = await pub_room.local_participant.publish_track(track)
        pub_room.local_participant.set_track_subscription_permissions(
            allow_all_participants=False,
            participant_permissions=[
                rtc.ParticipantTrackPermission(participant_identity="a", allow_all=True)
            ],
        )
        await lk.settle()
        room = lk.room("r")
        assert room.is_subscribed("a", pub.sid)
        assert not room.is_subscribed("b", pub.sid)
        # livekit.rtc never hears of a subscription the server ends: b still shows it
        # (client §16.1), as roomsim's python client does
        views = {who: room.clients[who].remote_participants["pub"] for who in "ab"}
        assert all(v.track_publications[pub.sid].subscribed for v in views.values())

    run(body)


def test_disconnect_ends_the_session_everywhere() -> None:
    async def body(lk: LiveKitServer) -> None:
        a = await join(lk, "a")
        b = await join(lk, "b")
        left: list[tuple[str, int | None]] = []
        b.on("participant_disconnected", lambda p: left.append((p.identity, p.disconnect_reason)))
        states: list[int] = []
        a.on("connection_state_changed", states.append)
        await a.disconnect()
        await lk.settle()
        assert not a.isconnected() and states == [rtc.ConnectionState.CONN_DISCONNECTED]
        assert left == [("a", to_rtc(DisconnectReason.CLIENT_INITIATED))]
        assert "a" not in lk.room("r").participants
        await a.disconnect()  # a second call does nothing, as in livekit.rtc

    run(body)


def test_a_server_side_removal_disconnects_the_sdk_room() -> None:
    async def body(lk: LiveKitServer) -> None:
        a = await join(lk, "a")
        reasons: list[int] = []
        a.on("disconnected", reasons.append)
        lk.room("r").remove_participant("a")
        await lk.settle()
        assert reasons == [to_rtc(DisconnectReason.PARTICIPANT_REMOVED)]
        assert not a.isconnected()
        await a.disconnect()

    run(body)


def test_server_api_and_roomsim_clients_reach_the_sdk_rooms() -> None:
    async def body(lk: LiveKitServer) -> None:
        sdk = await join(lk, "agent")
        seen: list[Any] = []
        sdk.on("participant_connected", lambda p: seen.append(("joined", p.identity)))
        sdk.on("room_metadata_changed", lambda old, new: seen.append(("room", new)))
        sdk.on("participant_attributes_changed", lambda ch, p: seen.append((p.identity, ch)))
        room = lk.room("r")
        room.connect("carol", name="Carol")
        room.update_room_metadata("live")
        room.update_participant("agent", attributes={"k": "v"})
        await lk.settle()
        assert seen == [("joined", "carol"), ("room", "live"), ("agent", {"k": "v"})]
        assert sdk.metadata == "live" and sdk.local_participant.attributes == {"k": "v"}

    run(body)


def test_an_agent_and_two_users_in_one_room() -> None:
    async def body(lk: LiveKitServer) -> None:
        agent = await join(lk, "agent", kind="agent", can_update_own_metadata=True)
        alice = await join(lk, "alice", can_update_own_metadata=True)
        bob = await join(lk, "bob")
        await alice.local_participant.set_attributes({"hand": "up"})
        await bob.local_participant.publish_data(b"hi", topic="chat")
        await lk.settle()
        for sdk in (agent, bob):
            assert sdk.remote_participants["alice"].attributes == {"hand": "up"}
        assert sorted(agent.remote_participants) == ["alice", "bob"]
        assert (
            agent.remote_participants["bob"].kind == rtc.ParticipantKind.PARTICIPANT_KIND_STANDARD
        )
        assert alice.remote_participants["agent"].kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT

    run(body)


# --------------------------------------------------------------------------------------------
# what is not simulated answers as the SDK reports an error, never hangs


def test_stats_and_dtmf_answer_with_the_sdks_errors() -> None:
    async def body(lk: LiveKitServer) -> None:
        a = await join(lk, "a")
        await join(lk, "b")
        me = a.local_participant
        with pytest.raises(RuntimeError, match="not simulate"):
            await a.get_rtc_stats()
        with pytest.raises(rtc.participant.PublishDTMFError):
            await me.publish_dtmf(code=1, digit="1")
        with pytest.raises(NotSimulated):
            rtc.AudioStream.from_participant(
                participant=a.remote_participants["b"],
                track_source=rtc.TrackSource.SOURCE_MICROPHONE,
            )
        for name in ("get_session_stats", "publish_sip_dtmf"):
            assert name in NOT_SIMULATED_REQUESTS and lk.requests[name] == 1

    run(body)


def test_audio_streams_receive_captured_frames() -> None:
    """audio §9.6: a track's frames reach an AudioStream on the track and one opened from the
    participant, once virtual time plays them; the stream ends when the publisher leaves."""

    async def body(lk: LiveKitServer) -> None:
        agent = await join(lk, "agent")
        user = await join(lk, "user")
        source = rtc.AudioSource(48000, 1)
        track = rtc.LocalAudioTrack.create_audio_track("voice", source)
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        await agent.local_participant.publish_track(track, options)
        await lk.settle()
        remote = user.remote_participants["agent"]
        (pub,) = remote.track_publications.values()
        assert pub.track is not None
        by_track = rtc.AudioStream(pub.track)
        by_source = rtc.AudioStream.from_participant(
            participant=remote, track_source=rtc.TrackSource.SOURCE_MICROPHONE
        )
        frame = rtc.AudioFrame(bytes(range(256)) * 15, 48000, 1, 1920)  # 40 ms
        await source.capture_frame(frame)
        lk.advance(0.04)
        await lk.settle()
        for stream in (by_track, by_source):
            got = [await stream.__anext__() for _ in range(4)]
            assert b"".join(bytes(e.frame.data) for e in got) == bytes(frame.data)
        await agent.disconnect()
        await lk.settle()
        for stream in (by_track, by_source):
            with pytest.raises(StopAsyncIteration):
                await stream.__anext__()

    run(body)


def test_every_answered_request_type_is_exercised_here() -> None:
    # the request types InProcessFfi answers (not its errors) are the ones the tests above
    # drive through the SDK; a new answer needs a test
    answered: set[str] = set()

    async def body(lk: LiveKitServer) -> None:
        answered.update(lk.ffi.answered)

    run(body)
    source = Path(__file__).read_text(encoding="utf-8")
    sdk_calls = {
        "connect": "sdk.connect(",
        "disconnect": ".disconnect()",
        "set_local_metadata": "set_metadata(",
        "set_local_name": "set_name(",
        "set_local_attributes": "set_attributes(",
        "publish_data": "publish_data(",
        "new_audio_source": "rtc.AudioSource(",
        "new_video_source": "rtc.VideoSource(",
        "create_audio_track": "create_audio_track(",
        "create_video_track": "create_video_track(",
        "capture_audio_frame": "capture_frame(",
        "publish_track": "publish_track(",
        "unpublish_track": "unpublish_track(",
        "local_track_mute": "track.mute()",
        "set_subscribed": "set_subscribed(",
        "set_track_subscription_permissions": "set_track_subscription_permissions(",
        "new_audio_stream": "rtc.AudioStream(",
        "audio_stream_from_participant": "AudioStream.from_participant(",
    }
    # RPC: driven through the SDK in test_serve_rpc.py
    rpc_calls = {
        "register_rpc_method": "register_rpc_method(",
        "unregister_rpc_method": "unregister_rpc_method(",
        "perform_rpc": "perform_rpc(",
        "rpc_method_invocation_response": "async def refuse(",
    }
    # data streams: driven through the SDK in test_serve_streams.py
    stream_calls = {
        "send_text": "send_text(",
        "send_bytes": "send_bytes(",
        "send_file": "send_file(",
        "text_stream_open": "stream_text(",
        "byte_stream_open": "stream_bytes(",
        "text_stream_write": "await writer.write(",
        "byte_stream_write": "await writer.write(b",
        "text_stream_close": "await writer.aclose(attributes=",
        "byte_stream_close": "await writer.aclose()",
        "text_read_incremental": "register_text_stream_handler(",
        "byte_read_incremental": "register_byte_stream_handler(",
    }
    assert answered == set(sdk_calls) | set(rpc_calls) | set(stream_calls)
    for name, call in sdk_calls.items():
        assert call in source, name
    rpc_source = (Path(__file__).parent / "test_serve_rpc.py").read_text(encoding="utf-8")
    for name, call in rpc_calls.items():
        assert call in rpc_source, name
    stream_source = (Path(__file__).parent / "test_serve_streams.py").read_text(encoding="utf-8")
    for name, call in stream_calls.items():
        assert call in stream_source, name


# --------------------------------------------------------------------------------------------
# serve() itself


def test_serve_refuses_a_second_server_and_a_started_native_ffi() -> None:
    async def main() -> None:
        async with serve():
            with pytest.raises(NativeFfiActive, match="already running"):
                async with serve():
                    pass
        # a stand-in for a started native FFI; handles of earlier tests that the collector
        # drops meanwhile read its ``_pid`` (another process's: they skip the native drop)
        FfiClient._instance = types.SimpleNamespace(_pid=-1)  # type: ignore[assignment]
        try:
            with pytest.raises(NativeFfiActive, match="native FFI"):
                async with serve():
                    pass
        finally:
            FfiClient._instance = None

    asyncio.run(main())


def test_serve_refuses_an_untested_livekit_api(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    from roomsim.livekit import UnsupportedVersion

    real = metadata.version
    monkeypatch.setattr(
        metadata,
        "version",
        lambda dist: "9.0.0" if dist == "livekit-api" else real(dist),
    )

    async def main() -> None:
        async with serve():
            pass

    with pytest.raises(UnsupportedVersion, match="livekit-api"):
        asyncio.run(main())
    assert FfiClient._instance is None


def test_leaving_serve_disconnects_the_sdk_rooms_and_restores_the_ffi_client() -> None:
    reasons: list[int] = []
    kept: list[rtc.Room] = []

    async def main() -> None:
        async with serve() as lk:
            sdk = await join(lk, "a")
            sdk.on("disconnected", reasons.append)
            kept.append(sdk)
            assert isinstance(FfiClient._instance, InProcessFfi)

    asyncio.run(main())
    assert FfiClient._instance is None
    assert reasons == [to_rtc(DisconnectReason.SERVER_SHUTDOWN)]
    assert not kept[0].isconnected()


def test_handler_errors_in_roomsim_handlers_surface_in_settle() -> None:
    async def body(lk: LiveKitServer) -> None:
        sdk = await join(lk, "a", can_update_own_metadata=True)
        watcher = lk.room("r").connect("w")

        def boom(e: E.Event) -> None:
            raise ValueError("boom")

        watcher.on("participant_attributes_changed", boom)
        await sdk.local_participant.set_attributes({"k": "v"})
        from roomsim import HandlerError

        with pytest.raises(HandlerError):
            await lk.settle()

    run(body)


def test_sdk_handler_exceptions_are_logged_as_livekit_rtc_does(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With handler_errors="log" the facade only logs, as livekit.rtc does."""

    async def body(lk: LiveKitServer) -> None:
        sdk = await join(lk, "a")

        def bad(p: rtc.RemoteParticipant) -> None:
            raise ValueError("handler bug")

        sdk.on("participant_connected", bad)
        lk.room("r").connect("b")
        await lk.settle()
        assert "b" in sdk.remote_participants

    with caplog.at_level(logging.ERROR):
        run(body, room_config=RoomConfig(handler_errors="log"))
    logged = [r.exc_info[1] for r in caplog.records if r.exc_info and r.exc_info[1]]
    assert [str(e) for e in logged if isinstance(e, ValueError)] == ["handler bug"]


def test_a_second_join_with_the_same_identity_replaces_the_session() -> None:
    async def body(lk: LiveKitServer) -> None:
        first = await join(lk, "alice")
        watcher = await join(lk, "w")
        reasons: list[int] = []
        first.on("disconnected", reasons.append)
        seen: list[tuple[str, str]] = []
        watcher.on("participant_disconnected", lambda p: seen.append(("left", p.sid)))
        watcher.on("participant_connected", lambda p: seen.append(("joined", p.sid)))
        old_sid = first.local_participant.sid
        second = await join(lk, "alice")
        await lk.settle()
        assert reasons == [to_rtc(DisconnectReason.DUPLICATE_IDENTITY)]
        assert not first.isconnected() and second.isconnected()
        assert seen == [("left", old_sid), ("joined", second.local_participant.sid)]
        assert watcher.remote_participants["alice"].sid == second.local_participant.sid

    run(body)


def test_a_hidden_participant_is_seen_by_nobody_and_its_data_has_no_sender() -> None:
    async def body(lk: LiveKitServer) -> None:
        user = await join(lk, "user")
        recorder = await join(lk, "recorder", hidden=True)
        got: list[tuple[str | None, bytes]] = []
        user.on(
            "data_received",
            lambda pkt: got.append(
                (pkt.participant.identity if pkt.participant else None, pkt.data)
            ),
        )
        await recorder.local_participant.publish_data(b"note")
        await lk.settle()
        assert list(user.remote_participants) == []
        assert list(recorder.remote_participants) == ["user"]
        assert got == [(None, b"note")]
        assert lk.room("r").participants["recorder"].permission.hidden

    run(body)


def test_settle_gives_up_on_work_that_never_ends_and_time_passes_without_rooms() -> None:
    from roomsim.livekit import NotSettled

    async def body(lk: LiveKitServer) -> None:
        lk.advance(1.0)  # no room yet: the clock alone moves
        assert lk.clock.now == 1.0
        room = lk.room("r")
        lk.advance(1.0)
        assert lk.clock.now == room.now == 2.0

        async def spin() -> None:
            while True:
                await asyncio.sleep(0)

        task = asyncio.get_running_loop().create_task(spin())
        with pytest.raises(NotSettled):
            await lk.settle()
        task.cancel()
        await lk.settle()

    run(body)


def test_a_roomsim_handler_raising_at_a_join_still_connects_and_settle_reports_it() -> None:
    from roomsim import HandlerError

    async def body(lk: LiveKitServer) -> None:
        watcher = lk.room("r").connect("w")

        def boom(e: E.Event) -> None:
            raise ValueError("boom")

        watcher.on("participant_connected", boom)
        sdk = await join(lk, "a")
        assert sdk.isconnected() and list(sdk.remote_participants) == ["w"]
        with pytest.raises(HandlerError):
            await lk.settle()

    run(body)


def test_an_exception_in_a_livekit_rtc_handler_is_raised_by_settle(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from roomsim import HandlerError

    async def body(lk: LiveKitServer) -> None:
        agent = await join(lk, "agent")

        def broken(participant: rtc.RemoteParticipant) -> None:
            raise ValueError("the app's bug")

        agent.on("participant_connected", broken)
        await join(lk, "user")
        with pytest.raises(HandlerError, match="the app's bug"):
            await lk.settle()
        await lk.settle()  # reported once

    run(body)
    assert any("failed to emit event" in r.getMessage() for r in caplog.records)
