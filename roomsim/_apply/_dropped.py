"""``RoomConfig(strict=True)``: a ``SilentlyDropped`` warning for what LiveKit drops silently.

Warned before anything is committed, so a test that turns warnings into errors sees the action
refused and nothing changed.
"""

from __future__ import annotations

import warnings

from roomsim._server import Server
from roomsim.errors import SilentlyDropped

__all__ = ["dropped"]


def dropped(server: Server, message: str) -> None:
    if server.config.strict:
        warnings.warn(
            SilentlyDropped(f"{message} (LiveKit drops it silently; RoomConfig(strict=True))"),
            stacklevel=5,
        )
