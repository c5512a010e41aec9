"""The command line: ``demo --json``, ``events``, help and exit codes (the CLI issue)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from roomsim import events
from roomsim.cli import main


def test_events_lists_every_event_and_what_is_not_simulated(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["events"]) == 0
    out = capsys.readouterr().out
    for cls in events.ALL_EVENTS:
        assert cls.name in out
    for name in events.NOT_SIMULATED:
        assert name in out
    assert "js only" in out


def test_events_json_is_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [e["event"] for e in data["events"]] == [cls.name for cls in events.ALL_EVENTS]
    speakers = next(e for e in data["events"] if e["event"] == "is_speaking_changed")
    assert speakers["sdks"] == ["js"]
    assert speakers["fields"] == ["participant", "speaking"]
    assert data["not_simulated"] == dict(events.NOT_SIMULATED)


def test_demo_json_prints_one_object_per_event_with_its_action(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    objs = [json.loads(line) for line in lines]
    first = objs[0]
    assert first["to"] == "alice" and first["event"] == "participant_connected"
    assert first["participant"] == "agent" and first["time"] == 0.0
    assert first["action"].startswith("an agent joins")
    steps = [o["step"] for o in objs]
    assert steps == sorted(steps)
    for step in set(steps):  # within an action, a client's events keep their order in time
        for who in {o["to"] for o in objs if o["step"] == step}:
            times = [o["time"] for o in objs if o["step"] == step and o["to"] == who]
            assert times == sorted(times)
    assert {o["event"] for o in objs} >= {"active_speakers_changed", "disconnected"}


def test_demo_groups_events_under_the_action_that_caused_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    blocks = {block.splitlines()[0]: block.splitlines()[1:] for block in out.split("== ")[1:]}
    (publish,) = [
        lines for head, lines in blocks.items() if "alice publishes her microphone" in head
    ]
    got = {(line.split()[1], line.split()[2]) for line in publish}
    assert ("alice", "local_track_published") in got
    assert {("bob", "track_published"), ("bob", "track_subscribed")} <= got
    recipients = [line.split()[1] for line in publish]
    assert recipients == sorted(recipients, key=["alice", "agent", "bob"].index)


def test_demo_client_prints_only_that_clients_events(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--client", "bob"]) == 0
    lines = capsys.readouterr().out.splitlines()
    events = [line for line in lines if not line.startswith("==") and "(no events)" not in line]
    assert events and {line.split()[1] for line in events} == {"bob"}
    assert sum(line.startswith("== ") for line in lines) == len(
        [line for line in main_lines() if line.startswith("== ")]
    )
    with pytest.raises(SystemExit) as info:
        main(["demo", "--client", "zed"])
    assert info.value.code == 2
    assert "invalid choice: 'zed'" in capsys.readouterr().err


def main_lines() -> list[str]:
    from roomsim._demo import run

    lines: list[str] = []
    run(lines.append)
    return lines


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    import roomsim

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"roomsim {roomsim.__version__}"


def test_times_are_printed_as_the_clocks_decimals() -> None:
    from roomsim._format import clock_time

    t = 0.0
    for dt in (0.1, 0.7, 1.0):
        t += dt
    assert t != 1.8 and repr(clock_time(t)) == "1.8"
    assert repr(clock_time(-0.0)) == "0.0"
    assert clock_time(2.0000000004) == 2.0


def test_a_closed_pipe_ends_the_demo_quietly() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "roomsim", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read()
        assert proc.wait(timeout=60) == 0
    assert err == b""


@pytest.mark.parametrize("argv", [["--help"], ["demo", "--help"], ["events", "--help"]])
def test_help_everywhere(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    assert "usage: roomsim" in capsys.readouterr().out


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["nope"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.skipif(importlib.util.find_spec("rich") is None, reason="rich is not installed")
def test_events_on_a_terminal_is_a_rich_table(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["events"]) == 0
    out = capsys.readouterr().out
    assert "events roomsim emits" in out and "─" in out
    for cls in events.ALL_EVENTS:
        assert cls.name in out
    for name in events.NOT_SIMULATED:
        assert name in out
