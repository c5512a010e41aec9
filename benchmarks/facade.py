"""The facade's overhead: an attribute update delivered through ``serve()`` to a handler of an
unchanged ``livekit.rtc.Room``, against what ``livekit.rtc`` itself spends applying the event.

A roomsim client sets an attribute ``--updates`` times; an SDK Room connected through
``serve()`` has one ``participant_attributes_changed`` handler.  The *total* is the CPU time of
the updates and ``lk.settle()`` (roomsim's commit and delivery, the conversion to the
``RoomEvent`` the Rust core would send, the SDK's listen task, its ``_on_room_event`` and the
handler); the *SDK* part is the time inside the Room's ``_on_room_event`` (wrapped on the
instance, as ``benchmarks/sdk.py`` does).  The figure is total / SDK per event: 1.0 would mean
roomsim and the facade cost nothing next to the SDK (issue 21 asks for at most 1.2).

    python -m benchmarks.facade [--updates 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from collections.abc import Sequence
from typing import Any


async def _measure(updates: int, repeat: int) -> list[tuple[float, float, int]]:
    from livekit import rtc

    from roomsim import Permission
    from roomsim.livekit import serve

    out: list[tuple[float, float, int]] = []
    async with serve() as lk:
        agent = rtc.Room()
        seen = [0]

        @agent.on("participant_attributes_changed")
        def on_attributes(changed: dict[str, str], participant: Any) -> None:
            seen[0] += 1

        await agent.connect(lk.url, lk.token("agent", room="bench", kind="agent"))
        room = lk.room("bench")
        actor = room.connect("actor", permission=Permission(can_update_metadata=True))
        await lk.settle()
        inner = agent._on_room_event
        spent = [0.0]

        def timed(event: Any) -> None:
            t0 = time.process_time()
            inner(event)
            spent[0] += time.process_time() - t0

        agent._on_room_event = timed  # type: ignore[method-assign]
        for rep in range(repeat + 1):
            gc.collect()
            spent[0] = 0.0
            before = seen[0]
            t0 = time.process_time()
            for i in range(updates):
                actor.set_attributes({"k": str(i & 7), "rep": str(rep)})
            await lk.settle()
            total = time.process_time() - t0
            if rep:
                out.append((total, spent[0], seen[0] - before))
        await agent.disconnect()
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.facade", description=__doc__)
    p.add_argument("--updates", type=int, default=2000, help="attribute updates per repetition")
    p.add_argument("--repeat", type=int, default=5, help="timed repetitions (+1 warm-up)")
    a = p.parse_args(argv)
    figures = asyncio.run(_measure(a.updates, a.repeat))
    ratios = [total / sdk for total, sdk, _ in figures]
    per_event = [total / events * 1e6 for total, _, events in figures]
    sdk_per_event = [sdk / events * 1e6 for _, sdk, events in figures]
    print(
        f"per event through serve(): median {statistics.median(per_event):.1f} us; inside "
        f"livekit.rtc's _on_room_event: median {statistics.median(sdk_per_event):.1f} us; "
        f"total / SDK: min {min(ratios):.2f}, median {statistics.median(ratios):.2f}, "
        f"max {max(ratios):.2f} ({a.updates} updates x {a.repeat} repetitions, CPU time)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
