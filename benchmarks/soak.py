"""Soak: many mutations in a room of many clients; memory must stay flat and the cost per
mutation must not drift.

    python -m benchmarks.soak [--mutations N] [--clients N] [--drain-every N] [--windows N]
                              [--defaults] [--tracemalloc]

A ``Room(keep_log=False)`` with the soak settings (``SOAK_CONFIG``: the newest 100 ended
clients, departed snapshots and webhooks kept) and ``--clients`` clients connected with
``keep_events=False`` takes a deterministic mix of mutations (attributes, targeted data,
audio levels and the speaker ticks they cause, mutes, connection quality, subscriptions,
track publish/unpublish, and reconnects); every ``--drain-every`` mutations every client is
drained, so the fact log can be trimmed.  Per window it prints the cost per mutation
(applying, and draining spread over the window's mutations) in CPU time
(``time.process_time``: the machine may be shared), the resident set size
(``/proc/self/statm``; no tracemalloc, which would distort both), and the sizes of what the
room keeps: its fact log, ``departed`` and ``webhooks``.

With ``--defaults`` the room and clients use the default settings instead (``Room(name)``,
``connect(identity)``: the room keeps its log and every client its newest
``RoomConfig.keep_events`` events), as a user who changes nothing would.  ``--tracemalloc``
adds the traced heap per window (``tracemalloc``'s current size; it slows the run down
several times, so compare its times only with each other).

With ``--no-churn`` no participant leaves or unpublishes, so ``departed`` and ``webhooks``
(kept for reading, by design) do not grow either.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Sequence

from roomsim import (
    Client,
    ConnectionQuality,
    Permission,
    Room,
    RoomConfig,
    TrackKind,
    TrackSource,
)

_PAGE = os.sysconf("SC_PAGE_SIZE")
_QUALITIES = (ConnectionQuality.POOR, ConnectionQuality.GOOD, ConnectionQuality.EXCELLENT)
_GRANT = Permission(can_update_metadata=True)
#: the soak settings: keep the newest 100 of what grows with sessions (docs/howto/long-runs.md)
SOAK_CONFIG = RoomConfig(keep_departed=100, keep_webhooks=100, keep_ended_clients=100)


def rss_mb() -> float:
    """Resident set size now, in MiB (Linux ``/proc/self/statm``; peak RSS elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE / 2**20
    except OSError:  # pragma: no cover - not Linux
        return peak_mb()


def peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


class Soak:
    """The room, its clients and the deterministic mutation mix."""

    def __init__(self, clients: int, *, churn: bool, seed: int = 1, defaults: bool = False) -> None:
        self.rng = random.Random(seed)
        self.churn = churn
        # the soak settings: no mutation log, no client history; --defaults: both kept
        self.keep = defaults
        self.room = Room(
            "soak", keep_log=defaults, config=RoomConfig() if defaults else SOAK_CONFIG
        )
        self.ids = [f"p{i}" for i in range(clients)]
        for identity in self.ids:
            self.room.connect(identity, permission=_GRANT, keep_events=defaults)
        # a tenth of the participants publish a microphone and a camera
        self.speakers = self.ids[: max(1, clients // 10)]
        self.mics: dict[str, str] = {}
        self.cams: dict[str, str] = {}
        for identity in self.speakers:
            c = self.client(identity)
            self.mics[identity] = c.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
            self.cams[identity] = c.publish_track(TrackKind.VIDEO, TrackSource.CAMERA)
        self.muted: set[str] = set()
        self.unsubscribed: set[tuple[str, str]] = set()
        self.drain()

    def client(self, identity: str) -> Client:
        return self.room.clients[identity]

    def drain(self) -> int:
        return sum(len(c.drain()) for c in self.room.clients.values())

    def step(self, i: int) -> None:
        rng, room = self.rng, self.room
        roll = rng.random()
        who = self.ids[rng.randrange(len(self.ids))]
        if roll < 0.30:
            self.client(who).set_attributes({"k": str(i & 15), "hand": "" if i & 1 else "up"})
        elif roll < 0.55:
            dests = tuple(rng.sample(self.ids, 2))
            self.client(who).send_data(b"ping", topic="chat", destination_identities=dests)
        elif roll < 0.70:
            speaker = self.speakers[rng.randrange(len(self.speakers))]
            room.set_audio_levels({speaker: rng.choice((0.0, 0.2, 0.6, 0.9))})
        elif roll < 0.80:
            room.advance(0.05)
        elif roll < 0.85:
            speaker = self.speakers[rng.randrange(len(self.speakers))]
            muted = speaker not in self.muted
            self.client(speaker).set_track_muted(self.mics[speaker], muted)
            (self.muted.add if muted else self.muted.discard)(speaker)
        elif roll < 0.90:
            room.set_connection_quality(who, _QUALITIES[i % 3])
        elif roll < 0.95:
            speaker = self.speakers[rng.randrange(len(self.speakers))]
            if speaker == who:
                return
            key = (who, speaker)
            on = key in self.unsubscribed
            self.client(who).set_subscribed(speaker, self.cams[speaker], on)
            (self.unsubscribed.discard if on else self.unsubscribed.add)(key)
        elif not self.churn or roll < 0.98:
            room.update_participant(who, metadata=f"m{i & 255}")
        elif roll < 0.99:
            # a speaker replaces its camera
            speaker = self.speakers[rng.randrange(len(self.speakers))]
            c = self.client(speaker)
            c.unpublish_track(self.cams[speaker])
            self.cams[speaker] = c.publish_track(TrackKind.VIDEO, TrackSource.CAMERA)
            self.unsubscribed = {k for k in self.unsubscribed if k[1] != speaker}
        else:
            # a listener reconnects (a new session, same identity)
            if who in self.mics:
                return
            self.client(who).disconnect()
            room.connect(who, permission=_GRANT, keep_events=self.keep)
            self.unsubscribed = {k for k in self.unsubscribed if k[0] != who}


def run(
    mutations: int,
    clients: int,
    drain_every: int,
    windows: int,
    churn: bool,
    *,
    defaults: bool = False,
    traced: bool = False,
) -> None:
    t0 = time.perf_counter()
    if traced:
        tracemalloc.start()
    soak = Soak(clients, churn=churn, defaults=defaults)
    room = soak.room
    setup = time.perf_counter() - t0
    window = max(drain_every, mutations // windows // drain_every * drain_every)
    settings = "default settings" if defaults else "soak settings"
    print(
        f"roomsim soak: {mutations:,} mutations, {clients:,} clients ({settings}), "
        f"drained every {drain_every:,}, churn={'on' if churn else 'off'}"
    )
    print(
        f"python {platform.python_version()} on {platform.machine()} {platform.system()}, "
        f"setup {setup:.1f} s"
    )
    from rich.console import Console, Group
    from rich.live import Live
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
    from rich.table import Table

    table = Table(
        "mutations",
        "apply us",
        "drain us",
        "total us",
        "events",
        "RSS MiB",
        *(["traced MiB"] if traced else []),
        "facts",
        "departed",
        "webhooks",
        caption="apply, drain and total: CPU microseconds per mutation in the window",
    )
    for column in table.columns:
        column.justify = "right"
        column.no_wrap = True
    gc.collect()
    base_rss = rss_mb()
    first = [f"{0:,}", "", "", "", "", f"{base_rss:.1f}"]
    first += [f"{_traced_mb():.1f}"] if traced else []
    table.add_row(*first, f"{room.statistics().facts_kept:,}", "", "")
    bar = Progress(BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True)
    task = bar.add_task("mutations", total=mutations)
    totals: list[float] = []
    rss: list[float] = []
    done = 0
    console = Console(width=max(Console().width, 130))
    with Live(Group(table, bar), console=console, refresh_per_second=4):
        while done < mutations:
            n = min(window, mutations - done)
            apply_s = drain_s = 0.0
            events = 0
            k = 0
            while k < n:
                chunk = min(drain_every, n - k)
                t = time.process_time()
                for i in range(done + k, done + k + chunk):
                    soak.step(i)
                t2 = time.process_time()
                events += soak.drain()
                t3 = time.process_time()
                apply_s += t2 - t
                drain_s += t3 - t2
                k += chunk
                bar.advance(task, chunk)
            done += n
            us = 1e6 / n
            totals.append((apply_s + drain_s) * us)
            rss.append(rss_mb())
            row = (
                f"{done:,}",
                f"{apply_s * us:.1f}",
                f"{drain_s * us:.1f}",
                f"{totals[-1]:.1f}",
                f"{events:,}",
                f"{rss[-1]:.1f}",
                *([f"{_traced_mb():.1f}"] if traced else []),
                f"{room.statistics().facts_kept:,}",
                f"{len(room.departed):,}",
                f"{len(room.webhooks):,}",
            )
            table.add_row(*row)
            if not console.is_terminal:  # a log file: each window as it ends, not only at the end
                print("window:", *row, flush=True)
        bar.remove_task(task)
    console.print()
    _summary(totals, rss, base_rss)
    print(
        f"peak RSS {peak_mb():.1f} MiB; CPU {time.process_time():.1f} s; "
        f"wall {time.perf_counter() - t0:.1f} s"
    )


def _traced_mb() -> float:
    return tracemalloc.get_traced_memory()[0] / 2**20


def _summary(totals: Sequence[float], rss: Sequence[float], base: float) -> None:
    if len(totals) < 4:
        return
    half = len(totals) // 2
    first = sorted(totals[1:half])[len(totals[1:half]) // 2] if half > 1 else totals[0]
    last = sorted(totals[half:])[len(totals[half:]) // 2]
    print(
        f"cost per mutation: median {first:.1f} us in the first half (after warm-up), "
        f"{last:.1f} us in the second: drift {100 * (last / first - 1):+.1f}%"
    )
    print(
        f"RSS: {base:.1f} MiB before, {rss[0]:.1f} after the first window, {rss[-1]:.1f} at "
        f"the end: {rss[-1] - rss[0]:+.1f} MiB after warm-up"
    )


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    p.add_argument("--mutations", type=int, default=12_000, help="default 12,000")
    p.add_argument("--clients", type=int, default=1_000, help="default 1,000")
    p.add_argument("--drain-every", type=int, default=1_000, help="default 1,000")
    p.add_argument("--windows", type=int, default=10, help="rows in the table (default 10)")
    p.add_argument("--no-churn", dest="churn", action="store_false", help="nobody leaves")
    p.add_argument("--defaults", action="store_true", help="default room and client settings")
    p.add_argument("--tracemalloc", action="store_true", help="report the traced heap")
    a = p.parse_args(argv)
    if a.mutations < 1 or a.clients < 2 or a.drain_every < 1 or a.windows < 1:
        p.error("--mutations, --drain-every and --windows must be >= 1, --clients >= 2")
    run(
        a.mutations,
        a.clients,
        a.drain_every,
        a.windows,
        a.churn,
        defaults=a.defaults,
        traced=a.tracemalloc,
    )


if __name__ == "__main__":
    main()
