"""Doctest collection for the Markdown docs: the page that drives a real ``livekit.rtc.Room``
needs the ``livekit`` extra, so it is skipped where that is not installed."""

from __future__ import annotations

import importlib.util

collect_ignore_glob: list[str] = []
if importlib.util.find_spec("livekit") is None:
    collect_ignore_glob.append("howto/livekit.md")
