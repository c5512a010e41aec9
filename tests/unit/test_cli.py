"""The command line: ``demo --json``, ``events``, help and exit codes (the CLI issue)."""

from __future__ import annotations

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
    assert speakers["sdk"] == "js"
    assert speakers["fields"] == ["participant", "speaking"]
    assert data["not_simulated"] == dict(events.NOT_SIMULATED)


def test_demo_json_prints_one_object_per_event_in_delivery_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    objs = [json.loads(line) for line in lines]
    assert objs[0] == {
        "time": 0.0,
        "to": "alice",
        "event": "participant_connected",
        "participant": "agent",
    }
    times = [o["time"] for o in objs]
    assert times == sorted(times)
    assert {o["event"] for o in objs} >= {"active_speakers_changed", "disconnected"}


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
