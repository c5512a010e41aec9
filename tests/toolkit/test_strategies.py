"""``roomsim.strategies``: values within (and just over) LiveKit's limits; valid mutations that
apply; invalid ones that raise what they say and change nothing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument as BadStrategy

from roomsim import HandlerError, LimitExceeded, Permission, Room, RoomConfig, RoomsimError
from roomsim import mutations as M
from roomsim import strategies as rs
from roomsim.testing import check_invariants

SMALL = RoomConfig(
    max_participants=3,
    max_identity_length=12,
    max_name_length=8,
    max_metadata_size=16,
    max_attributes_size=16,
    enable_remote_unmute=True,
)


def _nbytes(s: str) -> int:
    return len(s.encode("utf-8"))


def _size(a: dict[str, str]) -> int:
    return sum(_nbytes(k) + _nbytes(v) for k, v in a.items())


@given(st.integers(0, 300).flatmap(lambda n: st.tuples(st.just(n), rs.texts_of_size(n))))
def test_texts_of_size_are_exact_in_utf8_bytes(case: tuple[int, str]) -> None:
    n, s = case
    assert _nbytes(s) == n


@given(rs.utf8_texts(min_bytes=3, max_bytes=40))
def test_utf8_texts_stay_in_range(s: str) -> None:
    assert 3 <= _nbytes(s) <= 40


@given(rs.identities(max_bytes=10))
def test_identities_are_non_empty_and_within_the_limit(identity: str) -> None:
    assert identity
    assert _nbytes(identity) <= 10
    Room("r", config=RoomConfig(max_identity_length=10)).connect(identity)


@given(rs.attribute_maps(max_bytes=32))
def test_attribute_maps_fit_the_limit(a: dict[str, str]) -> None:
    assert _size(a) <= 32


@given(st.integers(0, 100).flatmap(lambda n: st.tuples(st.just(n), rs.attribute_maps_of_size(n))))
def test_attribute_maps_of_size_are_exact(case: tuple[int, dict[str, str]]) -> None:
    n, a = case
    assert _size(a) == n


@given(rs.attribute_maps_of_size(16), rs.attribute_maps_of_size(17))
def test_attribute_maps_at_and_just_over_the_limit(
    at: dict[str, str], over: dict[str, str]
) -> None:
    """server §1: the limit is inclusive and measured in UTF-8 bytes, on the update."""
    room = Room("r", config=RoomConfig(max_attributes_size=16))
    room.connect("a", attributes=at)
    with pytest.raises(LimitExceeded):
        room.connect("b", attributes=over)


def test_attribute_maps_draw_deletes_and_unicode() -> None:
    seen: dict[str, bool] = {"delete": False, "unicode": False}

    @settings(max_examples=200)
    @given(rs.attribute_maps())
    def look(a: dict[str, str]) -> None:
        if "" in a.values():
            seen["delete"] = True
        if any(not (k + v).isascii() for k, v in a.items()):
            seen["unicode"] = True

    look()
    assert seen == {"delete": True, "unicode": True}
    no_deletes = rs.attribute_maps(allow_deletes=False)

    @given(no_deletes)
    def never_empty(a: dict[str, str]) -> None:
        assert "" not in a.values()

    never_empty()


@given(rs.permissions())
def test_permissions_are_complete_and_not_hidden_by_default(p: Permission) -> None:
    assert isinstance(p, Permission)
    assert p.hidden is False


def test_strategy_arguments_are_checked_when_built() -> None:
    for bad in (
        lambda: rs.texts_of_size(-1),
        lambda: rs.utf8_texts(min_bytes=5, max_bytes=4),
        lambda: rs.identities(max_bytes=0),
        lambda: rs.attribute_maps_of_size(3, max_entries=0),
        lambda: rs.permissions(hidden="no"),  # type: ignore[arg-type]
        lambda: rs.mutations(Room("r"), families=[int]),  # type: ignore[list-item]
        lambda: rs.mutations(Room("r"), identities=[""]),
    ):
        with pytest.raises(BadStrategy):
            bad()


def test_every_mutation_family_has_a_strategy() -> None:
    """A new mutation class must get a drawer (and with it a RoomStateMachine rule)."""
    assert set(rs.families()) == set(M.ALL_MUTATIONS)


def _run(data: st.DataObject, config: RoomConfig, steps: int) -> None:
    room = Room("r", config=config)
    for _ in range(steps):
        if data.draw(st.integers(0, 3), label="refuse?") == 0:
            refusal = data.draw(rs.invalid_mutations(room), label="refusal")
            before = room.snapshot()
            with pytest.raises(refusal.error):
                room.apply(refusal.mutation)
            assert room.snapshot() == before
        else:
            m = data.draw(rs.mutations(room), label="mutation")
            try:
                room.apply(m)
            except HandlerError:  # pragma: no cover - no handlers here
                raise
            except RoomsimError as e:  # pragma: no cover - the failure to report
                raise AssertionError(f"valid {m!r} was refused: {e}") from e
        check_invariants(room)


@given(st.data())
def test_valid_mutations_apply_and_invalid_ones_raise_what_they_say(data: st.DataObject) -> None:
    _run(data, RoomConfig(), 15)


@given(st.data())
def test_the_same_with_small_limits_and_a_participant_cap(data: st.DataObject) -> None:
    _run(data, SMALL, 15)


@given(st.data())
def test_mutations_can_be_drawn_for_a_snapshot(data: st.DataObject) -> None:
    room = Room("r")
    for _ in range(5):
        room.apply(data.draw(rs.mutations(room.snapshot())))
    refusal = data.draw(rs.invalid_mutations(room.snapshot()))
    with pytest.raises(refusal.error):
        room.apply(refusal.mutation)


@given(st.data())
def test_families_limit_what_is_drawn(data: st.DataObject) -> None:
    room = Room("r")
    room.connect("alice")
    chosen = {M.SetMetadata, M.UpdateParticipant}
    m = data.draw(rs.mutations(room, families=chosen, identities=["zoe"]))
    assert type(m) in chosen
    r = data.draw(rs.invalid_mutations(room, families=chosen))
    assert type(r.mutation) in chosen


@given(st.data())
def test_a_closed_room_only_advances_and_refuses_the_rest(data: st.DataObject) -> None:
    room = Room("r")
    room.connect("alice")
    room.delete()
    assert isinstance(data.draw(rs.mutations(room)), M.Advance)
    refusal = data.draw(rs.invalid_mutations(room))
    before = room.snapshot()
    with pytest.raises(refusal.error):
        room.apply(refusal.mutation)
    assert room.snapshot() == before


def test_nothing_to_draw_is_a_rejection_not_an_error() -> None:
    room = Room("r")
    room.delete()

    @given(rs.mutations(room, families=[M.Connect]))
    def never(m: M.Mutation) -> None:  # pragma: no cover - never called
        raise AssertionError(m)

    with pytest.raises(Exception, match=r"Unsatisfiable|unsatisfiable|filter"):
        never()


def test_an_unknown_room_type_is_refused() -> None:
    @given(rs.mutations(object()))  # type: ignore[arg-type]
    def t(m: M.Mutation) -> None:  # pragma: no cover - never called
        pass

    with pytest.raises(BadStrategy):
        t()


@given(rs.invalid_mutations(Room("r", config=RoomConfig(max_metadata_size=4))))
def test_refusals_carry_the_error_class(refusal: rs.Refusal) -> None:
    assert issubclass(refusal.error, RoomsimError)


def test_the_package_exports_exactly_its_public_names() -> None:
    """``roomsim/strategies/__init__.py`` checks it at import (as ``hypothesis.strategies``)."""
    public = {n for n in dir(rs) if not n.startswith("_")}
    assert set(rs.__all__) == public
    assert rs.DEFAULT_IDENTITIES[0] == "alice"  # picks shrink towards it


def test_the_tools_read_the_core_through_its_public_names_only() -> None:
    """strategies/ and stateful.py import no private module of the core and read no private
    attribute of anything but their own objects (issue 14: tools on public seams)."""
    import ast
    from pathlib import Path

    root = Path(rs.__file__).resolve().parents[1]
    files = [*sorted((root / "strategies").glob("*.py")), root / "stateful.py"]
    own = {"self", "machine", "cls", "sc", "scene", "opened"}
    for path in files:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                parts = node.module.split(".")
                if parts[0] == "roomsim" and parts[1:2] != ["strategies"]:
                    assert not any(p.startswith("_") for p in parts), (path.name, node.module)
                    assert not any(a.name.startswith("_") for a in node.names), path.name
            if not isinstance(node, ast.Attribute):
                continue
            if node.attr.startswith("_") and not node.attr.startswith("__"):
                base = node.value
                assert isinstance(base, ast.Name) and base.id in own, (path.name, node.lineno)
