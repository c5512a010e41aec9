"""Planted bugs: how fast ``RoomStateMachine`` finds an app's bug, and how small it reports it.

Each planted bug is a small LiveKit app with one mistake, a ``RoomStateMachine`` subclass that
runs the app on every client, adds the app's own rule and checks the app's invariant.  For each
bug and repetition a fresh process runs the machine with the toolkit's default settings (the
machine's ``TestCase.settings``; no example database) and records:

- whether the bug was found within the example budget (``max_examples``);
- the time to the first failing example (generation), and to the final report (after shrinking);
- the number of rule steps in the reported (shrunk) history;
- whether Hypothesis printed a shrink-time warning.

Run ``python -m benchmarks.planted_bugs --help``; ``docs/howto/property-testing.md`` has the
figures.  The apps read only what a client receives, as an app on ``livekit.rtc`` would.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any, ClassVar

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.reporting import with_reporter
from hypothesis.stateful import invariant, rule, run_state_machine_as_test

from roomsim import Client, DisconnectReason, TrackKind, TrackSource
from roomsim import events as E
from roomsim.stateful import RoomStateMachine

try:  # the recipe: a rule argument drawn among the room's participants (None: nobody)
    from roomsim.stateful import participants as _participants

    WHO: st.SearchStrategy[str | None] = _participants()
except ImportError:  # the toolkit before issue 20: the machine's pool of identities
    WHO = st.sampled_from(RoomStateMachine.identities)

__all__ = ["BUGS", "Found", "hunt"]


#: (wall, CPU) time of the first failure of the run being measured
_first_failure: list[tuple[float, float]] = []


def _check(ok: bool, message: str) -> None:
    """Fail an app invariant, noting when the first failure happened (for the benchmark)."""
    if not ok:
        if not _first_failure:
            _first_failure.append((time.perf_counter(), time.process_time()))
        raise AssertionError(message)


class _AppMachine(RoomStateMachine):
    """Runs ``app(client)`` on every client; ``live_apps()`` are those whose session lasts."""

    app: ClassVar[Any]  #: the app's class, built with the client

    def __init__(self) -> None:
        super().__init__()
        self.apps: list[Any] = []

    def on_connect(self, client: Client) -> None:
        self.apps.append(type(self).app(client))

    def live_apps(self) -> list[Any]:
        live = {id(c) for c in self.room.clients.values()}
        return [a for a in self.apps if id(a.client) in live]


# ------------------------------------------------------------------------------------------------
# a hand-raise queue (the tutorial's app) and three ways to get it wrong


class HandQueue:
    """The tutorial's app: the remote participants whose ``hand`` attribute is ``"raised"``."""

    skip_self: ClassVar[bool] = True
    handle_left: ClassVar[bool] = True

    def __init__(self, client: Client) -> None:
        self.client = client
        self.queue = [
            i for i, p in client.remote_participants.items() if p.attributes.get("hand") == "raised"
        ]
        client.on("participant_connected", self.on_joined)
        client.on("participant_attributes_changed", self.on_attributes)
        if self.handle_left:
            client.on("participant_disconnected", self.on_left)

    def on_joined(self, event: E.ParticipantConnected) -> None:
        joined = self.client.remote_participants[event.participant]
        if joined.attributes.get("hand") == "raised":
            self.queue.append(event.participant)

    def on_attributes(self, event: E.ParticipantAttributesChanged) -> None:
        hand = event.changed_attributes.get("hand")
        who = event.participant
        if self.skip_self and who == self.client.identity:
            return
        if hand == "raised" and who not in self.queue:
            self.queue.append(who)
        elif hand is not None and hand != "raised" and who in self.queue:
            self.queue.remove(who)

    def on_left(self, event: E.ParticipantDisconnected) -> None:
        if event.participant in self.queue:
            self.queue.remove(event.participant)


class ForgotOnLeft(HandQueue):
    handle_left = False


class HostInOwnQueue(HandQueue):
    skip_self = False


class LooksUpTheLeaver(HandQueue):
    """Leaving with a raised hand: the handler reads the leaver, who is already gone."""

    def on_left(self, event: E.ParticipantDisconnected) -> None:
        if event.participant in self.queue:
            _first = self.client.remote_participants.get(event.participant)
            if _first is None:
                _check(False, f"{event.participant} left with a raised hand: lookup failed")
            self.queue.remove(event.participant)


class HandQueueMachine(_AppMachine):
    app = HandQueue

    @rule(who=WHO, hand=st.sampled_from(["raised", ""]))
    def raise_or_lower_a_hand(self, who: str | None, hand: str) -> None:
        if who is not None and who in self.room.participants:
            self.room.update_participant(who, attributes={"hand": hand})

    @invariant()
    def the_queue_holds_exactly_the_raised_hands(self) -> None:
        for app in self.live_apps():
            raised = {
                i
                for i, p in app.client.remote_participants.items()
                if p.attributes.get("hand") == "raised"
            }
            _check(
                set(app.queue) == raised and len(app.queue) == len(raised),
                f"{app.client.identity}'s queue {app.queue} != raised hands {sorted(raised)}",
            )


# ------------------------------------------------------------------------------------------------
# a mute board that forgets unmute


class MuteBoard:
    """The remote tracks that are muted, from track events; forgets ``track_unmuted``."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.muted = {
            (i, sid)
            for i, p in client.remote_participants.items()
            for sid, pub in p.track_publications.items()
            if pub.muted
        }
        client.on("track_published", self.published)
        client.on("track_unpublished", self.gone)
        client.on("track_muted", self.mute)
        client.on("participant_disconnected", self.left)

    def published(self, event: E.TrackPublished) -> None:
        pub = self.client.remote_participants[event.participant].track_publications
        if pub[event.track_sid].muted:
            self.muted.add((event.participant, event.track_sid))

    def gone(self, event: E.TrackUnpublished) -> None:
        self.muted.discard((event.participant, event.track_sid))

    def mute(self, event: E.TrackMuted) -> None:
        self.muted.add((event.participant, event.track_sid))

    def left(self, event: E.ParticipantDisconnected) -> None:
        self.muted = {m for m in self.muted if m[0] != event.participant}


class MuteBoardMachine(_AppMachine):
    app = MuteBoard

    @rule(who=WHO, muted=st.booleans())
    def toggle_the_microphone(self, who: str | None, muted: bool) -> None:
        client = self.room.clients.get(who) if who is not None else None
        if client is None or who is None:
            return
        me = self.room.participants[who]
        mics = [s for s, p in me.track_publications.items() if p.source is TrackSource.MICROPHONE]
        if mics:
            client.set_track_muted(mics[0], muted)
        elif me.permission.can_publish_source(TrackSource.MICROPHONE):
            client.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE, muted=muted)

    @invariant()
    def the_board_shows_exactly_the_muted_tracks(self) -> None:
        for app in self.live_apps():
            truth = {
                (i, sid)
                for i, p in app.client.remote_participants.items()
                for sid, pub in p.track_publications.items()
                if pub.muted
            }
            _check(app.muted == truth, f"{app.client.identity}: {app.muted} != {truth}")


# ------------------------------------------------------------------------------------------------
# a sid book that mixes up two sessions of one identity


class SidBook:
    """identity -> session sid of the remote participants; a duplicate join keeps the old sid."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.sids = {i: p.sid for i, p in client.remote_participants.items()}
        client.on("participant_connected", self.joined)
        client.on("participant_disconnected", self.left)

    def joined(self, event: E.ParticipantConnected) -> None:
        sid = self.client.remote_participants[event.participant].sid
        self.sids.setdefault(event.participant, sid)

    def left(self, event: E.ParticipantDisconnected) -> None:
        # the mix-up: "no reason means a dropped connection that will resume: keep the entry";
        # but a session replaced by a new one with the same identity ends with no reason for
        # the others (client §16.4), and the new session's participant_connected keeps the old sid
        if event.reason is not DisconnectReason.UNKNOWN_REASON:
            self.sids.pop(event.participant, None)


class SidBookMachine(_AppMachine):
    app = SidBook

    @invariant()
    def the_book_has_the_current_sessions(self) -> None:
        for app in self.live_apps():
            truth = {i: p.sid for i, p in app.client.remote_participants.items()}
            _check(app.sids == truth, f"{app.client.identity}: {app.sids} != {truth}")


# ------------------------------------------------------------------------------------------------
# a speaker panel that takes each speaker update for the full list


class SpeakerPanel:
    """Who is speaking, replaced by each ``active_speakers_changed`` (a delta in Python)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.speaking = set(client.active_speakers)
        client.on("active_speakers_changed", self.changed)

    def changed(self, event: E.ActiveSpeakersChanged) -> None:
        self.speaking = set(event.speakers)


class SpeakerPanelMachine(_AppMachine):
    app = SpeakerPanel

    @rule(who=WHO, level=st.sampled_from([0.5, 0.9, 0.0]))
    def speak(self, who: str | None, level: float) -> None:
        """``who`` talks at ``level`` (publishing a microphone first), for one speaker tick."""
        client = self.room.clients.get(who) if who is not None else None
        if client is None or who is None:
            return
        me = self.room.participants[who]
        if not any(p.source is TrackSource.MICROPHONE for p in me.track_publications.values()):
            if not me.permission.can_publish_source(TrackSource.MICROPHONE):
                return
            client.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
        self.room.set_audio_levels({who: level})
        self.room.advance(self.room.config.speaker_interval)

    @invariant()
    def the_panel_shows_the_active_speakers(self) -> None:
        for app in self.live_apps():
            truth = set(app.client.active_speakers)
            _check(app.speaking == truth, f"{app.client.identity}: {app.speaking} != {truth}")


# ------------------------------------------------------------------------------------------------
# a mirror built from events only (those already in the room arrive as state)


class EventsOnlyMirror:
    def __init__(self, client: Client) -> None:
        self.client = client
        self.present: set[str] = set()
        client.on("participant_connected", lambda e: self.present.add(e.participant))
        client.on("participant_disconnected", lambda e: self.present.discard(e.participant))


class EventsOnlyMirrorMachine(_AppMachine):
    app = EventsOnlyMirror

    @invariant()
    def the_mirror_knows_everyone(self) -> None:
        for app in self.live_apps():
            truth = set(app.client.remote_participants)
            _check(app.present == truth, f"{app.client.identity}: {app.present} != {truth}")


def _machine(base: type[_AppMachine], app: Callable[[Client], Any]) -> type[_AppMachine]:
    return type(f"{app.__name__}Machine", (base,), {"app": app})


#: name -> (the machine, what is wrong)
BUGS: dict[str, tuple[type[_AppMachine], str]] = {
    "forgot_on_left": (
        _machine(HandQueueMachine, ForgotOnLeft),
        "the tutorial's app without on_left: a raised hand stays queued after its owner leaves",
    ),
    "leaves_with_raised_hand": (
        _machine(HandQueueMachine, LooksUpTheLeaver),
        "on_left looks up the leaver in remote_participants, where it is already gone",
    ),
    "host_in_own_queue": (
        _machine(HandQueueMachine, HostInOwnQueue),
        "the app forgets that a client receives its own attribute changes",
    ),
    "forgets_unmute": (
        MuteBoardMachine,
        "a mute board that handles track_muted but not track_unmuted",
    ),
    "duplicate_identity": (
        SidBookMachine,
        "a replaced session (UNKNOWN_REASON to others) taken for a drop that resumes: its sid kept",
    ),
    "speakers_as_full_list": (
        SpeakerPanelMachine,
        "each active_speakers_changed taken as the full list (Python sends the changes)",
    ),
    "events_only_mirror": (
        EventsOnlyMirrorMachine,
        "who is here, from events only: those already in the room are missed",
    ),
}


# ------------------------------------------------------------------------------------------------
# measuring


class Found(dict[str, Any]):
    """One measurement: found, first_failure_s, report_s, steps, shrink_warning, history."""


def hunt(name: str, **overrides: Any) -> Found:
    """Run one planted bug's machine once, in this process, and measure it.

    The settings are the machine's own (``TestCase.settings``) without the example database,
    and ``overrides`` (settings keyword arguments) on top.
    """
    machine, _what = BUGS[name]
    base = machine.TestCase.settings
    chosen = settings(base, **{"database": None, **overrides})
    reported: list[str] = []
    _first_failure.clear()
    start, cpu_start = time.perf_counter(), time.process_time()
    error: BaseException | None = None
    with with_reporter(lambda text: reported.append(str(text))):
        try:
            run_state_machine_as_test(machine, settings=chosen)
        except BaseException as e:  # the bug, whatever it raises
            error = e
    end, cpu_end = time.perf_counter(), time.process_time()
    text = "\n".join([*reported, *getattr(error, "__notes__", [])])
    # the steps: rules and initialize rules (not the invariants, printed after every step)
    state = machine.setup_state()
    steps = {r.function.__name__ for r in [*state.rules, *state.initializers]}
    history = [
        line.strip()
        for line in text.splitlines()
        if line.strip().startswith("state.")
        and line.strip()[len("state.") :].split("(", 1)[0] in steps
    ]
    return Found(
        found=error is not None,
        error=type(error).__name__ if error is not None else None,
        first_failure_s=(_first_failure[0][0] - start) if _first_failure else None,
        report_s=end - start,
        cpu_first_failure_s=(_first_failure[0][1] - cpu_start) if _first_failure else None,
        cpu_report_s=cpu_end - cpu_start,
        steps=len(history) if error is not None else None,
        history=history,
        shrink_warning="five minutes" in text,
        max_examples=chosen.max_examples,
        stateful_step_count=chosen.stateful_step_count,
    )


def _child(name: str, timeout: float, profile: str | None) -> Found:
    cmd = [sys.executable, "-m", "benchmarks.planted_bugs", "--child", name]
    if profile:
        cmd += ["--profile", profile]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return Found(found=None, timeout=timeout)
    return Found(json.loads(out.stdout.strip().splitlines()[-1]))


def _summary(xs: list[float]) -> str:
    if not xs:
        return "-"
    return f"{min(xs):.1f}/{statistics.median(xs):.1f}/{max(xs):.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.planted_bugs", description=__doc__)
    ap.add_argument("bugs", nargs="*", help=f"which bugs (default all): {', '.join(BUGS)}")
    ap.add_argument("-n", "--repeat", type=int, default=3, help="runs per bug (default 3)")
    ap.add_argument("--timeout", type=float, default=400.0, help="seconds per run (400)")
    ap.add_argument("--json", help="also write every run to this file")
    ap.add_argument(
        "--profile", help="a Hypothesis settings profile to load first (say, roomsim-dev)"
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.profile:
        settings.load_profile(args.profile)
    if args.child:
        print(json.dumps(hunt(args.child)))
        return 0
    names = args.bugs or list(BUGS)
    runs: dict[str, list[Found]] = {}
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    print(
        f"{'bug':24} {'found':>5} {'first failure s':>16} {'report s':>16} {'steps':>8}  warn",
        flush=True,
    )
    for name in names:
        rs = runs[name] = [_child(name, args.timeout, args.profile) for _ in range(args.repeat)]
        found = [r for r in rs if r.get("found")]
        steps = [float(r["steps"]) for r in found]
        print(
            f"{name:24} {len(found)}/{len(rs):<3} "
            f"{_summary([r['first_failure_s'] for r in found if r['first_failure_s']]):>16} "
            f"{_summary([r['report_s'] for r in found]):>16} "
            f"{_summary(steps):>8}  "
            f"{sum(bool(r.get('shrink_warning')) for r in rs)}"
            f"  cpu {_summary([r['cpu_report_s'] for r in found])}"
            f"  {sum(r.get('found') is None for r in rs)} timed out",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print("(min/median/max over the runs that found the bug; warn = shrink-time warnings)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(runs, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
