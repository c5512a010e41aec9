"""How the facade hands an ``FfiEvent`` to the SDK's queue: ``FfiQueue.put``, batched.

``livekit.rtc``'s ``FfiQueue.put`` (called from the Rust core's thread) schedules one
``loop.call_soon_threadsafe(queue.put_nowait, event)`` per subscriber and event: a loop handle
and a write to the loop's self-pipe each.  The facade puts from the loop's own thread, usually
many events in one synchronous stretch, so :class:`Handoff` gives the run of put_nowait calls
that would sit next to each other in the loop's ready queue one handle instead: when the last
ready handle is the batch it scheduled, the next event joins it.  The SDK's queues see the
same put_nowait calls, in the same order and in the same loop iteration, with nothing run in
between: exactly what one handle per event would do.  Anything scheduled after the batch starts
a new one; a subscriber on another loop, or a put outside a running loop, gets the SDK's own
per-event call.
"""

from __future__ import annotations

import asyncio
from typing import Any

from livekit.rtc._ffi_client import FfiQueue
from livekit.rtc.log import logger

__all__ = ["Handoff"]

#: the running loop of this thread, or None (what ``asyncio.get_running_loop`` reads)
_running_loop = asyncio._get_running_loop

#: (queue, event) pairs of one batch, put in order by one handle
_Batch = list[tuple[Any, Any]]


def _put_all(batch: _Batch) -> None:
    for queue, item in batch:
        queue.put_nowait(item)


class Handoff:
    """``put(event)``: what ``FfiQueue.put`` does, with one loop handle per run of events."""

    __slots__ = ("_batch", "_handle", "_queue")

    def __init__(self, queue: FfiQueue[Any]) -> None:
        self._queue = queue
        self._handle: asyncio.Handle | None = None
        self._batch: _Batch = []

    def put(self, item: Any) -> None:
        q = self._queue
        running = _running_loop()
        with q._lock:
            for queue, loop, filter_fn in q._subscribers:
                # as FfiQueue.put: the subscriber's filter, an error in it delivers the item
                if filter_fn is not None:
                    try:
                        if not filter_fn(item):
                            continue
                    except Exception:
                        pass
                if loop is not running:
                    try:
                        loop.call_soon_threadsafe(queue.put_nowait, item)
                    except Exception as e:
                        logger.error("error putting to queue: %s", e)
                    continue
                ready = getattr(loop, "_ready", None)
                if ready and ready[-1] is self._handle:
                    self._batch.append((queue, item))
                elif ready is None:  # a loop without a ready queue (uvloop): a handle each
                    loop.call_soon(queue.put_nowait, item)
                else:
                    batch: _Batch = [(queue, item)]
                    self._handle = loop.call_soon(_put_all, batch)
                    self._batch = batch
