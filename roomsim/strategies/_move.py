"""``MoveParticipant`` in the strategies (faults §5): a family that is never drawn.

A move needs a second room on the same clock, and a scene (like a scenario file) is one room:
registered into ``_valid.VALID`` with a check that is never true, so :func:`families` lists it
and nothing draws it.
"""

from __future__ import annotations

from hypothesis import strategies as st

from roomsim import mutations as M
from roomsim.strategies._scene import Scene
from roomsim.strategies._valid import VALID

__all__: list[str] = []


def _draw_move(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    raise AssertionError("a scene has one room: a move is never possible in it")  # pragma: no cover


VALID[M.MoveParticipant] = (lambda sc: False, _draw_move)
