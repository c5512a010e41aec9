"""Text measured the way LiveKit measures it, in UTF-8 bytes (server §1)."""

from __future__ import annotations

from typing import Any, Final

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument as BadStrategyArgument

__all__ = ["identities", "texts_of_size", "utf8_texts"]

# one code point range per UTF-8 width, without controls and surrogates
_RANGES: Final = {1: (0x21, 0x7E), 2: (0xA1, 0x7FF), 3: (0x800, 0xD7FF), 4: (0x10000, 0x10FFFF)}
CHARS: Final = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))


def utf8_len(s: str) -> int:
    return len(s.encode("utf-8"))


def truncate(s: str, max_bytes: int) -> str:
    out, n = [], 0
    for ch in s:
        w = utf8_len(ch)
        if n + w > max_bytes:
            break
        out.append(ch)
        n += w
    return "".join(out)


def check_size(name: str, value: Any, *, minimum: int = 0) -> None:
    if type(value) is not int or value < minimum:
        raise BadStrategyArgument(f"{name}={value!r} must be an int >= {minimum}")


@st.composite
def _exact(draw: st.DrawFn, nbytes: int) -> str:
    prefix = truncate(draw(st.text(CHARS, max_size=min(nbytes, 6))), nbytes)
    rest = nbytes - utf8_len(prefix)
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
    check_size("nbytes", nbytes)
    return _exact(nbytes)


def utf8_texts(*, min_bytes: int = 0, max_bytes: int = 64) -> st.SearchStrategy[str]:
    """Strings whose UTF-8 size lies in ``[min_bytes, max_bytes]``; both ends are drawn often.

    Sizes are drawn near ``min_bytes`` and at both ends, so ``utf8_texts(max_bytes=limit)`` hits
    a limit exactly, and ``texts_of_size(limit + 1)`` is just over it.
    """
    check_size("min_bytes", min_bytes)
    check_size("max_bytes", max_bytes, minimum=min_bytes)
    sizes = st.one_of(
        st.integers(min_bytes, min(max_bytes, min_bytes + 16)),
        st.sampled_from(sorted({min_bytes, max_bytes})),
    )
    return sizes.flatmap(_exact)


def identities(*, max_bytes: int = 256) -> st.SearchStrategy[str]:
    """Participant identities: non-empty, within ``max_bytes`` UTF-8 bytes (LiveKit: 256).

    Mostly short and often non-ASCII; sometimes exactly ``max_bytes`` long.
    """
    check_size("max_bytes", max_bytes, minimum=1)
    short = st.text(CHARS, min_size=1, max_size=12).map(lambda s: truncate(s, max_bytes))
    return st.one_of(short.filter(bool), texts_of_size(max_bytes))
