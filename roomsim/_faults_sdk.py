"""Where the SDKs differ in faults: each profile's reconnection states, orders and timings
(faults §2.2, §2.3, §2.4, §4.2, §7).

Read by ``_project`` (what a reconnecting client emits) and ``_faults`` (when it gives up, how
long its sends wait), by the profile's name; ``roomsim._profiles`` keeps the other differences.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, final

import attrs

__all__ = ["FAULT_PROFILES", "FaultProfile", "fault_profile"]


@final
@attrs.frozen
class FaultProfile:
    """What one SDK does while it reconnects."""

    #: a lost signal alone is ``signal_reconnecting`` (``connectionStateChanged
    #: ('signalReconnecting')``, ``signalReconnecting``); ``reconnecting`` only when the peer
    #: connection is down too (JS, faults §2.3); Python reports ``reconnecting`` for both
    signal_state: bool
    #: ``reconnected`` comes before the events the resume's snapshot brings, which were
    #: buffered (JS ``emitWhenConnected``, faults §2.3); Python emits them first (faults §2.2)
    reconnected_first: bool
    #: the SDK has a public event for a refreshed token (Python ``token_refreshed``; JS only
    #: updates its engine's token, faults §7)
    token_event: bool
    #: seconds from the cut to the client giving up: the nominal sum of its backoff schedule
    #: (Rust 44.3 s, JS 44.0 s, faults §4.2)
    give_up_after: float
    #: a data send waits this long for the transport and is then dropped (JS
    #: ``ensureDataTransportConnected``, 15 s); None waits for the reconnection (Rust
    #: ``wait_reconnection``, faults §2.4)
    data_wait: float | None
    #: sends flow while only the signal is cut (JS: the data channels stay open; Rust holds
    #: them until ``reconnected``, faults §2.4)
    sends_on_signal_cut: bool
    #: on a move, ``moved`` comes before the new room's participants (JS ``RoomMoved``
    #: handler); Python emits them first and ``moved`` last (faults §5)
    moved_before_arrivals: bool = False


FAULT_PROFILES: Final[Mapping[str, FaultProfile]] = {
    "python": FaultProfile(
        signal_state=False,
        reconnected_first=False,
        token_event=True,
        give_up_after=44.3,
        data_wait=None,
        sends_on_signal_cut=False,
    ),
    "js": FaultProfile(
        signal_state=True,
        reconnected_first=True,
        token_event=False,
        give_up_after=44.0,
        data_wait=15.0,
        sends_on_signal_cut=True,
        moved_before_arrivals=True,
    ),
}


def fault_profile(sdk: str) -> FaultProfile:
    """The fault profile of the SDK named ``sdk`` (Python's for a name it doesn't know)."""
    return FAULT_PROFILES.get(sdk, FAULT_PROFILES["python"])
