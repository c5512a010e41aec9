"""``roomsim run FILE``: each client's events, a check of the recorded ones, exit codes."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from roomsim.cli import main
from tests.replay._examples import EXAMPLES

STANDUP = str(EXAMPLES / "standup.jsonl")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["run", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_run_prints_every_event_of_every_client(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, STANDUP)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["0.000", "alice", "participant_connected"]
    assert {line.split()[1] for line in lines[:-2]} == {"alice", "bob", "carol"}
    assert lines[-2] == ""
    assert lines[-1].startswith("OK: the replayed events of alice, bob match the ")


def test_client_selects_whose_events_are_printed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--client", "carol", STANDUP)
    assert code == 0
    events = out.split("\n\n")[0].splitlines()
    assert events and all(line.split()[1] == "carol" for line in events)
    code, _, err = run(capsys, STANDUP, "--client", "carol", "--client", "zed")
    assert code == 2
    assert "has no client 'zed'; its clients: alice, bob, carol" in err


def test_json_prints_one_object_per_event_then_the_result(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, STANDUP, "--json", "--client", "bob")
    assert code == 0
    objs = [json.loads(line) for line in out.splitlines()]
    assert objs[-1] == {"file": STANDUP, "result": "match", "diff": []}
    assert all(o["to"] == "bob" and isinstance(o["time"], float) for o in objs[:-1])
    assert {"time", "to", "event"} <= set(objs[0])


def test_a_scenario_without_recorded_events_is_unchecked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"roomsim": 1}\n{"mutation": "Connect", "identity": "a"}\n')
    code, out, _ = run(capsys, str(path))
    assert (code, out) == (0, "")
    code, out, _ = run(capsys, str(path), "--json")
    assert json.loads(out) == {"file": str(path), "result": "unchecked", "diff": []}


def test_different_events_exit_1_with_a_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "edited.jsonl"
    text = (EXAMPLES / "standup.jsonl").read_text()
    path.write_text(
        text.replace('"status": "blocked on review"}}\n{"to"', '"status": "x"}}\n{"to"', 1)
    )
    code, out, _ = run(capsys, str(path))
    assert code == 1
    report = out.split(
        "\nMISMATCH: the replayed events of alice, bob differ from the recorded ones:\n"
    )[1]
    assert report.splitlines()[:2] == ["--- recorded", "+++ replayed"]
    code, out, _ = run(capsys, str(path), "--json")
    assert code == 1
    result = json.loads(out.splitlines()[-1])
    assert result["result"] == "mismatch" and result["diff"][0] == "--- recorded"


def test_a_malformed_file_exits_2_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"roomsim": 1}\n{"mutation": "Connect", "identiti": "a"}\n')
    code, out, err = run(capsys, str(path))
    assert (code, out) == (2, "")
    assert err.startswith(f"roomsim run: {path}: line 2: Connect has no field 'identiti'")
    code, _, err = run(capsys, str(tmp_path / "missing.jsonl"))
    assert code == 2 and "can't read" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["run"])
    assert info.value.code == 2
    assert "FILE" in capsys.readouterr().err


def test_python_m_roomsim_run() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "roomsim", "run", str(EXAMPLES / "town-hall.jsonl")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "OK: the replayed events of host, v1 match" in out.stdout


def test_several_files_each_under_a_header_and_the_worst_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = tmp_path / "edited.jsonl"
    text = (EXAMPLES / "standup.jsonl").read_text()
    edited.write_text(
        text.replace('"status": "blocked on review"}}\n{"to"', '"status": "x"}}\n{"to"', 1)
    )
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"roomsim": 1}\n{"mutation": "Nope"}\n')
    town = str(EXAMPLES / "town-hall.jsonl")
    code, out, err = run(capsys, STANDUP, town)
    assert code == 0 and err == ""
    assert out.startswith(f"==> {STANDUP} <==\n")
    assert f"\n==> {town} <==\n" in out
    assert out.count("OK: the replayed events of") == 2
    code, out, err = run(capsys, STANDUP, str(edited))
    assert code == 1 and "MISMATCH" in out
    code, out, err = run(capsys, str(bad), STANDUP, str(edited))
    assert code == 2 and str(bad) in err
    assert "OK: the replayed events" in out and "MISMATCH" in out
    code, out, _ = run(capsys, "--json", STANDUP, town)
    results = [json.loads(line) for line in out.splitlines() if '"result"' in line]
    assert [(r["file"], r["result"]) for r in results] == [(STANDUP, "match"), (town, "match")]


def test_json_times_are_the_clocks_decimals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.jsonl"
    lines = ['{"roomsim": 1}', '{"mutation": "Connect", "identity": "a"}']
    lines += [json.dumps({"mutation": "Advance", "dt": dt}) for dt in (0.1, 0.7, 1.0)]
    lines += ['{"mutation": "Connect", "identity": "b"}']
    path.write_text("\n".join(lines) + "\n")
    code, out, _ = run(capsys, str(path), "--json", "--client", "a")
    assert code == 0
    (joined,) = [line for line in out.splitlines() if '"participant_connected"' in line]
    assert '"time": 1.8,' in joined
    assert json.loads(joined)["time"] == round(0.1 + 0.7 + 1.0, 9)


@pytest.mark.skipif(
    importlib.util.find_spec("matplotlib") is None, reason="the plot extra is not installed"
)
def test_timeline_draws_the_replayed_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_svg = tmp_path / "t.svg"
    code, _, err = run(capsys, str(EXAMPLES / "town-hall.jsonl"), "--timeline", str(out_svg))
    assert code == 0 and f"wrote the timeline to {out_svg}" in err
    assert "<svg" in out_svg.read_text()
    code, _, err = run(capsys, STANDUP, "--timeline", str(tmp_path / "t.gif"))
    assert code == 2 and "can't write the timeline" in err
    with pytest.raises(SystemExit) as info:
        main(["run", STANDUP, STANDUP, "--timeline", str(out_svg)])
    assert info.value.code == 2
    png = tmp_path / "demo.png"
    assert main(["demo", "--timeline", str(png)]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
