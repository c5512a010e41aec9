"""Hypothesis strategies for roomsim values and for mutations of a room (needs ``hypothesis``).

Install the extra with ``pip install 'roomsim[testing]'``.  The value strategies follow
Hypothesis' own style: keyword-only arguments, checked when the strategy is built, and values
that shrink towards the simplest case (``""``, ``{}``, ``Permission()``).

- :func:`identities`, :func:`utf8_texts`, :func:`texts_of_size`: strings measured the way
  LiveKit measures them, in UTF-8 bytes (server §1), with sizes at and just over a limit;
- :func:`attribute_maps`, :func:`attribute_maps_of_size`: attribute maps, with empty values
  (which delete a key), non-ASCII text, and exact sizes for limit tests;
- :func:`permissions`: complete permission sets;
- :func:`mutations` and :func:`invalid_mutations`: mutations drawn for the current state of a
  room (a ``Room`` or a ``RoomSnapshot``): valid ones, which ``room.apply`` accepts, and invalid
  ones, each with the error ``room.apply`` must raise.

>>> from hypothesis import given, strategies as st
>>> from roomsim import Room
>>> from roomsim.strategies import mutations
>>> @given(st.data())
... def test_valid_mutations_apply(data):
...     room = Room("r")
...     for _ in range(5):
...         room.apply(data.draw(mutations(room)))
>>> test_valid_mutations_apply()
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Collection, Sequence
from typing import Any, Final, TypeVar

import attrs
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument as _BadStrategyArgument

from roomsim import mutations as M
from roomsim.config import RoomConfig
from roomsim.errors import (
    IllegalState,
    InvalidArgument,
    InvalidType,
    LimitExceeded,
    PermissionDenied,
    RoomClosed,
    RoomFull,
    RoomsimError,
    UnknownParticipant,
    UnknownTrack,
)
from roomsim.model import (
    ConnectionQuality,
    KindDetail,
    ParticipantKind,
    ParticipantSnapshot,
    ParticipantState,
    Permission,
    StreamState,
    TrackKind,
    TrackSource,
    is_dependent,
    utf8_length,
)
from roomsim.room import Room
from roomsim.snapshot import RoomSnapshot

__all__ = [
    "DEFAULT_IDENTITIES",
    "identities",
    "utf8_texts",
    "texts_of_size",
    "attribute_maps",
    "attribute_maps_of_size",
    "permissions",
    "mutations",
    "invalid_mutations",
    "families",
    "Refusal",
]

_T = TypeVar("_T")

#: the identities mutations draw from by default: few, so that joins collide (duplicates)
DEFAULT_IDENTITIES: Final[tuple[str, ...]] = ("alice", "bob", "carol", "dave", "eve")

# ------------------------------------------------------------------------------------------------
# text measured in UTF-8 bytes

# one code point range per UTF-8 width, without controls and surrogates
_RANGES: Final = {1: (0x21, 0x7E), 2: (0xA1, 0x7FF), 3: (0x800, 0xD7FF), 4: (0x10000, 0x10FFFF)}
_CHARS: Final = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))


def _truncate(s: str, max_bytes: int) -> str:
    out, n = [], 0
    for ch in s:
        w = utf8_length(ch)
        if n + w > max_bytes:
            break
        out.append(ch)
        n += w
    return "".join(out)


def _check_size(name: str, value: Any, *, minimum: int = 0) -> None:
    if type(value) is not int or value < minimum:
        raise _BadStrategyArgument(f"{name}={value!r} must be an int >= {minimum}")


@st.composite
def _exact(draw: st.DrawFn, nbytes: int) -> str:
    prefix = _truncate(draw(st.text(_CHARS, max_size=min(nbytes, 6))), nbytes)
    rest = nbytes - utf8_length(prefix)
    if not rest:
        return prefix
    width = draw(st.sampled_from([w for w in (1, 2, 3, 4) if w <= rest]))
    lo, hi = _RANGES[width]
    filler = chr(draw(st.integers(lo, hi)))
    count, odd = divmod(rest, width)
    return prefix + filler * count + "a" * odd


def texts_of_size(nbytes: int) -> st.SearchStrategy[str]:
    """Strings of exactly ``nbytes`` UTF-8 bytes, mixing 1- to 4-byte characters.

    >>> from hypothesis import given
    >>> from roomsim.strategies import texts_of_size
    >>> @given(texts_of_size(5))
    ... def test_size(s):
    ...     assert len(s.encode("utf-8")) == 5
    >>> test_size()
    """
    _check_size("nbytes", nbytes)
    return _exact(nbytes)


def utf8_texts(*, min_bytes: int = 0, max_bytes: int = 64) -> st.SearchStrategy[str]:
    """Strings whose UTF-8 size lies in ``[min_bytes, max_bytes]``; both ends are drawn often.

    Sizes are drawn near ``min_bytes`` and at both ends, so ``utf8_texts(max_bytes=limit)`` hits
    a limit exactly, and ``texts_of_size(limit + 1)`` is just over it.
    """
    _check_size("min_bytes", min_bytes)
    _check_size("max_bytes", max_bytes, minimum=min_bytes)
    sizes = st.one_of(
        st.integers(min_bytes, min(max_bytes, min_bytes + 16)),
        st.sampled_from(sorted({min_bytes, max_bytes})),
    )
    return sizes.flatmap(_exact)


def identities(*, max_bytes: int = 256) -> st.SearchStrategy[str]:
    """Participant identities: non-empty, within ``max_bytes`` UTF-8 bytes (LiveKit: 256).

    Mostly short and often non-ASCII; sometimes exactly ``max_bytes`` long.
    """
    _check_size("max_bytes", max_bytes, minimum=1)
    short = st.text(_CHARS, min_size=1, max_size=12).map(lambda s: _truncate(s, max_bytes))
    return st.one_of(short.filter(bool), texts_of_size(max_bytes))


# ------------------------------------------------------------------------------------------------
# attributes and permissions


def attribute_maps(
    *,
    max_bytes: int | None = 64 * 1024,
    max_entries: int = 4,
    allow_deletes: bool = True,
    keys: st.SearchStrategy[str] | None = None,
    values: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[dict[str, str]]:
    """Attribute maps (``str -> str``) whose LiveKit size is within ``max_bytes``.

    The size is ``sum(len(key) + len(value))`` in UTF-8 bytes (server §1).  Values include
    ``""`` (a delete, in an update) unless ``allow_deletes=False``; keys and values include
    non-ASCII text.  ``max_bytes=None`` means unlimited.
    """
    if max_bytes is not None:
        _check_size("max_bytes", max_bytes)
    _check_size("max_entries", max_entries)
    if keys is None:
        keys = st.one_of(
            st.sampled_from(["role", "mood", "hand", "lang", "é"]), st.text(_CHARS, min_size=1)
        )
    if values is None:
        values = st.one_of(
            st.sampled_from(["", "host", "guest", "up", "ü" * 3]), st.text(_CHARS, max_size=12)
        )
    if not allow_deletes:
        values = values.filter(bool)
    maps = st.dictionaries(keys, values, max_size=max_entries)
    if max_bytes is None:
        return maps
    limit = max_bytes
    return maps.filter(
        lambda a: sum(utf8_length(k) + utf8_length(v) for k, v in a.items()) <= limit
    )


@st.composite
def _sized_map(draw: st.DrawFn, nbytes: int, max_entries: int) -> dict[str, str]:
    if nbytes == 0:
        return {}
    entries = draw(st.integers(1, max(1, min(max_entries, nbytes))))
    cuts = (
        sorted(
            draw(
                st.lists(
                    st.integers(1, nbytes - 1),
                    min_size=entries - 1,
                    max_size=entries - 1,
                    unique=True,
                )
            )
        )
        if entries > 1
        else []
    )
    bounds = [0, *cuts, nbytes]
    out: dict[str, str] = {}
    for lo, hi in itertools.pairwise(bounds):
        part = hi - lo
        key_bytes = draw(st.integers(1, part))
        key = draw(texts_of_size(key_bytes))
        assume(key not in out)
        out[key] = draw(texts_of_size(part - key_bytes))
    return out


def attribute_maps_of_size(
    nbytes: int, *, max_entries: int = 3
) -> st.SearchStrategy[dict[str, str]]:
    """Attribute maps whose LiveKit size is exactly ``nbytes`` (use the limit and limit + 1).

    >>> from hypothesis import given
    >>> from roomsim.strategies import attribute_maps_of_size
    >>> @given(attribute_maps_of_size(10))
    ... def test_size(a):
    ...     assert sum(len(k.encode()) + len(v.encode()) for k, v in a.items()) == 10
    >>> test_size()
    """
    _check_size("nbytes", nbytes)
    _check_size("max_entries", max_entries, minimum=1)
    return _sized_map(nbytes, max_entries)


def permissions(*, hidden: bool | None = False) -> st.SearchStrategy[Permission]:
    """Complete permission sets; shrinks towards the token defaults ``Permission()``.

    ``hidden=None`` draws the hidden flag too; the default keeps it False, because roomsim
    refuses to toggle it on a connected participant (design §2).
    """
    if hidden is not None and type(hidden) is not bool:
        raise _BadStrategyArgument(f"hidden={hidden!r} must be True, False or None")
    flag = st.booleans() if hidden is None else st.just(hidden)
    sources = st.lists(st.sampled_from(TrackSource), unique=True, max_size=3).map(tuple)
    built = st.builds(
        Permission,
        can_subscribe=st.booleans(),
        can_publish=st.booleans(),
        can_publish_data=st.booleans(),
        hidden=flag,
        recorder=st.booleans(),
        can_publish_sources=sources,
        can_update_metadata=st.booleans(),
        agent=st.booleans(),
        can_subscribe_metrics=st.booleans(),
        can_manage_agent_session=st.booleans(),
    )
    defaults = st.builds(Permission, hidden=flag)
    granted = st.builds(Permission, hidden=flag, can_update_metadata=st.just(True))
    return st.one_of(defaults, granted, built)


# ------------------------------------------------------------------------------------------------
# a room's state, as the mutation strategies need it


@attrs.frozen
class _Track:
    sid: str
    kind: TrackKind
    source: TrackSource
    owner: str


@attrs.frozen
class _Person:
    identity: str
    state: ParticipantState
    permission: Permission
    dependent: bool
    tracks: tuple[_Track, ...]


@attrs.frozen
class _Scene:
    config: RoomConfig
    closed: bool
    people: tuple[_Person, ...]
    #: (subscriber identity, track sid) of every actual subscription
    subscribed: frozenset[tuple[str, str]]

    def person(self, identity: str) -> _Person | None:
        for p in self.people:
            if p.identity == identity:
                return p
        return None

    @property
    def tracks(self) -> tuple[_Track, ...]:
        return tuple(t for p in self.people for t in p.tracks)


def _scene(source: Room | RoomSnapshot) -> _Scene:
    """Read a room without reading its clients (so drawing keeps lazy delivery lazy)."""
    if isinstance(source, Room):
        records: Sequence[ParticipantSnapshot] = list(source.participants.values())
        config, closed = source.config, source.closed
        subscribed = frozenset(
            (sub.identity, sid)
            for sub in records
            for pub in records
            if pub.identity != sub.identity
            for sid in pub.track_publications
            if source.is_subscribed(sub.identity, sid)
        )
    elif isinstance(source, RoomSnapshot):
        records = [s.participant for s in source.participants]
        config, closed = source.config, source.closed
        fork = Room.from_snapshot(source)
        subscribed = frozenset(
            (sub.identity, sid)
            for sub in records
            for pub in records
            if pub.identity != sub.identity
            for sid in pub.track_publications
            if fork.is_subscribed(sub.identity, sid)
        )
    else:
        raise _BadStrategyArgument(
            f"mutations are drawn for a Room or a RoomSnapshot, got {source!r} "
            f"(type {type(source).__name__})"
        )
    people = tuple(
        _Person(
            identity=r.identity,
            state=r.state,
            permission=r.permission,
            dependent=r.dependent,
            tracks=tuple(
                _Track(t.sid, t.kind, t.source, r.identity) for t in r.track_publications.values()
            ),
        )
        for r in records
    )
    return _Scene(config=config, closed=closed, people=people, subscribed=subscribed)


# ------------------------------------------------------------------------------------------------
# valid mutations: per family, whether one can be drawn now, and a drawer
#
# Drawers are plain functions of ``draw`` (not strategies built per draw): a room changes at
# every step, and building strategies for each state costs more than the draws themselves.

_Drawer = Callable[[st.DrawFn, _Scene, tuple[str, ...]], M.Mutation]
_Check = Callable[[_Scene], bool]


@functools.lru_cache(maxsize=64)
def _within(limit: int) -> st.SearchStrategy[str]:
    """Short texts (often empty or non-ASCII), and texts at the limit when that is cheap."""
    cap = limit if limit else 256
    short = st.one_of(st.just(""), st.text(_CHARS, max_size=12)).map(lambda s: _truncate(s, cap))
    if limit and limit <= 4096:
        return st.one_of(short, texts_of_size(limit), texts_of_size(max(0, limit - 1)))
    return short


@functools.lru_cache(maxsize=64)
def _attrs_within(limit: int) -> st.SearchStrategy[dict[str, str]]:
    small = attribute_maps(max_bytes=limit if limit else None, max_entries=3)
    if limit and limit <= 4096:
        return st.one_of(small, attribute_maps_of_size(limit))
    return small


@functools.lru_cache(maxsize=8)
def _perms(hidden: bool | None) -> st.SearchStrategy[Permission]:
    return permissions(hidden=hidden)


def _pick(draw: st.DrawFn, options: Sequence[_T]) -> _T:
    # an index, not st.sampled_from(options): ``integers`` is cached, a new list is not
    # (shrinks the same way, towards the first option)
    i: int = draw(st.integers(0, len(options) - 1))
    return options[i]


_KINDS: Final = st.one_of(st.just(ParticipantKind.STANDARD), st.sampled_from(ParticipantKind))
_DETAILS: Final = st.lists(st.sampled_from(KindDetail), max_size=1).map(tuple)
_TRACK_NAMES: Final = st.sampled_from(["", "mic", "cam", "scrën"])
_TOPICS: Final = st.none() | st.sampled_from(["chat", "ü"])
_STATES: Final = st.sampled_from([StreamState.ACTIVE, StreamState.PAUSED])


@functools.lru_cache(maxsize=64)
def _maybe(s: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | s


def _anyone(draw: st.DrawFn, sc: _Scene) -> str:
    return _pick(draw, [p.identity for p in sc.people]) if sc.people else "alice"


def _counted(sc: _Scene, excluding: str) -> int:
    return sum(1 for p in sc.people if not p.dependent and p.identity != excluding)


def _granted(sc: _Scene) -> list[str]:
    return [p.identity for p in sc.people if p.permission.can_update_metadata]


def _hidden(sc: _Scene, identity: str) -> bool:
    p = sc.person(identity)
    return p is not None and p.permission.hidden


_CONNECT_PERMS: Final = st.one_of(
    st.just(Permission(can_update_metadata=True)), permissions(hidden=None)
)


def _draw_connect(draw: st.DrawFn, sc: _Scene, pool: tuple[str, ...]) -> M.Mutation:
    cfg = sc.config
    limit = cfg.max_identity_length
    names = [i for i in pool if not limit or utf8_length(i) <= limit]
    names += [p.identity for p in sc.people if p.identity not in names]
    identity = _pick(draw, names) if names else draw(identities(max_bytes=limit))
    kind = draw(_KINDS)
    perm = draw(_CONNECT_PERMS)
    dependent = is_dependent(kind, perm)
    full = cfg.max_participants and _counted(sc, identity) >= cfg.max_participants
    if full and not dependent:
        kind = ParticipantKind.AGENT  # the room is full: only an agent may still join
    return M.Connect(
        identity=identity,
        name=draw(_within(cfg.max_name_length)),
        metadata=draw(_within(cfg.max_metadata_size)),
        attributes=draw(_attrs_within(cfg.max_attributes_size)),
        kind=kind,
        kind_details=draw(_DETAILS),
        permission=perm,
        active=draw(st.booleans()),
        auto_subscribe=draw(st.sampled_from([None, True, False])),
    )


def _draw_name(draw: st.DrawFn, sc: _Scene, pool: tuple[str, ...]) -> M.Mutation:
    return M.SetName(
        identity=_pick(draw, _granted(sc)), name=draw(_within(sc.config.max_name_length))
    )


def _draw_metadata(draw: st.DrawFn, sc: _Scene, pool: tuple[str, ...]) -> M.Mutation:
    return M.SetMetadata(
        identity=_pick(draw, _granted(sc)),
        metadata=draw(_within(sc.config.max_metadata_size)),
    )


def _draw_attributes(draw: st.DrawFn, sc: _Scene, pool: tuple[str, ...]) -> M.Mutation:
    return M.SetAttributes(
        identity=_pick(draw, _granted(sc)),
        attributes=draw(_attrs_within(sc.config.max_attributes_size)),
    )


def _draw_update(draw: st.DrawFn, sc: _Scene, pool: tuple[str, ...]) -> M.Mutation:
    cfg = sc.config
    p = _pick(draw, sc.people)
    return M.UpdateParticipant(
        identity=p.identity,
        name=draw(_maybe(_within(cfg.max_name_length))),
        metadata=draw(_maybe(_within(cfg.max_metadata_size))),
        attributes=draw(_maybe(_attrs_within(cfg.max_attributes_size))),
        # hidden can't change on a connected participant (design §2)
        permission=draw(_maybe(_perms(p.permission.hidden))),
    )


def _publishable(sc: _Scene) -> list[tuple[str, TrackSource]]:
    return [
        (p.identity, s)
        for p in sc.people
        for s in TrackSource
        if p.permission.can_publish_source(s)
    ]


_NATURAL: Final = {
    TrackSource.MICROPHONE: TrackKind.AUDIO,
    TrackSource.SCREEN_SHARE_AUDIO: TrackKind.AUDIO,
}


def _draw_publish(draw: st.DrawFn, sc: _Scene, pool: tuple[str, ...]) -> M.Mutation:
    identity, source = _pick(draw, _publishable(sc))
    natural = _NATURAL.get(source, TrackKind.VIDEO)
    return M.PublishTrack(
        identity=identity,
        kind=draw(st.one_of(st.just(natural), st.sampled_from(TrackKind))),
        source=source,
        name=draw(_TRACK_NAMES),
        muted=draw(st.booleans()),
    )


def _draw_unpublish(draw: st.DrawFn, sc: _Scene, pool: tuple[str, ...]) -> M.Mutation:
    t = _pick(draw, sc.tracks)
    return M.UnpublishTrack(identity=t.owner, track_sid=t.sid)


def _draw_mute(draw: st.DrawFn, sc: _Scene, pool: tuple[str, ...]) -> M.Mutation:
    t = _pick(draw, sc.tracks)
    return M.SetTrackMuted(identity=t.owner, track_sid=t.sid, muted=draw(st.booleans()))


def _draw_server_mute(draw: st.DrawFn, sc: _Scene, pool: tuple[str, ...]) -> M.Mutation:
    targets = [(t.owner, t.sid) for t in sc.tracks]
    # a track the participant lacks is accepted silently (server §5)
    targets += [(p.identity, "TR_999") for p in sc.people]
    identity, sid = _pick(draw, targets)
    muted = draw(st.booleans()) if sc.config.enable_remote_unmute else True
    return M.MutePublishedTrack(identity=identity, track_sid=sid, muted=muted)


def _subscribable(sc: _Scene) -> list[tuple[str, _Track]]:
    return [
        (sub.identity, t)
        for sub in sc.people
        for t in sc.tracks
        if t.owner != sub.identity and not _hidden(sc, t.owner)
    ]


def _draw_subscribed(draw: st.DrawFn, sc: _Scene, pool: tuple[str, ...]) -> M.Mutation:
    identity, t = _pick(draw, _subscribable(sc))
    return M.SetSubscribed(
        identity=identity, publisher=t.owner, track_sid=t.sid, subscribed=draw(st.booleans())
    )


def _draw_subscriptions(draw: st.DrawFn, sc: _Scene, pool: tuple[str, ...]) -> M.Mutation:
    p = _pick(draw, sc.people)
    others = [t.sid for t in sc.tracks if t.owner != p.identity]
    sids = draw(st.lists(st.sampled_from(others), max_size=3)) if others else []
    return M.UpdateSubscriptions(
        identity=p.identity, track_sids=tuple(sids), subscribe=draw(st.booleans())
    )


def _draw_sub_permissions(draw: st.DrawFn, sc: _Scene, pool: tuple[str, ...]) -> M.Mutation:
    sids = [t.sid for t in sc.tracks] or ["TR_1"]
    allowed = draw(
        st.dictionaries(
            st.sampled_from(pool),
            st.none() | st.lists(st.sampled_from(sids), max_size=2).map(tuple),
            max_size=3,
        )
    )
    return M.SetTrackSubscriptionPermissions(
        identity=_anyone(draw, sc), all_participants=draw(st.booleans()), allowed=allowed
    )


def _draw_data(draw: st.DrawFn, sc: _Scene, pool: tuple[str, ...]) -> M.Mutation:
    server: bool = not sc.people or draw(st.booleans())
    sender = None if server else _anyone(draw, sc)
    return M.SendData(
        sender=sender,
        data=draw(st.binary(max_size=8)),
        topic=draw(_TOPICS),
        reliable=draw(st.booleans()),
        destination_identities=tuple(draw(st.lists(st.sampled_from(pool), max_size=2))),
    )


def _streams(sc: _Scene) -> list[tuple[str, str]]:
    video = {t.sid for t in sc.tracks if t.kind is TrackKind.VIDEO}
    return sorted(pair for pair in sc.subscribed if pair[1] in video)


def _draw_stream(draw: st.DrawFn, sc: _Scene, pool: tuple[str, ...]) -> M.Mutation:
    identity, sid = _pick(draw, _streams(sc))
    state = draw(_STATES)
    return M.SetStreamState(identity=identity, track_sid=sid, state=state)


_LEVELS: Final = st.one_of(st.sampled_from([0.0, 0.01, 0.0178, 0.3, 0.8, 1.0]), st.floats(0.0, 1.0))


def _draw_levels(draw: st.DrawFn, sc: _Scene, pool: tuple[str, ...]) -> M.Mutation:
    who = draw(st.lists(st.sampled_from([p.identity for p in sc.people]), min_size=1, max_size=3))
    return M.SetAudioLevels(levels={i: draw(_LEVELS) for i in who})


_QUALITIES: Final = [q for q in ConnectionQuality if q is not ConnectionQuality.UNKNOWN]


def _draw_quality(draw: st.DrawFn, sc: _Scene, pool: tuple[str, ...]) -> M.Mutation:
    return M.SetConnectionQuality(identity=_anyone(draw, sc), quality=_pick(draw, _QUALITIES))


def _draw_advance(draw: st.DrawFn, sc: _Scene, pool: tuple[str, ...]) -> M.Mutation:
    # mostly short steps (speaker and quality ticks); one in ten reaches a timeout, which may
    # end sessions or close the room (and a closed room refuses everything but time)
    cfg = sc.config
    if draw(st.integers(0, 9)) < 9:
        dt = draw(_SHORT_DT)
    else:
        timeouts = sorted(
            {cfg.departure_timeout, cfg.join_timeout, cfg.empty_timeout, cfg.quality_interval}
        )
        dt = _pick(draw, timeouts)
    return M.Advance(dt=dt)


_SHORT_DT: Final = st.one_of(st.sampled_from([0.0, 0.1, 0.4, 1.0]), st.floats(0.0, 6.0))


def _draw_delete(draw: st.DrawFn, sc: _Scene, pool: tuple[str, ...]) -> M.Mutation:
    return M.DeleteRoom()


def _someone(sc: _Scene) -> bool:
    return bool(sc.people)


def _always(sc: _Scene) -> bool:
    return True


_VALID: Final[dict[type[M.Mutation], tuple[_Check, _Drawer]]] = {
    M.Connect: (_always, _draw_connect),
    M.Activate: (_someone, lambda d, sc, p: M.Activate(identity=_anyone(d, sc))),
    M.Disconnect: (_someone, lambda d, sc, p: M.Disconnect(identity=_anyone(d, sc))),
    M.SetName: (lambda sc: bool(_granted(sc)), _draw_name),
    M.SetMetadata: (lambda sc: bool(_granted(sc)), _draw_metadata),
    M.SetAttributes: (lambda sc: bool(_granted(sc)), _draw_attributes),
    M.UpdateParticipant: (_someone, _draw_update),
    M.RemoveParticipant: (_someone, lambda d, sc, p: M.RemoveParticipant(identity=_anyone(d, sc))),
    M.UpdateRoomMetadata: (
        _always,
        lambda d, sc, p: M.UpdateRoomMetadata(metadata=d(_within(sc.config.max_metadata_size))),
    ),
    M.PublishTrack: (lambda sc: bool(_publishable(sc)), _draw_publish),
    M.UnpublishTrack: (lambda sc: bool(sc.tracks), _draw_unpublish),
    M.SetTrackMuted: (lambda sc: bool(sc.tracks), _draw_mute),
    M.MutePublishedTrack: (_someone, _draw_server_mute),
    M.SetSubscribed: (lambda sc: bool(_subscribable(sc)), _draw_subscribed),
    M.UpdateSubscriptions: (_someone, _draw_subscriptions),
    M.SetTrackSubscriptionPermissions: (_someone, _draw_sub_permissions),
    M.SendData: (_always, _draw_data),
    M.SetStreamState: (lambda sc: bool(_streams(sc)), _draw_stream),
    M.SetAudioLevels: (_someone, _draw_levels),
    M.SetConnectionQuality: (_someone, _draw_quality),
    M.Advance: (_always, _draw_advance),
    M.DeleteRoom: (_always, _draw_delete),
}


def families() -> tuple[type[M.Mutation], ...]:
    """The mutation families :func:`mutations` can draw, in ``ALL_MUTATIONS`` order."""
    return tuple(cls for cls in M.ALL_MUTATIONS if cls in _VALID)


def _check_families(chosen: Collection[type[M.Mutation]] | None) -> tuple[type[M.Mutation], ...]:
    if chosen is None:
        return families()
    unknown = [c for c in chosen if c not in _VALID]
    if unknown:
        raise _BadStrategyArgument(
            f"no strategy for {unknown!r}; pick from roomsim.strategies.families()"
        )
    return tuple(c for c in families() if c in chosen)


def _check_pool(pool: Sequence[str]) -> tuple[str, ...]:
    out = tuple(pool)
    if not out or any(type(i) is not str or not i for i in out):
        raise _BadStrategyArgument(f"identities={pool!r} must be non-empty strings")
    return out


def _possible(sc: _Scene, cls: type[M.Mutation]) -> bool:
    if sc.closed and cls is not M.Advance:
        return False  # a closed room refuses everything but time (design §2)
    return _VALID[cls][0](sc)


@st.composite
def _mutation(
    draw: st.DrawFn,
    room: Room | RoomSnapshot,
    chosen: tuple[type[M.Mutation], ...],
    pool: tuple[str, ...],
) -> M.Mutation:
    sc = _scene(room)
    options = [c for c in chosen if _possible(sc, c)]
    if not options:
        return draw(st.nothing())
    cls = _pick(draw, options)
    return _VALID[cls][1](draw, sc, pool)


def mutations(
    room: Room | RoomSnapshot,
    *,
    families: Collection[type[M.Mutation]] | None = None,
    identities: Sequence[str] = DEFAULT_IDENTITIES,
) -> st.SearchStrategy[M.Mutation]:
    """Valid mutations for the room's state at draw time: ``room.apply`` accepts each one.

    ``families`` limits the mutation classes drawn (default: every family in
    :func:`families`); ``identities`` is the pool new participants are named from (a small pool
    makes duplicate joins likely).  Reading the room does not read its clients, so drawing
    leaves lazy delivery alone.  When nothing can be drawn (a closed room without ``Advance``
    among the families), the draw is rejected, as with ``st.nothing()``.
    """
    return _mutation(room, _check_families(families), _check_pool(identities))


# ------------------------------------------------------------------------------------------------
# invalid mutations, each with the error it must raise


@attrs.frozen
class Refusal:
    """An invalid mutation and the error ``room.apply`` must raise for it (or a subclass)."""

    mutation: M.Mutation
    error: type[RoomsimError]


def _absent(draw: st.DrawFn, sc: _Scene, pool: tuple[str, ...]) -> str:
    present = {p.identity for p in sc.people}
    return _pick(draw, [i for i in (*pool, "nobody") if i not in present])


def _over(draw: st.DrawFn, limit: int) -> str:
    return draw(texts_of_size(limit + 1))


def _ungranted(sc: _Scene) -> list[str]:
    return [p.identity for p in sc.people if not p.permission.can_update_metadata]


def _denied_sources(sc: _Scene) -> list[tuple[str, TrackSource]]:
    return [
        (p.identity, s)
        for p in sc.people
        for s in TrackSource
        if not p.permission.can_publish_source(s)
    ]


def _full(sc: _Scene, pool: tuple[str, ...]) -> list[str]:
    cap = sc.config.max_participants
    present = {p.identity for p in sc.people}
    return [i for i in (*pool, "nobody") if i not in present and cap and _counted(sc, i) >= cap]


def _unsubscribed_video(sc: _Scene) -> list[tuple[str, str]]:
    return [
        (p.identity, t.sid)
        for p in sc.people
        for t in sc.tracks
        if t.kind is TrackKind.VIDEO and (p.identity, t.sid) not in sc.subscribed
    ]


def _audio(sc: _Scene) -> list[_Track]:
    return [t for t in sc.tracks if t.kind is TrackKind.AUDIO]


_Make = Callable[[st.DrawFn, _Scene, tuple[str, ...]], M.Mutation]
_Case = tuple[str, type[M.Mutation], _Check, type[RoomsimError], _Make]
_X: Final = "x"

# (what is wrong, when it applies, the error, the mutation): one fault per mutation
_REFUSALS: Final[tuple[_Case, ...]] = (
    (
        "empty identity",
        M.Connect,
        _always,
        InvalidArgument,
        lambda d, sc, p: M.Connect(identity=""),
    ),
    ("identity not a str", M.Connect, _always, InvalidType, lambda d, sc, p: M.Connect(identity=1)),  # type: ignore[arg-type]
    (
        "room metadata not a str",
        M.UpdateRoomMetadata,
        _always,
        InvalidType,
        lambda d, sc, p: M.UpdateRoomMetadata(metadata=None),  # type: ignore[arg-type]
    ),
    ("negative dt", M.Advance, _always, InvalidArgument, lambda d, sc, p: M.Advance(dt=-1.0)),
    ("NaN dt", M.Advance, _always, InvalidArgument, lambda d, sc, p: M.Advance(dt=math.nan)),
    ("dt not a number", M.Advance, _always, InvalidType, lambda d, sc, p: M.Advance(dt="1")),  # type: ignore[arg-type]
    (
        "levels not a mapping",
        M.SetAudioLevels,
        _always,
        InvalidType,
        lambda d, sc, p: M.SetAudioLevels(levels=[0.5]),  # type: ignore[arg-type]
    ),
    (
        "identity over the limit",
        M.Connect,
        lambda sc: bool(sc.config.max_identity_length),
        LimitExceeded,
        lambda d, sc, p: M.Connect(identity=_over(d, sc.config.max_identity_length)),
    ),
    (
        "name claim over the limit",
        M.Connect,
        lambda sc: bool(sc.config.max_name_length),
        LimitExceeded,
        lambda d, sc, p: M.Connect(identity=_X, name=_over(d, sc.config.max_name_length)),
    ),
    (
        "metadata claim over the limit",
        M.Connect,
        lambda sc: bool(sc.config.max_metadata_size),
        LimitExceeded,
        lambda d, sc, p: M.Connect(identity=_X, metadata=_over(d, sc.config.max_metadata_size)),
    ),
    (
        "attribute claims over the limit",
        M.Connect,
        lambda sc: bool(sc.config.max_attributes_size),
        LimitExceeded,
        lambda d, sc, p: M.Connect(
            identity=_X, attributes=d(attribute_maps_of_size(sc.config.max_attributes_size + 1))
        ),
    ),
    (
        "room metadata over the limit",
        M.UpdateRoomMetadata,
        lambda sc: bool(sc.config.max_metadata_size),
        LimitExceeded,
        lambda d, sc, p: M.UpdateRoomMetadata(metadata=_over(d, sc.config.max_metadata_size)),
    ),
    (
        # the server API checks limits before the lookup (server §1): even for nobody
        "server update over the limit, for nobody",
        M.UpdateParticipant,
        lambda sc: bool(sc.config.max_metadata_size),
        LimitExceeded,
        lambda d, sc, p: M.UpdateParticipant(
            identity=_absent(d, sc, p), metadata=_over(d, sc.config.max_metadata_size)
        ),
    ),
    (
        "the room is full",
        M.Connect,
        lambda sc: bool(_full(sc, DEFAULT_IDENTITIES)),
        RoomFull,
        lambda d, sc, p: M.Connect(identity=_pick(d, _full(sc, DEFAULT_IDENTITIES))),
    ),
    (
        "remote unmute is off",
        M.MutePublishedTrack,
        lambda sc: not sc.config.enable_remote_unmute,
        IllegalState,
        lambda d, sc, p: M.MutePublishedTrack(
            identity=_anyone(d, sc),
            track_sid=_pick(d, [t.sid for t in sc.tracks] or ["TR_1"]),
            muted=False,
        ),
    ),
    (
        "activate nobody",
        M.Activate,
        _always,
        UnknownParticipant,
        lambda d, sc, p: M.Activate(identity=_absent(d, sc, p)),
    ),
    (
        "disconnect nobody",
        M.Disconnect,
        _always,
        UnknownParticipant,
        lambda d, sc, p: M.Disconnect(identity=_absent(d, sc, p)),
    ),
    (
        "remove nobody",
        M.RemoveParticipant,
        _always,
        UnknownParticipant,
        lambda d, sc, p: M.RemoveParticipant(identity=_absent(d, sc, p)),
    ),
    (
        "metadata of nobody",
        M.SetMetadata,
        _always,
        UnknownParticipant,
        lambda d, sc, p: M.SetMetadata(identity=_absent(d, sc, p), metadata="m"),
    ),
    (
        "server update of nobody",
        M.UpdateParticipant,
        _always,
        UnknownParticipant,
        lambda d, sc, p: M.UpdateParticipant(identity=_absent(d, sc, p), name="n"),
    ),
    (
        "nobody publishes",
        M.PublishTrack,
        _always,
        UnknownParticipant,
        lambda d, sc, p: M.PublishTrack(
            identity=_absent(d, sc, p), kind=TrackKind.AUDIO, source=TrackSource.MICROPHONE
        ),
    ),
    (
        "nobody sends data",
        M.SendData,
        _always,
        UnknownParticipant,
        lambda d, sc, p: M.SendData(sender=_absent(d, sc, p), data=b"x"),
    ),
    (
        "audio level of nobody",
        M.SetAudioLevels,
        _always,
        UnknownParticipant,
        lambda d, sc, p: M.SetAudioLevels(levels={_absent(d, sc, p): 0.5}),
    ),
    (
        "quality of nobody",
        M.SetConnectionQuality,
        _always,
        UnknownParticipant,
        lambda d, sc, p: M.SetConnectionQuality(
            identity=_absent(d, sc, p), quality=ConnectionQuality.POOR
        ),
    ),
    (
        "attribute value not a str",
        M.SetAttributes,
        _someone,
        InvalidType,
        lambda d, sc, p: M.SetAttributes(identity=_anyone(d, sc), attributes={"k": 1}),  # type: ignore[dict-item]
    ),
    (
        "track kind not a TrackKind",
        M.PublishTrack,
        _someone,
        InvalidType,
        lambda d, sc, p: M.PublishTrack(
            identity=_anyone(d, sc),
            kind="audio",  # type: ignore[arg-type]
            source=TrackSource.CAMERA,
        ),
    ),
    (
        "data not bytes",
        M.SendData,
        _someone,
        InvalidType,
        lambda d, sc, p: M.SendData(sender=_anyone(d, sc), data="text"),  # type: ignore[arg-type]
    ),
    (
        "quality UNKNOWN",
        M.SetConnectionQuality,
        _someone,
        InvalidArgument,
        lambda d, sc, p: M.SetConnectionQuality(
            identity=_anyone(d, sc), quality=ConnectionQuality.UNKNOWN
        ),
    ),
    (
        "audio level out of [0, 1]",
        M.SetAudioLevels,
        _someone,
        InvalidArgument,
        lambda d, sc, p: M.SetAudioLevels(levels={_anyone(d, sc): _pick(d, [1.5, -0.1, math.nan])}),
    ),
    (
        "stream state UNKNOWN",
        M.SetStreamState,
        _someone,
        InvalidArgument,
        lambda d, sc, p: M.SetStreamState(
            identity=_anyone(d, sc), track_sid="TR_1", state=StreamState.UNKNOWN
        ),
    ),
    (
        "unpublish an unknown track",
        M.UnpublishTrack,
        _someone,
        UnknownTrack,
        lambda d, sc, p: M.UnpublishTrack(identity=_anyone(d, sc), track_sid="TR_999"),
    ),
    (
        "mute an unknown track",
        M.SetTrackMuted,
        _someone,
        UnknownTrack,
        lambda d, sc, p: M.SetTrackMuted(identity=_anyone(d, sc), track_sid="TR_999", muted=True),
    ),
    (
        "subscribe to an unknown track",
        M.UpdateSubscriptions,
        _someone,
        UnknownTrack,
        lambda d, sc, p: M.UpdateSubscriptions(
            identity=_anyone(d, sc), track_sids=("TR_999",), subscribe=True
        ),
    ),
    (
        "stream state of an unknown track",
        M.SetStreamState,
        _someone,
        UnknownTrack,
        lambda d, sc, p: M.SetStreamState(
            identity=_anyone(d, sc), track_sid="TR_999", state=StreamState.PAUSED
        ),
    ),
    (
        "subscribe to nobody's track",
        M.SetSubscribed,
        _someone,
        UnknownParticipant,
        lambda d, sc, p: M.SetSubscribed(
            identity=_anyone(d, sc), publisher=_absent(d, sc, p), track_sid="TR_1", subscribed=True
        ),
    ),
    (
        "rename without the grant",
        M.SetName,
        lambda sc: bool(_ungranted(sc)),
        PermissionDenied,
        lambda d, sc, p: M.SetName(identity=_pick(d, _ungranted(sc)), name="n"),
    ),
    (
        "metadata without the grant",
        M.SetMetadata,
        lambda sc: bool(_ungranted(sc)),
        PermissionDenied,
        lambda d, sc, p: M.SetMetadata(identity=_pick(d, _ungranted(sc)), metadata="m"),
    ),
    (
        "attributes without the grant",
        M.SetAttributes,
        lambda sc: bool(_ungranted(sc)),
        PermissionDenied,
        lambda d, sc, p: M.SetAttributes(identity=_pick(d, _ungranted(sc)), attributes={"k": "v"}),
    ),
    (
        "own name over the limit",
        M.SetName,
        lambda sc: bool(_granted(sc)) and bool(sc.config.max_name_length),
        LimitExceeded,
        lambda d, sc, p: M.SetName(
            identity=_pick(d, _granted(sc)), name=_over(d, sc.config.max_name_length)
        ),
    ),
    (
        "own attributes over the limit",
        M.SetAttributes,
        lambda sc: bool(_granted(sc)) and bool(sc.config.max_attributes_size),
        LimitExceeded,
        lambda d, sc, p: M.SetAttributes(
            identity=_pick(d, _granted(sc)),
            attributes=d(attribute_maps_of_size(sc.config.max_attributes_size + 1)),
        ),
    ),
    (
        "publish a source not granted",
        M.PublishTrack,
        lambda sc: bool(_denied_sources(sc)),
        PermissionDenied,
        lambda d, sc, p: (
            lambda o: M.PublishTrack(identity=o[0], kind=TrackKind.VIDEO, source=o[1])
        )(_pick(d, _denied_sources(sc))),
    ),
    (
        "toggle hidden",
        M.UpdateParticipant,
        _someone,
        IllegalState,
        lambda d, sc, p: (
            lambda q: M.UpdateParticipant(
                identity=q.identity, permission=Permission(hidden=not q.permission.hidden)
            )
        )(_pick(d, sc.people)),
    ),
    (
        "subscribe to itself",
        M.SetSubscribed,
        lambda sc: any(not q.permission.hidden for q in sc.people),
        InvalidArgument,
        lambda d, sc, p: (
            lambda i: M.SetSubscribed(identity=i, publisher=i, track_sid="TR_1", subscribed=True)
        )(_pick(d, [q.identity for q in sc.people if not q.permission.hidden])),
    ),
    (
        "subscribe to a hidden publisher",
        M.SetSubscribed,
        lambda sc: any(q.permission.hidden for q in sc.people),
        UnknownParticipant,
        lambda d, sc, p: M.SetSubscribed(
            identity=_anyone(d, sc),
            publisher=_pick(d, [q.identity for q in sc.people if q.permission.hidden]),
            track_sid="TR_1",
            subscribed=True,
        ),
    ),
    (
        "server-subscribe to its own track",
        M.UpdateSubscriptions,
        lambda sc: bool(sc.tracks),
        InvalidArgument,
        lambda d, sc, p: (
            lambda t: M.UpdateSubscriptions(identity=t.owner, track_sids=(t.sid,), subscribe=True)
        )(_pick(d, sc.tracks)),
    ),
    (
        "stream state of an audio track",
        M.SetStreamState,
        lambda sc: bool(_audio(sc)),
        InvalidArgument,
        lambda d, sc, p: M.SetStreamState(
            identity=_anyone(d, sc), track_sid=_pick(d, _audio(sc)).sid, state=StreamState.PAUSED
        ),
    ),
    (
        "stream state of a video track not subscribed",
        M.SetStreamState,
        lambda sc: bool(_unsubscribed_video(sc)),
        IllegalState,
        lambda d, sc, p: (
            lambda o: M.SetStreamState(identity=o[0], track_sid=o[1], state=StreamState.PAUSED)
        )(_pick(d, _unsubscribed_video(sc))),
    ),
)


@st.composite
def _refusal(
    draw: st.DrawFn,
    room: Room | RoomSnapshot,
    chosen: tuple[type[M.Mutation], ...],
    pool: tuple[str, ...],
) -> Refusal:
    sc = _scene(room)
    if sc.closed:
        # a closed room refuses everything but time (design §2)
        opened = attrs.evolve(sc, closed=False)
        options = [c for c in chosen if c is not M.Advance and _VALID[c][0](opened)]
        if not options:
            return draw(st.nothing())
        cls = _pick(draw, options)
        return Refusal(mutation=_VALID[cls][1](draw, opened, pool), error=RoomClosed)
    cases = [case for case in _REFUSALS if case[1] in chosen and case[2](sc)]
    if not cases:
        return draw(st.nothing())
    _what, _cls, _when, error, make = _pick(draw, cases)
    return Refusal(mutation=make(draw, sc, pool), error=error)


def invalid_mutations(
    room: Room | RoomSnapshot,
    *,
    families: Collection[type[M.Mutation]] | None = None,
    identities: Sequence[str] = DEFAULT_IDENTITIES,
) -> st.SearchStrategy[Refusal]:
    """Invalid mutations for the room's state at draw time, each as a :class:`Refusal`.

    Each mutation has exactly one thing wrong with it (a wrong type, a size one byte over a
    limit, an unknown identity or sid, a missing grant, a wrong state), so ``room.apply`` must
    raise ``refusal.error`` (or a subclass) and change nothing (design §1 atomicity).
    ``families`` limits the mutation classes drawn, as for :func:`mutations`.

    >>> import pytest
    >>> from hypothesis import given, strategies as st
    >>> from roomsim import Room
    >>> from roomsim.strategies import invalid_mutations
    >>> @given(st.data())
    ... def test_refusals_change_nothing(data):
    ...     room = Room("r")
    ...     room.connect("alice")
    ...     refusal = data.draw(invalid_mutations(room))
    ...     before = room.snapshot()
    ...     with pytest.raises(refusal.error):
    ...         room.apply(refusal.mutation)
    ...     assert room.snapshot() == before
    >>> test_refusals_change_nothing()
    """
    return _refusal(room, _check_families(families), _check_pool(identities))


def _family_possible(room: Room | RoomSnapshot, cls: type[M.Mutation]) -> bool:
    """Whether a valid mutation of this family can be drawn now (for the state machine)."""
    return cls in _VALID and _possible(_scene(room), cls)
