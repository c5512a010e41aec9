"""Shape checks: a value of the right type and form, whatever the room's state.

Each check takes the value and a label for the message ("connect(name=...)") and returns the
value to keep: maps and sequences come back as frozen copies, so what was checked is what is
committed and logged, whatever the caller does with its own object afterwards.  Messages follow
one form: "<label> must be <what>, got <value> (type <type>)", with values shown by ``show``,
which never raises.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from roomsim.errors import InvalidArgument, InvalidType, LimitExceeded, RoomsimError

_E = TypeVar("_E", bound=enum.Enum)
_T = TypeVar("_T")
_C = TypeVar("_C", bound=Callable[..., Any])


def nbytes(s: str) -> int:
    """The size LiveKit measures: UTF-8 bytes (Go ``len(string)``)."""
    return len(s) if s.isascii() else len(s.encode("utf-8", "surrogatepass"))


def _check_utf8(v: str, what: str) -> None:
    try:
        v.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InvalidArgument(
            f"{what} is not valid UTF-8 (a lone surrogate {v[e.start]!r} at index {e.start}); "
            "LiveKit strings are UTF-8: pass text without unpaired surrogates"
        ) from None


def typename(v: Any) -> str:
    return type(v).__name__


def show(v: Any, limit: int = 200) -> str:
    """``repr(v)`` for a message, cut to ``limit`` characters; a value whose ``repr`` raises
    is shown by its type (error messages never raise)."""
    try:
        text = repr(v)
    except Exception:  # a hostile value's own __repr__
        return f"<{typename(v)} object>"
    if type(text) is not str:  # a __repr__ that returns something else
        return f"<{typename(v)} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(v: Any) -> str:
    """A value and its type, for a message: ``'x' (type str)``."""
    return f"{show(v)} (type {typename(v)})"


def wrong_type(what: str, expected: str, v: Any) -> InvalidType:
    """The one message for a value of the wrong type."""
    return InvalidType(f"{what} must be {expected}, got {show(v)} (type {typename(v)})")


def check_str(v: Any, what: str) -> str:
    if type(v) is not str:
        raise wrong_type(what, "a str", v)
    if not v.isascii():
        _check_utf8(v, what)
    return v


def data_bytes(data: Any) -> Any:
    """``send_data`` takes bytes or text; text is sent as UTF-8 (other types are refused by
    ``Room.apply`` with a clear message)."""
    if isinstance(data, str):
        return check_str(data, "send_data(data=...)").encode("utf-8")
    return data


def check_opt_str(v: Any, what: str) -> str | None:
    if v is None:
        return None
    return check_str(v, what)


def check_bool(v: Any, what: str) -> bool:
    if type(v) is not bool:
        raise wrong_type(what, "a bool", v)
    return v


def check_enum(v: Any, cls: type[_E], what: str) -> _E:
    if not isinstance(v, cls):
        members = ", ".join(f"{cls.__name__}.{m.name}" for m in cls)
        raise wrong_type(what, f"a {cls.__name__} ({members})", v)
    return v


def check_identity(v: Any, what: str = "identity") -> str:
    s = check_str(v, what)
    if not s:
        raise InvalidArgument(f"{what} must be a non-empty str, got ''")
    return s


def _copy_map(v: Any, what: str, expected: str) -> dict[Any, Any]:
    """One read of a caller's mapping into a plain dict (checked and kept from then on);
    ``expected`` completes "<what> ..." when it is not a mapping."""
    if type(v) is dict:
        return v.copy()
    if type(v) is MappingProxyType:
        copy = v.copy()  # a copy of the proxy's target: a plain dict when it wraps one
        if type(copy) is dict:
            return copy
    if not isinstance(v, Mapping):
        raise InvalidType(f"{what} {expected}, got {show(v)} (type {typename(v)})")
    try:
        return dict(v.items())
    except RoomsimError:
        raise
    except Exception as e:  # a mapping that fails while it is read
        raise InvalidArgument(
            f"{what} could not be read as a mapping ({typename(e)}: {show(e)}); pass a dict"
        ) from None


def check_attributes(v: Any, what: str) -> Mapping[str, str]:
    """A map of str to str: a frozen copy, each key and value checked."""
    copy = _copy_map(v, what, "must be a mapping of str to str")
    for k, val in copy.items():
        if type(k) is str and type(val) is str and k.isascii() and val.isascii():
            continue  # the common case, checked at once
        if type(k) is not str:
            raise InvalidType(f"{what} has a key {show(k)} of type {typename(k)}; keys must be str")
        if type(val) is not str:
            raise InvalidType(
                f"{what}[{show(k)}] is {show(val)} (type {typename(val)}); values must be str "
                "(use '' to delete a key)"
            )
        if not k.isascii():
            _check_utf8(k, f"{what} key")
        if not val.isascii():
            _check_utf8(val, f"{what}[{show(k)}]")
    return MappingProxyType(copy)


def check_opt_attributes(v: Any, what: str) -> Mapping[str, str] | None:
    return None if v is None else check_attributes(v, what)


def check_opt_bool(v: Any, what: str) -> bool | None:
    return None if v is None else check_bool(v, what)


def check_str_tuple(v: Any, what: str, expected: str = "a tuple of str") -> tuple[str, ...]:
    """A tuple (or list) of str: a tuple copy, each entry checked."""
    if not isinstance(v, tuple | list):
        raise wrong_type(what, expected, v)
    out = tuple(v)
    for entry in out:
        check_str(entry, f"{what} entry")
    return out


def check_identity_tuple(v: Any, what: str) -> tuple[str, ...]:
    return check_str_tuple(v, what, "a tuple of identities")


def check_instance(cls: type[_T]) -> Callable[[Any, str], _T]:
    """A check that the value is a ``cls``."""

    def check(v: Any, what: str) -> _T:
        if not isinstance(v, cls):
            raise wrong_type(what, f"a {cls.__name__}", v)
        return v

    return _with_fast(check, "type(v) is {T}", cls)


def check_opt_instance(cls: type[_T]) -> Callable[[Any, str], _T | None]:
    check = check_instance(cls)
    return _with_fast(
        lambda v, what: None if v is None else check(v, what), "v is None or type(v) is {T}", cls
    )


def check_enum_of(cls: type[_E]) -> Callable[[Any, str], _E]:
    return _with_fast(lambda v, what: check_enum(v, cls, what), "type(v) is {T}", cls)


def check_enum_tuple(cls: type[_E]) -> Callable[[Any, str], tuple[_E, ...]]:
    """A tuple (or list) of ``cls`` members: a tuple copy."""

    def check(v: Any, what: str) -> tuple[_E, ...]:
        if not isinstance(v, tuple | list):
            raise wrong_type(what, f"a tuple of {cls.__name__}", v)
        out = tuple(v)
        for entry in out:
            check_enum(entry, cls, f"{what} entry")
        return out

    return check


def check_data(v: Any, what: str) -> bytes:
    if type(v) is not bytes:
        raise wrong_type(what, "bytes or str", v)
    return v


def check_allowed(v: Any, what: str) -> Mapping[str, tuple[str, ...] | None]:
    """identity -> the track sids it may receive (a tuple of str) or None (all): a copy."""
    copy = _copy_map(v, what, "must map identities to a tuple of track sids or None")
    out: dict[str, tuple[str, ...] | None] = {}
    for ident, sids in copy.items():
        check_identity(ident, f"{what} key")
        if sids is None:
            out[ident] = None
            continue
        if not isinstance(sids, tuple | list):
            raise InvalidType(
                f"{what}[{show(ident)}] must be a tuple of track sids or None (all tracks), "
                f"got {show(sids)} (type {typename(sids)})"
            )
        out[ident] = check_str_tuple(sids, f"{what}[{show(ident)}]")
    return MappingProxyType(out)


def check_levels(v: Any, what: str) -> Mapping[str, float]:
    """identity -> a linear audio level in [0, 1]: a copy with float levels."""
    copy = _copy_map(v, what, "takes a mapping of identity to a level in [0, 1]")
    out: dict[str, float] = {}
    for identity, level in copy.items():
        check_identity(identity, f"{what} key")
        if type(level) not in (int, float):
            raise InvalidType(
                f"the audio level of {show(identity)} must be a number in [0, 1], got "
                f"{show(level)} (type {typename(level)})"
            )
        if not (0.0 <= level <= 1.0):  # also refuses NaN
            raise InvalidArgument(
                f"the audio level of {show(identity)} must be linear in [0, 1] (1 is loudest; "
                f"the speaking threshold is about 0.0178), got {show(level)}"
            )
        out[identity] = float(level)
    return MappingProxyType(out)


def attributes_size(attrs: Mapping[str, str]) -> int:
    """LiveKit's measure: the sum of ``len(key) + len(value)`` in UTF-8 bytes."""
    total = 0
    for k, v in attrs.items():
        total += (len(k) if k.isascii() else nbytes(k)) + (len(v) if v.isascii() else nbytes(v))
    return total


def check_limit(size: int, limit: int, what: str, setting: str, code: str) -> None:
    if limit and size > limit:
        raise LimitExceeded(
            f"{what} is {size} bytes (UTF-8), over the limit of {limit}; shorten it, or raise "
            f"RoomConfig.{setting}",
            code=code,
        )


#: the LiveKit client protocols an SDK may advertise: 0 (legacy), 1 or 2 (current SDKs)
CLIENT_PROTOCOLS = frozenset({0, 1, 2})


def check_client_protocol(v: Any, what: str) -> int:
    """A LiveKit client protocol an SDK advertises (one of ``CLIENT_PROTOCOLS``)."""
    if type(v) is not int:
        raise InvalidType(f"{what} takes an int (0, 1 or 2), got {show(v)} (type {typename(v)})")
    if v not in CLIENT_PROTOCOLS:
        raise InvalidArgument(
            f"{what} must be 0 (a legacy SDK), 1 or 2 (current SDKs advertise 2), got {v!r}"
        )
    return v


def check_finite_nonneg(v: Any, what: str) -> float:
    """A number of seconds: int or float (not bool), finite, >= 0; returned as a float."""
    if type(v) not in (int, float):
        raise InvalidType(
            f"{what} takes a number of seconds (int or float), got {show(v)} (type {typename(v)})"
        )
    try:
        f = float(v)
    except OverflowError:
        f = float("inf")
    if not math.isfinite(f):
        raise InvalidArgument(f"{what} must be a finite number of seconds >= 0, got {show(v)}")
    if f < 0:
        raise InvalidArgument(
            f"{what} must be a finite number of seconds >= 0, got {show(v)}; virtual time only "
            "moves forward"
        )
    return f


# --------------------------------------------------------------------------------------------
# fast paths: a condition under which a check would return its value unchanged


#: check -> (a Python condition on ``v``, the class it names as ``{T}`` or None); when the
#: condition holds, the check would return ``v`` itself, so a generated checker
#: (``mutations.Mutation.checked``) skips the call; otherwise it calls the check
FAST_PATHS: dict[Callable[..., Any], tuple[str, type | None]] = {
    check_str: ("type(v) is str and v.isascii()", None),
    check_opt_str: ("v is None or (type(v) is str and v.isascii())", None),
    check_identity: ("type(v) is str and v != '' and v.isascii()", None),
    check_bool: ("type(v) is bool", None),
    check_opt_bool: ("v is None or type(v) is bool", None),
    check_data: ("type(v) is bytes", None),
    # a float is returned as itself (float(f) is f); NaN fails ``v >= 0.0``
    check_finite_nonneg: ("type(v) is float and 0.0 <= v < math.inf", None),
}


def _with_fast(check: _C, condition: str, cls: type) -> _C:
    FAST_PATHS[check] = (condition, cls)
    return check
