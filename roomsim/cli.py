"""The ``roomsim`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="roomsim",
        description="An in-memory simulator of LiveKit rooms, participants and tracks.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser(
        "demo",
        help="run the built-in stand-up scenario and print every event as it is delivered",
        description="Run the built-in stand-up scenario. One line per delivered event: "
        "virtual time, recipient, event name, fields.",
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        from roomsim._demo import run

        out = sys.stdout
        run(lambda line: print(line, file=out))
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
