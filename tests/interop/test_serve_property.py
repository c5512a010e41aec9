"""Random histories through two SDK rooms under ``serve()``: after ``settle()`` each SDK Room's
state equals its roomsim client's snapshot (what the SDK can hold; ``_harness`` compares)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import pytest

pytest.importorskip("livekit.api")

from hypothesis import given, settings
from hypothesis import strategies as st
from livekit import rtc

from roomsim import Client, ConnectionQuality, Permission, RoomsimError, TrackKind, TrackSource
from roomsim.livekit import FED_EVENTS, LiveKitServer, serve, to_rtc
from tests.interop._harness import _participant, _snapshot

KEYS = ["k1", "k2"]
VALUES = ["", "x", "y"]
QUALITIES = [q for q in ConnectionQuality if q is not ConnectionQuality.UNKNOWN]


def check(lk: LiveKitServer, identity: str, sdk: rtc.Room) -> None:
    client = lk.room("r").clients.get(identity)
    if client is None or client.disconnect_reason is not None:
        assert not sdk.isconnected(), identity
        return
    assert sdk.isconnected()
    assert sdk.connection_state == to_rtc(client.connection_state)
    assert sdk.metadata == client.room_metadata
    assert _participant(sdk.local_participant) == _snapshot(client.local_participant, remote=False)
    remotes = client.remote_participants
    assert list(sdk.remote_participants) == list(remotes), identity
    for other, rp in sdk.remote_participants.items():
        snap = remotes[other]
        assert _participant(rp) == _snapshot(snap, remote=True), (identity, other)
        assert rp.state == to_rtc(snap.state)


#: what the SDK raises for a verb the server refuses (a revoked grant, a track it removed)
REFUSALS = (
    rtc.participant.PublishTrackError,
    rtc.participant.UnpublishTrackError,
    rtc.participant.PublishDataError,
)


async def step(data: st.DataObject, lk: LiveKitServer, sdks: dict[str, rtc.Room]) -> None:
    with contextlib.suppress(*REFUSALS):
        await _step(data, lk, sdks)
    await lk.settle()


async def _step(data: st.DataObject, lk: LiveKitServer, sdks: dict[str, rtc.Room]) -> None:
    room = lk.room("r")
    who = data.draw(st.sampled_from(sorted(sdks)))
    sdk = sdks[who]
    live = sdk.isconnected()
    me = sdk.local_participant
    action = data.draw(st.integers(0, 13))
    if action == 0 and live:
        await me.set_attributes(
            {data.draw(st.sampled_from(KEYS)): data.draw(st.sampled_from(VALUES))}
        )
    elif action == 1 and live:
        await me.set_metadata(data.draw(st.sampled_from(["", "m1", "m2"])))
    elif action == 2 and live:
        await me.set_name(data.draw(st.sampled_from(["", "N1", "N2"])))
    elif action == 3 and live:
        targets = data.draw(st.sampled_from([[], ["a"], ["b"], ["c"]]))
        await me.publish_data(
            b"d", reliable=data.draw(st.booleans()), destination_identities=targets
        )
    elif action == 4 and live:
        if data.draw(st.booleans()):
            track: rtc.LocalTrack = rtc.LocalAudioTrack.create_audio_track(
                "mic", rtc.AudioSource(48000, 1)
            )
            source = rtc.TrackSource.SOURCE_MICROPHONE
        else:
            track = rtc.LocalVideoTrack.create_video_track("cam", rtc.VideoSource(64, 48))
            source = rtc.TrackSource.SOURCE_CAMERA
        await me.publish_track(track, rtc.TrackPublishOptions(source=source))
    elif action == 5 and live and me.track_publications:
        pub = data.draw(
            st.sampled_from(sorted(me.track_publications.values(), key=lambda p: p.sid))
        )
        assert pub.track is not None
        if data.draw(st.booleans()):
            pub.track.mute()
        else:
            pub.track.unmute()
    elif action == 6 and live and me.track_publications:
        sid = data.draw(st.sampled_from(sorted(me.track_publications)))
        await me.unpublish_track(sid)
    elif action == 7 and live:
        pubs = [
            p for rp in sdk.remote_participants.values() for p in rp.track_publications.values()
        ]
        if pubs:
            remote = data.draw(st.sampled_from(sorted(pubs, key=lambda p: p.sid)))
            remote.set_subscribed(data.draw(st.booleans()))
    elif action == 8:
        # the roomsim side: a third participant comes, publishes, goes
        if "c" in room.participants:
            c = room.clients["c"]
            if data.draw(st.booleans()):
                with contextlib.suppress(RoomsimError):  # its grant may have been revoked
                    c.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
            else:
                c.disconnect()
        else:
            room.connect("c", attributes={"k1": "c"})
    elif action == 9:
        target = data.draw(st.sampled_from(sorted(room.participants) or ["a"]))
        key, value = data.draw(st.sampled_from(KEYS)), data.draw(st.sampled_from(VALUES))
        metadata = data.draw(st.sampled_from([None, "srv"]))
        with contextlib.suppress(RoomsimError):
            room.update_participant(target, attributes={key: value}, metadata=metadata)
    elif action == 10:
        room.update_room_metadata(data.draw(st.sampled_from(["", "r1", "r2"])))
    elif action == 11 and room.participants:
        target = data.draw(st.sampled_from(sorted(room.participants)))
        room.set_connection_quality(target, data.draw(st.sampled_from(QUALITIES)))
        lk.advance(data.draw(st.sampled_from([0.4, 5.0])))
    elif action == 12 and live and data.draw(st.integers(0, 3)) == 0:
        await sdk.disconnect()
    elif action == 13 and room.participants:
        # the server API replaces the whole permission set (client §16.12)
        target = data.draw(st.sampled_from(sorted(room.participants)))
        permission = Permission(
            can_subscribe=data.draw(st.booleans()),
            can_publish=data.draw(st.booleans()),
            can_update_metadata=data.draw(st.booleans()),
        )
        room.update_participant(target, permission=permission)


@settings(max_examples=30)
@given(st.data())
def test_two_sdk_rooms_match_their_roomsim_clients_after_every_step(data: st.DataObject) -> None:
    errors: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR:
                errors.append(record)

    handler = Collect()
    loggers = [logging.getLogger("livekit"), logging.getLogger()]
    for logger in loggers:
        logger.addHandler(handler)

    async def main() -> None:
        async with serve() as lk:
            sdks: dict[str, Any] = {}
            emitted: dict[str, list[str]] = {}
            clients: dict[str, Client] = {}
            for identity in ("a", "b"):
                sdks[identity] = sdk = rtc.Room()
                names: list[str] = []
                emitted[identity] = names
                for cls in FED_EVENTS:
                    sdk.on(cls.name, lambda *args, n=cls.name, names=names: names.append(n))  # type: ignore[arg-type]
                token = lk.token(identity, room="r", can_update_own_metadata=True)
                await sdk.connect(lk.url, token)
                clients[identity] = lk.room("r").clients[identity]
            await lk.settle()
            for _ in range(data.draw(st.integers(1, 12))):
                await step(data, lk, sdks)
                for identity, sdk in sdks.items():
                    check(lk, identity, sdk)
                    # every event of the roomsim client reached the SDK room, in order
                    fed = [e.name for e in clients[identity].events if type(e) in FED_EVENTS]
                    assert emitted[identity] == fed, identity

    try:
        asyncio.run(main())
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    assert [r.getMessage() for r in errors] == []
