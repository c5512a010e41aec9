"""Events and values as short, readable text (the demo's lines, mismatch reports)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

import attrs

from roomsim.events import Event
from roomsim.model import Permission

__all__ = ["format_event", "format_value"]


def format_value(v: Any) -> str:
    if isinstance(v, Enum):
        return v.name
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{k}: {format_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, tuple):
        return "[" + ", ".join(format_value(x) for x in v) + "]"
    if isinstance(v, Permission):
        on = [f.name for f in attrs.fields(Permission) if getattr(v, f.name) is True]
        return "Permission(" + ",".join(on) + ")"
    return repr(v)


def format_event(time: float, recipient: str, e: Event) -> str:
    fields = " ".join(f"{f.name}={format_value(getattr(e, f.name))}" for f in attrs.fields(type(e)))
    return f"{time:8.3f}  {recipient:<8} {e.name:<40} {fields}".rstrip()
