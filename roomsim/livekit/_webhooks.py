"""Webhooks over HTTP: each ``room.webhooks`` value POSTed as a LiveKit server POSTs it.

LiveKit (``livekit/protocol`` ``webhook/resource_url_notifier.go``) sends each event as
``protojson.Marshal(event)`` (JSON names in lowerCamelCase, unpopulated fields left out, int64
as strings) with ``Content-Type: application/webhook+json`` and an ``Authorization`` header
holding a bare JWT (no ``Bearer``) from the API key and secret, valid five minutes, whose
``sha256`` claim is the base64 SHA-256 of the body.  ``livekit.api.WebhookReceiver`` checks
exactly that.  The token is made with livekit-api's ``AccessToken``, so its times are the
wall clock's, which is what a receiver checks them against.

Events of one room go out in order (LiveKit queues them per room); the events collected at one
time from several rooms go out in the order they happened.  A receiver that fails (no
connection, a 5xx or 429) is retried like go-retryablehttp's default client (four retries),
but at once, with none of its 1 s .. 30 s waits; after the last try the event is logged and
recorded in ``failures``, and the next one goes out: a failing receiver never stops the room.
A POST that takes over 10 s counts as failed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import hashlib
import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import aiohttp
import attrs
from google.protobuf import json_format
from livekit import api
from livekit.protocol import models as _pm
from livekit.protocol.webhook import WebhookEvent

from roomsim.livekit._convert import to_proto
from roomsim.livekit._twirp import participant_proto
from roomsim.webhooks import Webhook

if TYPE_CHECKING:
    from roomsim.livekit._serve import LiveKitServer
    from roomsim.room import Room

__all__ = ["WebhookSender", "WebhookFailure", "CONTENT_TYPE", "RETRIES"]

log = logging.getLogger("roomsim.livekit")

CONTENT_TYPE: Final = "application/webhook+json"
#: go-retryablehttp's default RetryMax (the client LiveKit's notifier uses)
RETRIES: Final = 4
#: how long one POST may take before it counts as failed (livekit-api's own client default)
_POST_TIMEOUT: Final = aiohttp.ClientTimeout(total=10)
#: the validity of the token of one webhook (``SetValidFor(5 * time.Minute)``)
_TOKEN_TTL: Final = datetime.timedelta(minutes=5)


@attrs.frozen(kw_only=True)
class WebhookFailure:
    """A webhook a receiver never accepted: which, where, and the last error."""

    url: str
    event: str
    id: str
    error: str


class WebhookSender:
    """Collects the rooms' webhooks in order and POSTs them, one at a time, to every URL."""

    def __init__(self, lk: LiveKitServer, urls: Sequence[str]) -> None:
        self._lk = lk
        self._urls = tuple(urls)
        #: every room ever served, with how many of its webhooks were collected
        self._rooms: list[tuple[Room, list[int]]] = []
        self.events: list[WebhookEvent] = []
        self.failures: list[WebhookFailure] = []
        self._queue: asyncio.Queue[tuple[WebhookEvent, str]] = asyncio.Queue()
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    def watch(self, room: Room) -> None:
        """Send the webhooks of ``room`` (a room ``serve()`` just created)."""
        self._rooms.append((room, [0]))

    def collect(self) -> int:
        """Take the webhooks the rooms emitted since the last call; returns how many."""
        new: list[tuple[float, int, Webhook, Room]] = []
        for room, cursor in self._rooms:
            hooks = room.webhooks
            for hook in hooks[cursor[0] :]:
                new.append((hook.created_at, len(new), hook, room))
            cursor[0] = len(hooks)
        # a closed room sends nothing after room_finished: stop watching it
        self._rooms = [(room, cursor) for room, cursor in self._rooms if not room.closed]
        new.sort(key=lambda item: (item[0], item[1]))
        for _, _, hook, room in new:
            event = self._event(hook, room)
            self.events.append(event)
            if self._urls:
                self._queue.put_nowait((event, _body(event)))
        return len(new)

    async def drain(self) -> None:
        """Wait until every collected webhook was POSTed (or given up on)."""
        if self._urls:
            self._start()
            await self._queue.join()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._session is not None:
            await self._session.close()

    # -- sending ---------------------------------------------------------------------------------

    def _start(self) -> None:
        if self._task is None:
            self._session = aiohttp.ClientSession(timeout=_POST_TIMEOUT)
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            event, body = await self._queue.get()
            try:
                for url in self._urls:
                    await self._post(url, event, body)
            finally:
                self._queue.task_done()

    async def _post(self, url: str, event: WebhookEvent, body: str) -> None:
        assert self._session is not None
        lk = self._lk
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        token = (
            api.AccessToken(lk.api_key, lk.api_secret)
            .with_ttl(_TOKEN_TTL)
            .with_sha256(digest)
            .to_jwt()
        )
        headers = {"Authorization": token, "Content-Type": CONTENT_TYPE}
        error = ""
        for _ in range(1 + RETRIES):
            try:
                async with self._session.post(url, data=body.encode(), headers=headers) as resp:
                    await resp.read()
                    if resp.status < 500 and resp.status != 429:
                        return  # a 4xx is not retried (go-retryablehttp's DefaultRetryPolicy)
                    error = f"HTTP {resp.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"{type(exc).__name__}: {exc}"
        log.warning("webhook %s %s to %s failed: %s", event.event, event.id, url, error)
        self.failures.append(WebhookFailure(url=url, event=event.event, id=event.id, error=error))

    # -- the message -----------------------------------------------------------------------------

    def _event(self, hook: Webhook, room: Room) -> WebhookEvent:
        lk = self._lk
        created = lk.epoch + room.created_at
        room_msg = _pm.Room(sid=hook.room_sid, name=hook.room)
        if hook.track is None:  # track events carry only the room's sid and name
            room_msg.empty_timeout = int(room.config.empty_timeout)
            room_msg.departure_timeout = int(room.config.departure_timeout)
            room_msg.max_participants = room.config.max_participants
            room_msg.creation_time = int(created)
            room_msg.creation_time_ms = round(created * 1000)
        event = WebhookEvent(
            event=hook.event, room=room_msg, id=hook.id, created_at=int(lk.epoch + hook.created_at)
        )
        if hook.participant is not None:
            event.participant.CopyFrom(participant_proto(lk, hook.participant))
        elif hook.participant_identity is not None:
            event.participant.CopyFrom(
                _pm.ParticipantInfo(
                    sid=hook.participant_sid or "", identity=hook.participant_identity
                )
            )
        if hook.track is not None:
            event.track.CopyFrom(to_proto(hook.track))
        return event


def _body(event: WebhookEvent) -> str:
    """``protojson.Marshal(event)``: lowerCamelCase names, unpopulated fields left out."""
    return json.dumps(json_format.MessageToDict(event), separators=(",", ":"))
