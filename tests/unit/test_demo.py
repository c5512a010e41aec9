"""``roomsim demo``: one line per delivered event, identical in every process (design §1
"Deterministic"), and checked against a golden file that later issues extend."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

GOLDEN = Path(__file__).parent.parent / "golden" / "demo.txt"


def _demo(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run(
        [sys.executable, "-m", "roomsim", "demo"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return out.stdout


def test_demo_is_byte_identical_across_hash_seeds_and_matches_the_golden_file() -> None:
    first, second = _demo("1"), _demo("4242")
    assert first == second
    if os.environ.get("ROOMSIM_REGEN_GOLDEN"):
        GOLDEN.write_text(first)
    assert first == GOLDEN.read_text(), (
        "the demo output changed; if that is intended, rerun with ROOMSIM_REGEN_GOLDEN=1 "
        "and review the diff of tests/golden/demo.txt"
    )


def test_the_demo_room_keeps_its_invariants() -> None:
    from roomsim._demo import run
    from roomsim.testing import check_invariants

    lines: list[str] = []
    room = run(lines.append)
    check_invariants(room)
    assert lines == GOLDEN.read_text().splitlines()


def test_cli_without_a_command_prints_help_and_exits_2() -> None:
    from roomsim.cli import main

    assert main([]) == 2
