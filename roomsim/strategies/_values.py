"""Attribute maps and permission sets, within (and exactly at) LiveKit's limits."""

from __future__ import annotations

import itertools

from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument as BadStrategyArgument

from roomsim.model import Permission, TrackSource
from roomsim.strategies._text import (
    CHARS,
    check_size,
    texts_of_size,
    utf8_len,
)

__all__ = ["attribute_maps", "attribute_maps_of_size", "permissions"]


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
        check_size("max_bytes", max_bytes)
    check_size("max_entries", max_entries)
    if keys is None:
        keys = st.one_of(
            st.sampled_from(["role", "mood", "hand", "lang", "é"]), st.text(CHARS, min_size=1)
        )
    if values is None:
        values = st.one_of(
            st.sampled_from(["", "host", "guest", "up", "ü" * 3]), st.text(CHARS, max_size=12)
        )
    if not allow_deletes:
        values = values.filter(bool)
    maps = st.dictionaries(keys, values, max_size=max_entries)
    if max_bytes is None:
        return maps
    limit = max_bytes
    return maps.filter(lambda a: sum(utf8_len(k) + utf8_len(v) for k, v in a.items()) <= limit)


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
    check_size("nbytes", nbytes)
    check_size("max_entries", max_entries, minimum=1)
    return _sized_map(nbytes, max_entries)


def permissions(*, hidden: bool | None = False) -> st.SearchStrategy[Permission]:
    """Complete permission sets; shrinks towards the token defaults ``Permission()``.

    ``hidden=None`` draws the hidden flag too; the default keeps it False, because roomsim
    refuses to toggle it on a connected participant (design §2).
    """
    if hidden is not None and type(hidden) is not bool:
        raise BadStrategyArgument(f"hidden={hidden!r} must be True, False or None")
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
