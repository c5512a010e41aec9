"""Webhooks over real HTTP: ``serve(webhook_urls=...)`` POSTs what ``WebhookReceiver`` accepts.

The receiver is a tiny aiohttp app that checks every POST with livekit-api's unchanged
``WebhookReceiver(TokenVerifier(key, secret))``.  ``lk.settle()`` returns once every webhook
is delivered, so the tests await sockets, never the wall clock.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

pytest.importorskip("livekit.api")

from aiohttp import web
from livekit import api, rtc
from livekit.protocol.webhook import WebhookEvent

from roomsim import RoomConfig, TrackKind, TrackSource
from roomsim.livekit import LiveKitServer, serve

KEY = "roomsim-api-key"
SECRET = "roomsim-api-secret-that-is-32-bytes-long"


class Receiver:
    """An aiohttp app that verifies each webhook as a backend does, or fails on purpose."""

    def __init__(self, fail: int = 0, status: int = 500) -> None:
        self.receiver = api.WebhookReceiver(api.TokenVerifier(KEY, SECRET))
        self.events: list[WebhookEvent] = []
        self.bodies: list[str] = []
        self.content_types: list[str] = []
        self.fail = fail  # how many POSTs to answer with `status` first
        self.status = status
        self.posts = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.posts += 1
        if self.fail:
            self.fail -= 1
            return web.Response(status=self.status)
        body = await request.text()
        self.events.append(self.receiver.receive(body, request.headers["Authorization"]))
        self.bodies.append(body)
        self.content_types.append(request.headers["Content-Type"])
        return web.Response()


@asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    finally:
        await runner.cleanup()


def run(
    receivers: list[Receiver], body: Callable[[LiveKitServer], Awaitable[None]], **kwargs: Any
) -> None:
    async def main() -> None:
        urls: list[str] = []
        async with receiving(receivers[0]) as url:
            urls.append(url)
            if len(receivers) > 1:
                async with receiving(receivers[1]) as url2:
                    urls.append(url2)
                    async with serve(webhook_urls=urls, api_key=KEY, **kwargs) as lk:
                        await body(lk)
            else:
                async with serve(webhook_urls=urls, api_key=KEY, **kwargs) as lk:
                    await body(lk)

    asyncio.run(main())


def test_every_webhook_is_verified_by_webhook_receiver_in_order() -> None:
    receiver = Receiver()

    async def body(lk: LiveKitServer) -> None:
        alice = rtc.Room()
        await alice.connect(lk.url, lk.token("alice", room="r"))
        room = lk.room("r")
        bob = room.connect("bob")
        mic = bob.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE, name="mic")
        bob.unpublish_track(mic)
        bob.disconnect()
        await alice.disconnect()
        await lk.settle()
        lk.advance(60)  # the departure timeout closes the empty room
        await lk.settle()
        names = [e.event for e in receiver.events]
        assert names == [
            "room_started",
            "participant_joined",
            "participant_joined",
            "track_published",
            "track_unpublished",
            "participant_left",
            "participant_left",
            "room_finished",
        ]
        assert list(lk.webhooks) == receiver.events  # what was POSTed is what lk keeps
        assert [e.id for e in receiver.events] == [w.id for w in room.webhooks]
        assert set(receiver.content_types) == {"application/webhook+json"}
        joined, published = receiver.events[1], receiver.events[3]
        assert (joined.participant.identity, joined.room.name) == ("alice", "r")
        assert joined.created_at == int(lk.epoch)
        # track events carry the participant's sid and identity only, and the room's sid/name
        assert (published.participant.identity, published.participant.name) == ("bob", "")
        assert (published.track.sid, published.track.name) == (mic, "mic")
        assert published.room.empty_timeout == 0 and published.room.sid == room.sid
        # protojson: lowerCamelCase names, int64 as a string, no unpopulated field
        first = json.loads(receiver.bodies[0])
        assert first["event"] == "room_started" and first["createdAt"] == str(int(lk.epoch))
        assert "participant" not in first and first["room"]["emptyTimeout"] == 300

    run([receiver], body)


def test_server_api_calls_send_their_webhooks_and_every_url_gets_each() -> None:
    first, second = Receiver(), Receiver()

    async def body(lk: LiveKitServer) -> None:
        lkapi = api.LiveKitAPI(lk.url, lk.api_key, lk.api_secret)
        try:
            await lkapi.room.create_room(api.CreateRoomRequest(name="r"))
            lk.room("r").connect("carol")
            await lkapi.room.delete_room(api.DeleteRoomRequest(room="r"))
        finally:
            await lkapi.aclose()
        await lk.settle()
        expected = ["room_started", "participant_joined", "participant_left", "room_finished"]
        assert [e.event for e in first.events] == expected
        assert second.events == first.events

    run([first, second], body)


def test_a_failing_receiver_is_retried_then_given_up_without_stopping_the_room(
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver = Receiver(fail=5 + 2)  # the first webhook's 5 tries fail, then 2 of the next

    async def body(lk: LiveKitServer) -> None:
        room = lk.room("r")
        room.connect("alice")
        with caplog.at_level(logging.WARNING, logger="roomsim.livekit"):
            await lk.settle()
        room.connect("bob")
        await lk.settle()
        joined = [e.participant.identity for e in receiver.events]
        assert joined == ["alice", "bob"]
        (failure,) = lk.webhook_failures
        assert (failure.event, failure.error) == ("room_started", "HTTP 500")
        assert receiver.posts == 5 + 3 + 1
        assert "webhook room_started" in caplog.text
        assert list(room.participants) == ["alice", "bob"]

    run([receiver], body)


def test_a_receiver_that_is_not_there_is_logged_and_the_room_goes_on() -> None:
    async def main() -> None:
        receiver = Receiver()
        async with receiving(receiver) as url:
            pass  # the port is closed again: nothing listens there
        async with serve(webhook_urls=[url]) as lk:
            lk.room("r").connect("alice")
            await lk.settle()
            assert [f.event for f in lk.webhook_failures] == ["room_started", "participant_joined"]
            assert "ClientConnectorError" in lk.webhook_failures[0].error
            assert [w.event for w in lk.webhooks] == ["room_started", "participant_joined"]
        assert receiver.posts == 0

    asyncio.run(main())


def test_a_4xx_is_not_retried() -> None:
    receiver = Receiver(fail=1, status=400)

    async def body(lk: LiveKitServer) -> None:
        lk.room("r")
        await lk.settle()
        assert receiver.posts == 1 and receiver.events == []
        assert lk.webhook_failures == ()

    run([receiver], body, room_config=RoomConfig())
