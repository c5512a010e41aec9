"""Input checks shared by every mutation; each raises before anything changes."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from roomsim.errors import InvalidArgument, InvalidType, LimitExceeded

_E = TypeVar("_E", bound=enum.Enum)
_PLAIN_MAPS = (dict, MappingProxyType)


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


def check_str(v: Any, what: str) -> str:
    if type(v) is not str:
        raise InvalidType(f"{what} must be a str, got {v!r} (type {typename(v)})")
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
        raise InvalidType(f"{what} must be a bool, got {v!r} (type {typename(v)})")
    return v


def check_enum(v: Any, cls: type[_E], what: str) -> _E:
    if not isinstance(v, cls):
        members = ", ".join(f"{cls.__name__}.{m.name}" for m in cls)
        raise InvalidType(
            f"{what} must be a {cls.__name__} ({members}), got {v!r} (type {typename(v)})"
        )
    return v


def check_identity(v: Any, what: str = "identity") -> str:
    s = check_str(v, what)
    if not s:
        raise InvalidArgument(f"{what} must be a non-empty str, got ''")
    return s


def check_attributes(v: Any, what: str) -> Mapping[str, str]:
    if type(v) not in _PLAIN_MAPS and not isinstance(v, Mapping):
        raise InvalidType(f"{what} must be a mapping of str to str, got {v!r} (type {typename(v)})")
    for k, val in v.items():
        if type(k) is not str:
            raise InvalidType(f"{what} has a key {k!r} of type {typename(k)}; keys must be str")
        if type(val) is not str:
            raise InvalidType(
                f"{what}[{k!r}] is {val!r} (type {typename(val)}); values must be str "
                "(use '' to delete a key)"
            )
        if not k.isascii():
            _check_utf8(k, f"{what} key")
        if not val.isascii():
            _check_utf8(val, f"{what}[{k!r}]")
    checked: Mapping[str, str] = v
    return checked


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


def check_finite_nonneg(v: Any, what: str) -> float:
    """A number of seconds: int or float (not bool), finite, >= 0; returned as a float."""
    if type(v) not in (int, float):
        raise InvalidType(
            f"{what} takes a number of seconds (int or float), got {v!r} (type {typename(v)})"
        )
    try:
        f = float(v)
    except OverflowError:
        f = float("inf")
    if not math.isfinite(f):
        raise InvalidArgument(f"{what} must be a finite number of seconds >= 0, got {v!r}")
    if f < 0:
        raise InvalidArgument(
            f"{what} must be a finite number of seconds >= 0, got {v!r}; virtual time only "
            "moves forward"
        )
    return f
