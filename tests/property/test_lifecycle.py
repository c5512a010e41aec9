"""Lifecycle invariants under random joins, leaves and clock advances (server §4 join
timeout and room close, §10 webhooks; design §1 atomic, §2 closed rooms).

Each step applies a mutation from ``_actions.mutation`` (mostly joins, leaves and updates),
an ``Advance`` or, rarely, a ``DeleteRoom``; after each step the room must satisfy
``check_invariants`` and the lifecycle rules checked here.
"""

from __future__ import annotations

from hypothesis import event, given
from hypothesis import strategies as st

from roomsim import (
    DisconnectReason,
    ParticipantKind,
    ParticipantSnapshot,
    ParticipantState,
    Room,
    RoomClosed,
    RoomConfig,
    RoomsimError,
)
from roomsim import mutations as M
from roomsim.testing import check_invariants
from tests.property._actions import mutation

configs = st.builds(
    RoomConfig,
    empty_timeout=st.sampled_from([0.0, 4.0, 300.0]),
    departure_timeout=st.sampled_from([0.0, 3.0, 20.0]),
    join_timeout=st.sampled_from([0.0, 2.0, 60.0]),
)
dts = st.one_of(
    st.sampled_from([0.0, 0.5, 2.0, 3.0, 5.0, 20.0, 60.0, 300.0]),
    st.floats(min_value=0.0, max_value=100.0, allow_nan=False, allow_infinity=False),
)


def _dependent(p: ParticipantSnapshot) -> bool:
    return (
        p.kind in (ParticipantKind.AGENT, ParticipantKind.EGRESS)
        or p.permission.agent
        or p.permission.recorder
    )


def _check_webhooks(room: Room) -> None:
    """server §10: ids in order, times never decreasing, room_started first, room_finished
    last and only on close; participant_left only after that sid's participant_joined."""
    hooks = list(room.webhooks)
    assert [w.id for w in hooks] == [f"EV_{i}" for i in range(1, len(hooks) + 1)]
    times = [w.created_at for w in hooks]
    assert times == sorted(times)
    assert times[-1] <= room.now
    assert hooks[0].event == "room_started"
    finished = [i for i, w in enumerate(hooks) if w.event == "room_finished"]
    assert finished == ([len(hooks) - 1] if room.closed else [])
    joined: set[str] = set()
    ended: set[str] = set()
    published: set[str] = set()
    unpublished: set[str] = set()
    for w in hooks:
        sid = w.participant_sid
        if w.event == "participant_joined":
            assert sid is not None and sid not in joined and sid not in ended
            assert w.participant is not None
            assert w.participant.state is ParticipantState.ACTIVE
            joined.add(sid)
        elif w.event in ("participant_left", "participant_connection_aborted"):
            assert sid is not None and sid not in ended
            assert (w.event == "participant_left") == (sid in joined)
            assert w.participant is not None
            assert w.participant.state is ParticipantState.DISCONNECTED
            assert w.participant.disconnect_reason is not None
            ended.add(sid)
        elif w.event == "track_published":
            assert w.track is not None and sid not in ended
            published.add(w.track.sid)
        elif w.event == "track_unpublished":
            assert w.track is not None and w.track.sid in published
            assert w.track.sid not in unpublished and sid not in ended
            unpublished.add(w.track.sid)
    # every session that ended has exactly one ending webhook, in leave order
    assert [p.sid for p in room.departed] == [
        w.participant_sid
        for w in hooks
        if w.event in ("participant_left", "participant_connection_aborted")
    ]


def _check_nothing_overdue(room: Room, created_at: float) -> None:
    """server §4: right after an advance, no timer that fell due is left undone: no held join
    is past its join timeout, and an open room is not past its close time."""
    if room.closed:
        assert dict(room.participants) == {}
        return
    cfg = room.config
    now = room.now
    for p in room.participants.values():
        if p.state is not ParticipantState.ACTIVE:
            assert p.joined_at + cfg.join_timeout > now, p
    if any(not _dependent(p) for p in room.participants.values()):
        return
    everyone = [*room.departed, *room.participants.values()]
    ever_joined = any(not _dependent(p) for p in everyone)
    left = [
        w.created_at
        for w in room.webhooks
        if w.event in ("participant_left", "participant_connection_aborted")
    ]
    if ever_joined and left:
        due = max(left) + cfg.departure_timeout
    else:
        due = created_at + cfg.empty_timeout
    assert due > now, (due, now)


@given(st.data())
def test_joins_leaves_and_advances_keep_the_lifecycle_invariants(data: st.DataObject) -> None:
    config = data.draw(configs)
    room = Room("r", config=config)
    created_at = room.now
    for _ in range(data.draw(st.integers(1, 25))):
        choice = data.draw(st.integers(0, 59))
        m: M.Mutation
        if choice < 18:
            m = M.Advance(dt=data.draw(dts))
        elif choice == 18:
            m = M.DeleteRoom()
        else:
            m = mutation(data, room)
        was_closed = room.closed
        before = room.snapshot() if was_closed else None
        error: RoomsimError | None = None
        try:
            room.apply(m)
        except RoomsimError as e:
            error = e
        if error is not None:
            if was_closed and not isinstance(m, M.Advance):
                assert isinstance(error, RoomClosed)
            assert before is None or room.snapshot() == before
        else:
            # no closed room accepts a mutation, only Advance
            assert not was_closed or isinstance(m, M.Advance)
            if isinstance(m, M.Advance):
                _check_nothing_overdue(room, created_at)
        _check_webhooks(room)
        check_invariants(room)
    # what the run reached (pytest --hypothesis-show-statistics)
    deleted = any(isinstance(m, M.DeleteRoom) for m in room.log)
    event(f"closed: {room.closed}, deleted: {deleted}")
    reasons = [p.disconnect_reason for p in room.departed]
    event(f"join timeouts: {min(2, reasons.count(DisconnectReason.JOIN_FAILURE))}")
    event(f"room closed sessions: {min(2, reasons.count(DisconnectReason.ROOM_CLOSED))}")
    # the log replays to the same timeline (design §1 deterministic)
    twin = Room("r", config=config)
    for m in room.log:
        twin.apply(m)
    assert twin.webhooks == room.webhooks
    assert twin.departed == room.departed
    assert twin.closed == room.closed
    assert twin.now == room.now
