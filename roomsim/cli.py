"""The ``roomsim`` command line."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from roomsim._demo import CLIENTS

# exit codes of ``roomsim run``
OK = 0
MISMATCH = 1
USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    from roomsim.errors import HandlerError

    try:
        return _main(argv)
    except BrokenPipeError:
        pass  # the reader went away (``roomsim demo | head``): not an error
    except HandlerError as e:
        if not all(isinstance(f.exception, BrokenPipeError) for f in e.failures):
            raise
    # stop the interpreter from complaining while it flushes a closed stdout
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return OK


def _main(argv: Sequence[str] | None) -> int:
    parser = argparse.ArgumentParser(
        prog="roomsim",
        description="An in-memory simulator of LiveKit rooms, participants and tracks.",
    )
    parser.add_argument("--version", action="version", version=f"roomsim {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="run the built-in stand-up scenario and print what each action made each client see",
        description="Run the built-in stand-up scenario: people join, talk, publish, speak, "
        "mute, leave, and the room closes. Each action is a heading line (== virtual time, "
        "what happens), followed by the events each client received because of it, client by "
        "client: virtual time, recipient, event name, fields. Times are the virtual clock's "
        "seconds, rounded to the nanosecond.",
    )
    demo.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per event ({time, to, event, fields..., step, action})",
    )
    demo.add_argument(
        "--client",
        metavar="IDENTITY",
        choices=CLIENTS,
        help=f"print only this client's events (one of: {', '.join(CLIENTS)})",
    )
    _add_timeline(demo)
    _add_run(sub)
    catalogue = sub.add_parser(
        "events",
        help="list the events roomsim emits, with their fields and which SDK has them",
        description="The catalogue of events a roomsim client receives: the SDK's event "
        "name, the fields, and whether livekit.rtc (Python) or only the JavaScript SDK emits "
        "it; then the livekit.rtc events roomsim does not simulate, and why.",
    )
    catalogue.add_argument("--json", action="store_true", help="the catalogue as one JSON object")
    args = parser.parse_args(argv)
    if args.command == "run":
        if args.timeline is not None and len(args.files) > 1:
            parser.error("run: --timeline draws one file's session; give one FILE")
        worst = OK
        for path in args.files:
            if len(args.files) > 1 and not args.json:
                print(f"==> {path} <==", flush=True)
            code = _run(
                path,
                as_json=args.json,
                clients=args.client,
                timeline=args.timeline,
                several=len(args.files) > 1,
            )
            worst = max(worst, code)
        return worst
    if args.command == "demo":
        from roomsim._demo import run

        out = sys.stdout
        room = run(lambda line: print(line, file=out), as_json=args.json, client=args.client)
        if args.timeline is not None:
            return _timeline(room, args.timeline, "demo")
        return OK
    if args.command == "events":
        return _events(as_json=args.json)
    parser.print_help()
    return USAGE


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("roomsim")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        import roomsim

        return roomsim.__version__


def _add_timeline(p: Any) -> None:
    p.add_argument(
        "--timeline",
        metavar="OUT",
        help="also draw the session as a timeline (one lane per participant) to OUT: .svg, "
        ".png or .pdf (needs matplotlib: pip install 'roomsim[plot]')",
    )


def _timeline(room: Any, out: str, who: str) -> int:
    """Draw ``room``'s timeline to ``out``; USAGE (with a message) when that can't be done."""
    try:
        from roomsim.timeline import save
    except ImportError as e:
        print(
            f"roomsim {who}: --timeline needs matplotlib ({e}); install roomsim[plot]",
            file=sys.stderr,
        )
        return USAGE
    try:
        save(room, out)
    except (OSError, ValueError) as e:
        print(f"roomsim {who}: can't write the timeline {out}: {e}", file=sys.stderr)
        return USAGE
    print(f"wrote the timeline to {out}", file=sys.stderr)
    return OK


def _events(*, as_json: bool) -> int:
    import attrs

    from roomsim import events

    rows = [
        {
            "event": cls.name,
            "sdks": list(cls.sdks),
            "fields": [f.name for f in attrs.fields(cls)],
            "summary": " ".join((cls.__doc__ or "").split()),
        }
        for cls in events.ALL_EVENTS
    ]
    if as_json:
        print(json.dumps({"events": rows, "not_simulated": dict(events.NOT_SIMULATED)}))
        return OK
    if sys.stdout.isatty() and importlib.util.find_spec("rich") is not None:
        _events_rich(rows)
        return OK
    width = max(len(r["event"]) for r in rows)
    for r in rows:
        sdk = _sdks_label(r["sdks"])
        print(f"{r['event']:<{width}}  {sdk:<9}  {', '.join(r['fields'])}")
    print()
    print("not simulated (livekit.rtc events roomsim does not emit):")
    for name, why in events.NOT_SIMULATED.items():
        print(f"  {name:<{width}}  {why}")
    return OK


def _sdks_label(sdks: Sequence[str]) -> str:
    """Which SDK profiles receive an event: ``python+js``, or ``js only``."""
    return f"{sdks[0]} only" if len(sdks) == 1 else "+".join(sdks)


def _events_rich(rows: Sequence[dict[str, Any]]) -> None:
    """The catalogue as rich tables (on a terminal, when rich is installed)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from roomsim import events

    console = Console()
    t = Table(title="events roomsim emits", box=box.SIMPLE_HEAD, title_justify="left")
    t.add_column("event", no_wrap=True)
    t.add_column("sdks", no_wrap=True)
    t.add_column("fields")
    for r in rows:
        t.add_row(r["event"], _sdks_label(r["sdks"]), ", ".join(r["fields"]))
    console.print(t)
    t = Table(
        title="not simulated (livekit.rtc events roomsim does not emit)",
        box=box.SIMPLE_HEAD,
        title_justify="left",
    )
    t.add_column("event", no_wrap=True)
    t.add_column("why")
    for name, why in events.NOT_SIMULATED.items():
        t.add_row(name, why)
    console.print(t)


def _add_run(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="replay a scenario file and print each client's events",
        description="Replay a scenario file (JSON Lines: a header, then one mutation per line) "
        "and print every event each client receives: virtual time, recipient, event name, "
        "fields. When the file records events (its header's events_of), the replayed ones "
        "are compared with them. Exit status: 0 ok, 1 the events differ from the recorded "
        "ones (a diff is printed), 2 a malformed file or a usage error (message on stderr).",
    )
    p.add_argument(
        "files",
        metavar="FILE",
        nargs="+",
        help="scenario files (.jsonl); with several, "
        "each is replayed in turn under a '==> FILE <==' line and the exit status is the worst",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object per event ({time, to, event, fields}), then one with the "
        "result of the comparison ({file, result, diff})",
    )
    _add_timeline(p)
    p.add_argument(
        "--client",
        metavar="IDENTITY",
        action="append",
        help="print only this client's events; repeat for more clients (the comparison still "
        "covers the file's events_of)",
    )


def _run(
    path: str,
    *,
    as_json: bool,
    clients: Sequence[str] | None,
    timeline: str | None = None,
    several: bool = False,
) -> int:
    from roomsim._format import clock_time, format_event, printable
    from roomsim.errors import InvalidArgument
    from roomsim.scenario import event_to_json, load, play

    def fail(message: str) -> int:
        print(f"roomsim run: {message}", file=sys.stderr)
        return USAGE

    try:
        sc = load(path)
        # with --client, read only the clients printed and compared: the replay then costs
        # what the file and the printed events cost, however many others join
        watch = [*clients, *sc.events_of] if clients else None
        pb = play(sc, watch=watch)
    except InvalidArgument as e:
        return fail(f"{path}: {e}")
    except OSError as e:
        return fail(f"can't read {path}: {e.strerror or e}")
    identities = dict.fromkeys(d.recipient for d in pb.deliveries)
    identities.update(dict.fromkeys(pb.room.clients))
    wanted = None if not clients else set(clients)
    if wanted is not None:
        unknown = [c for c in dict.fromkeys(clients or ()) if c not in identities]
        if unknown:
            known = ", ".join(identities) or "none"
            return fail(
                f"{path} has no client {', '.join(map(repr, unknown))}; its clients: {known}"
            )
    out = sys.stdout
    for d in pb.deliveries:
        if wanted is not None and d.recipient not in wanted:
            continue
        t = pb.times[d.step]
        if as_json:
            obj = {"time": clock_time(t), "to": d.recipient, **event_to_json(d.event)}
            print(json.dumps(obj, ensure_ascii=False), file=out)
        else:
            print(format_event(t, d.recipient, d.event), file=out)
    checked = pb.scenario.events_of
    diff = pb.differences()
    if as_json:
        result = "unchecked" if not checked else ("mismatch" if diff else "match")
        obj = {"file": path, "result": result, "diff": list(diff)}
        print(json.dumps(obj, ensure_ascii=False), file=out)
    elif checked:
        who = ", ".join(printable(c) for c in checked)
        n = len(pb.scenario.expected)
        if diff:
            print(
                f"\nMISMATCH: the replayed events of {who} differ from the recorded ones:", file=out
            )
            for line in diff:
                print(line, file=out)
        else:
            print(f"\nOK: the replayed events of {who} match the {n} recorded", file=out)
    if several and not as_json:
        print(file=out)
    code = MISMATCH if diff else OK
    if timeline is not None:
        code = max(code, _timeline(pb.room, timeline, "run"))
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
