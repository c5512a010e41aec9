"""Drawing a TimelineData with matplotlib, and saving figures."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from roomsim.errors import InvalidArgument
from roomsim.model import ConnectionQuality
from roomsim.room import Room
from roomsim.timeline._data import (
    MAX_LANES,
    Lane,
    Moment,
    TimelineData,
    timeline_data,
)

# --------------------------------------------------------------------------------------------
# drawing

_SESSION = {"STANDARD": "#9ecae1", "AGENT": "#c6b4e0", "HIDDEN": "#d9d9d9"}
_QUALITY: Final[Mapping[str, str]] = {
    ConnectionQuality.EXCELLENT.name: "#2ca02c",
    ConnectionQuality.GOOD.name: "#bcbd22",
    ConnectionQuality.POOR.name: "#ff7f0e",
    ConnectionQuality.LOST.name: "#d62728",
}
_MARKS: Final[Mapping[str, tuple[str, str]]] = {
    "attributes": ("D", "#8c564b"),
    "metadata": ("s", "#e377c2"),
    "name": ("^", "#17becf"),
    "permissions": ("P", "#7f7f7f"),
}
_TRACK = {"AUDIO": "#1f77b4", "VIDEO": "#9467bd"}

if TYPE_CHECKING:
    from matplotlib.figure import Figure


_AXES: Final = ("auto", "time", "steps")


def _x_of(data: TimelineData, axis: str) -> Callable[[Moment], float]:
    """Where a moment goes on the x axis: its virtual time, or (``steps``) its mutation's
    column, an ``Advance`` spreading what its timers did over its column."""
    if axis == "time":
        return lambda m: m.time
    steps = data.steps

    def x(m: Moment) -> float:
        if not steps:
            return 0.0
        before, after = steps[min(m.step, len(steps) - 1)]
        frac = (m.time - before) / (after - before) if after > before else 0.5
        return m.step + min(max(frac, 0.0), 1.0)

    return x


def timeline(
    room: Room | TimelineData, *, max_lanes: int = MAX_LANES, axis: str = "auto"
) -> Figure:
    """The room's session as a matplotlib ``Figure``: one lane per participant (needs the
    ``plot`` extra).

    In each lane: the session bar (white while joined but not yet active), speaking spans on it
    (green), the connection quality under it (a coloured strip, labelled where it changes), one
    thin bar per published track above it (blue audio, purple video; hatched while muted), and
    marks for attribute, metadata, name and permission changes.  Data are red arrows from the
    sender's lane to each recipient's.  The top lane is the room's (metadata, closing).  A room
    with more than ``max_lanes`` participants shows its busiest ones and one lane with how many
    were in the room.

    ``axis``: ``"time"`` puts virtual seconds on the x axis; ``"steps"`` gives each mutation of
    ``room.log`` a column (so what happens at one virtual instant is spread out; an ``Advance``
    spreads its timers over its column) and labels the columns with their time; ``"auto"``
    chooses ``"steps"`` when the whole session happens at one virtual instant.
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    if axis not in _AXES:
        raise InvalidArgument(f"axis is one of {', '.join(_AXES)}, got {axis!r}")
    data = room if isinstance(room, TimelineData) else timeline_data(room, max_lanes=max_lanes)
    if axis == "auto":
        axis = "steps" if data.end.time <= data.start.time else "time"
    x = _x_of(data, axis)
    x0 = x(data.start) if axis == "time" else 0.0
    x1 = x(data.end) if axis == "time" else float(len(data.steps))
    x1 = max(x1, x0 + 1e-9)
    lanes = list(data.lanes)
    rows = len(lanes) + (1 if data.others else 0) + 1  # + the room's lane
    fig = Figure(figsize=(12, 1.8 + 0.55 * rows), layout="constrained")
    ax = fig.add_subplot()
    y_of: dict[str, float] = {}
    labels = [f"room {data.room!r}"]
    ax.axhline(0, color="#bbbbbb", linewidth=0.8, zorder=0)
    for mk in data.room_marks:
        marker = "X" if mk.kind == "room closed" else "*"
        ax.plot(
            [x(mk.at)],
            [0],
            marker=marker,
            color="black",
            markersize=9,
            zorder=4,
            gid=f"room-mark:{mk.kind}",
        )
        ax.annotate(
            _short(mk.label), (x(mk.at), 0), xytext=(4, 6), textcoords="offset points", fontsize=7
        )
    for i, lane in enumerate(lanes, start=1):
        y_of[lane.identity] = float(i)
        tag = " (hidden)" if lane.hidden else (" (agent)" if lane.kind == "AGENT" else "")
        labels.append(lane.identity + tag)
        _draw_lane(ax, lane, float(i), x, x1)
    if data.others:
        y = float(len(lanes) + 1)
        labels.append(f"+{len(data.others)} others (how many in the room)")
        xs = [x(m) for m, _ in data.population] + [x1]
        ns = [n for _, n in data.population]
        top = max(ns) or 1
        for a, b, n in zip(xs, xs[1:], ns, strict=False):
            h = 0.6 * n / top
            ax.fill_between([a, b], y + 0.3 - h, y + 0.3, color="#bdbdbd", linewidth=0)
        ax.annotate(f"max {top}", (x0, y), xytext=(2, 0), textcoords="offset points", fontsize=7)
    for arrow in data.arrows:
        if arrow.sender is not None and arrow.sender not in y_of:
            continue
        y0 = 0.0 if arrow.sender is None else y_of[arrow.sender]  # the server: the room's lane
        ax_x = x(arrow.at)
        for r in arrow.recipients:
            if r in y_of:
                ax.annotate(
                    "",
                    xy=(ax_x, y_of[r]),
                    xytext=(ax_x, y0),
                    arrowprops={"arrowstyle": "->", "color": "#d62728", "linewidth": 1.0},
                    gid=f"data:{arrow.sender or 'server'}->{r}",
                )
        ax.annotate(
            _short(arrow.label),
            (ax_x, y0),
            xytext=(4, -11),
            textcoords="offset points",
            fontsize=7,
            color="#d62728",
        )
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.4, -0.6)
    ax.set_xlim(x0, x1 + (x1 - x0) * 0.02)
    if axis == "time":
        ax.set_xlabel("virtual time (s)")
    else:
        steps = data.steps

        def label(pos: float, _: Any) -> str:
            i = int(pos)
            if not 0 <= i < len(steps):
                return ""
            return f"#{i}\n{steps[i][0]:g} s"

        ax.xaxis.set_major_locator(MaxNLocator(nbins=20, integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(label))
        ax.set_xlabel("mutations of room.log, one column each (#number, virtual time)")
    ax.grid(axis="x", color="#eeeeee")
    ax.set_axisbelow(True)
    ax.set_title(
        f"room {data.room!r}: {len(lanes) + len(data.others)} participants, "
        f"{len(data.steps)} mutations, {data.start.time:g}-{data.end.time:g} s",
        loc="left",
    )
    handles = [
        Patch(color=_SESSION["STANDARD"], label="in the room (active)"),
        Patch(facecolor="white", edgecolor="#777777", label="joined, not yet active"),
        Patch(color=_SPEAKING, label="speaking"),
        Patch(color=_TRACK["AUDIO"], label="audio track"),
        Patch(color=_TRACK["VIDEO"], label="video track"),
        Patch(facecolor="white", edgecolor="#333333", hatch="////", label="track muted"),
        *(
            Line2D([], [], marker=m, color=c, linestyle="", label=f"{k} changed")
            for k, (m, c) in _MARKS.items()
        ),
        Line2D([], [], color="#d62728", marker=">", label="data sent"),
        *(Patch(color=c, label=f"quality {q.lower()}") for q, c in _QUALITY.items()),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=6, fontsize=8, frameon=False)
    return fig


_SPEAKING: Final = "#31a354"


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _draw_lane(ax: Any, lane: Lane, y: float, x: Callable[[Moment], float], end: float) -> None:
    colour = _SESSION.get("HIDDEN" if lane.hidden else lane.kind, _SESSION["STANDARD"])
    thin = 1e-9

    def at(m: Moment | None, default: float) -> float:
        return x(m) if m is not None else default

    for s in lane.sessions:
        joined, left = x(s.joined), at(s.left, end)
        active = at(s.active, left)
        if active > joined:
            ax.broken_barh(
                [(joined, active - joined)],
                (y - 0.18, 0.3),
                facecolors="white",
                edgecolors="#777777",
                gid=f"joining:{lane.identity}",
            )
        if s.active is not None:
            ax.broken_barh(
                [(active, max(left - active, thin))],
                (y - 0.18, 0.3),
                facecolors=colour,
                gid=f"session:{lane.identity}",
            )
        if s.left is not None:
            ax.plot([left], [y - 0.03], marker="|", color="#333333", markersize=12)
    gone = at(lane.sessions[-1].left if lane.sessions else None, end)
    if lane.speaking:
        spans = [(x(a), max(at(b, gone) - x(a), thin)) for a, b in lane.speaking]
        ax.broken_barh(
            spans, (y - 0.18, 0.3), facecolors=_SPEAKING, gid=f"speaking:{lane.identity}"
        )
    # connection quality: a strip under the session bar, labelled where it changes
    for k, (m, q) in enumerate(lane.quality):
        until = x(lane.quality[k + 1][0]) if k + 1 < len(lane.quality) else gone
        ax.broken_barh(
            [(x(m), max(until - x(m), 0.0))],
            (y + 0.14, 0.06),
            facecolors=_QUALITY[q],
            gid=f"quality:{lane.identity}:{q}",
        )
        if k:
            ax.annotate(
                q.lower(),
                (x(m), y + 0.2),
                xytext=(2, -7),
                textcoords="offset points",
                fontsize=6.5,
                color=_QUALITY[q],
            )
    # tracks: thin bars above the session bar (the first three)
    for k, tr in enumerate(lane.tracks[:3]):
        ty = y - 0.24 - 0.08 * k
        start, until = x(tr.published), at(tr.unpublished, gone)
        colour = _TRACK.get(tr.kind, "#555555")
        ax.broken_barh(
            [(start, max(until - start, thin))],
            (ty - 0.03, 0.06),
            facecolors=colour,
            gid=f"track:{lane.identity}:{tr.sid}",
        )
        for a, b in tr.muted:
            ax.broken_barh(
                [(x(a), max(at(b, until) - x(a), thin))],
                (ty - 0.03, 0.06),
                facecolors="white",
                edgecolors=colour,
                hatch="////",
                linewidth=0.5,
                gid=f"muted:{lane.identity}:{tr.sid}",
            )
    from matplotlib.transforms import offset_copy

    # marks at one moment side by side, 7 points apart, so none hides another
    same: dict[float, int] = {}
    for mk in lane.marks:
        shape, c = _MARKS[mk.kind]
        at_x = x(mk.at)
        k = same[at_x] = same.get(at_x, -1) + 1
        ax.plot(
            [at_x],
            [y - 0.03],
            marker=shape,
            color=c,
            markersize=6,
            linestyle="",
            zorder=5,
            gid=f"mark:{lane.identity}:{mk.kind}",
            transform=offset_copy(ax.transData, fig=ax.figure, x=7 * k, units="points"),
        )


_FORMATS: Final = ("svg", "png", "pdf")


def save(room: Room | TimelineData, path: str | os.PathLike[str], **kwargs: Any) -> None:
    """Draw :func:`timeline` and write it to ``path``; the format follows the suffix (.svg,
    .png or .pdf).  ``kwargs`` go to :func:`timeline`."""
    name = os.fspath(path)
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in _FORMATS:
        raise ValueError(f"the file name ends in .svg, .png or .pdf, got {name!r}")
    write_figure(timeline(room, **kwargs), name)


def write_figure(fig: Figure, path: str | os.PathLike[str]) -> None:
    """Save a matplotlib figure reproducibly: no date in SVG or PDF files, and SVG ids that do
    not change from run to run (so a committed picture only changes when the picture does)."""
    import matplotlib

    name = os.fspath(path)
    suffix = name.rsplit(".", 1)[-1].lower()
    metadata: dict[str, Any] = {}
    if suffix == "svg":
        metadata = {"Date": None}
    elif suffix == "pdf":
        metadata = {"CreationDate": None, "ModDate": None}
    with matplotlib.rc_context({"svg.hashsalt": "roomsim"}):
        fig.savefig(name, dpi=120, metadata=metadata)
