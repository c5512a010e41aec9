"""The public surface (STYLE: trio's and Hypothesis' export checks)."""

from __future__ import annotations

import inspect
import subprocess
import sys

import attrs

import roomsim
from roomsim import events, mutations


def test_all_lists_exactly_the_public_names() -> None:
    # submodules appear as attributes once imported; only the namespaces are exported
    public = {
        n
        for n, obj in vars(roomsim).items()
        if not n.startswith("_") and not inspect.ismodule(obj) and n != "annotations"
    }
    assert set(roomsim.__all__) - {"events", "mutations", "scenario"} == public
    assert len(roomsim.__all__) == len(set(roomsim.__all__))


DESIGN_NAMES = (
    "Room",
    "RoomConfig",
    "Client",
    "Permission",
    "ManualClock",
    "ParticipantKind",
    "ParticipantState",
    "TrackKind",
    "TrackSource",
    "ConnectionQuality",
    "StreamState",
    "DisconnectReason",
    "ConnectionState",
    "RoomsimError",
)


def test_design_contract_names_are_exported() -> None:
    for name in DESIGN_NAMES:
        assert name in roomsim.__all__, name


def test_every_event_is_exported_final_documented_and_uniquely_named() -> None:
    names = set()
    for cls in events.ALL_EVENTS:
        assert cls.__name__ in events.__all__
        assert getattr(cls, "__final__", False), cls
        assert cls.__doc__ and cls.__doc__.strip(), cls
        assert isinstance(cls.name, str)
        assert cls.name not in names
        names.add(cls.name)
        assert attrs.has(cls)
    concrete = {
        obj
        for obj in vars(events).values()
        if inspect.isclass(obj) and issubclass(obj, events.Event) and obj is not events.Event
    }
    assert concrete == set(events.ALL_EVENTS)
    assert not hasattr(events.Event, "name")


def test_every_mutation_is_exported_and_final() -> None:
    concrete = {
        obj
        for obj in vars(mutations).values()
        if inspect.isclass(obj)
        and issubclass(obj, mutations.Mutation)
        and obj is not mutations.Mutation
    }
    assert concrete == set(mutations.ALL_MUTATIONS)
    for cls in concrete:
        assert cls.__name__ in mutations.__all__
        assert getattr(cls, "__final__", False), cls


def test_public_classes_live_in_roomsim() -> None:
    for name in roomsim.__all__:
        obj = getattr(roomsim, name)
        if inspect.isclass(obj):
            assert obj.__module__.startswith("roomsim."), (name, obj.__module__)


def test_error_hierarchy_matches_design() -> None:
    e = roomsim
    assert issubclass(e.InvalidArgument, ValueError)
    assert issubclass(e.InvalidType, e.InvalidArgument) and issubclass(e.InvalidType, TypeError)
    assert issubclass(e.LimitExceeded, e.InvalidArgument)
    assert issubclass(e.NotFound, LookupError)
    assert issubclass(e.UnknownParticipant, e.NotFound)
    assert issubclass(e.UnknownTrack, e.NotFound)
    assert issubclass(e.PermissionDenied, PermissionError)
    assert issubclass(e.IllegalState, RuntimeError)
    for state_cls in (e.RoomClosed, e.ClientDisconnected, e.RoomFull):
        assert issubclass(state_cls, e.IllegalState)
    assert issubclass(e.InternalError, AssertionError)
    for cls in (e.InvalidArgument, e.NotFound, e.PermissionDenied, e.IllegalState):
        assert issubclass(cls, e.RoomsimError)


def test_the_root_error_is_abstract() -> None:
    try:
        roomsim.RoomsimError("x")
    except TypeError:
        pass
    else:  # pragma: no cover
        raise AssertionError("RoomsimError must not be instantiable")


def test_importing_roomsim_imports_no_test_framework() -> None:
    code = (
        "import sys, roomsim, roomsim.testing; "
        "bad = [m for m in ('hypothesis', 'pytest', 'livekit') if m in sys.modules]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_package_is_typed() -> None:
    from importlib.resources import files

    assert files("roomsim").joinpath("py.typed").is_file()


def test_the_testing_toolkit_exports_its_names_where_users_import_them() -> None:
    """``roomsim.testing``'s classes read ``roomsim.testing.X`` in tracebacks and reprs."""
    import roomsim.testing as testing

    public = {n for n in vars(testing) if not n.startswith("_") and n != "annotations"}
    public -= {n for n, obj in vars(testing).items() if inspect.ismodule(obj)}
    assert set(testing.__all__) == public
    assert issubclass(testing.ExpectationFailed, AssertionError)
    for name in testing.__all__:
        obj = getattr(testing, name)
        if inspect.isclass(obj):
            assert obj.__module__ == "roomsim.testing", name
            assert f"{obj.__module__}.{obj.__qualname__}" == f"roomsim.testing.{name}"
