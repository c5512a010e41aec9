"""An async app under test: its handlers schedule coroutines, and the test awaits them.

Run with anyio's pytest plugin (installed with ``roomsim[testing]``): mark the test
``@pytest.mark.anyio`` and make it ``async def``.
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio

import pytest

from roomsim import Client, Room, events

# --8<-- [end:imports]


# --8<-- [start:app]
class Greeter:
    """Greets each newcomer over data once an awaited lookup (I/O, in a real app) returns."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.tasks: set[asyncio.Task[None]] = set()
        client.on("participant_connected", self.on_joined)

    def on_joined(self, event: events.ParticipantConnected) -> None:
        # handlers are synchronous, as in livekit.rtc: schedule the async work, keep the task
        task = asyncio.create_task(self.greet(event.participant))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def greet(self, identity: str) -> None:
        name = await self.display_name(identity)
        self.client.send_data(
            f"welcome, {name}", topic="greetings", destination_identities=[identity]
        )

    async def display_name(self, identity: str) -> str:
        await asyncio.sleep(0)  # stands for a database or an HTTP call
        return identity.title()

    async def idle(self) -> None:
        """Return once every greeting scheduled so far has been sent."""
        while self.tasks:
            await asyncio.gather(*self.tasks)


# --8<-- [end:app]


# --8<-- [start:test]
@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # what livekit.rtc runs on (anyio would also try trio, if installed)


@pytest.mark.anyio
async def test_a_newcomer_is_greeted(room: Room) -> None:
    agent = room.connect("agent")
    greeter = Greeter(agent)
    ann = room.connect("ann")  # the handler runs now and schedules the greeting
    assert not [e for e in ann.drain() if isinstance(e, events.DataReceived)]
    await greeter.idle()  # the greeting runs while the test awaits
    greetings = [e for e in ann.drain() if isinstance(e, events.DataReceived)]
    assert [(g.participant, g.topic, g.data) for g in greetings] == [
        ("agent", "greetings", b"welcome, Ann")
    ]


# --8<-- [end:test]
