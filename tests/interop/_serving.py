"""Running a test body inside ``serve()``, and joining SDK Rooms to it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from livekit import rtc
from livekit.rtc._ffi_client import FfiClient

from roomsim.livekit import LiveKitServer, serve


def run(body: Callable[[LiveKitServer], Awaitable[None]], **kwargs: Any) -> None:
    """Run ``body(lk)`` inside ``serve(**kwargs)``; afterwards the SDK's FFI is restored."""

    async def main() -> None:
        async with serve(**kwargs) as lk:
            await body(lk)

    asyncio.run(main())
    assert FfiClient._instance is None


async def join(lk: LiveKitServer, identity: str, room: str = "r", **grants: Any) -> rtc.Room:
    """A connected ``rtc.Room`` for ``identity`` in ``room``, with a token of ``grants``."""
    sdk = rtc.Room()
    await sdk.connect(lk.url, lk.token(identity, room=room, **grants))
    return sdk
