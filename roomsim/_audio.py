"""Audio levels from samples, as libwebrtc and LiveKit's server compute them (audio §2-§4, §9).

Three pieces, each a plain value with no I/O:

- :func:`dbov`: the RFC 6464 level libwebrtc stamps on a packet (audio §2): the RMS of the
  packet's int16 samples in -dBov, an integer 0..127 (127 is silence).
- :class:`LevelObserver`: LiveKit's per-track ``AudioLevel`` accumulator (audio §3): packets of
  a 400 ms window of audio become one smoothed linear level in 0..1.
- :class:`TrackAudio` and :class:`AudioLayer`: a published track's queue of pushed samples,
  played out in 20 ms packets as virtual time passes (audio §8, §9.2), and a room's tracks.

Time: pushed samples are queued; nothing here moves the clock.  A track's packet stream starts
at its first push and plays one 20 ms packet per 20 ms of virtual time from then on, taking the
queued samples (zeros when the queue is empty, as the SDK's source does, audio §5).  Packets are
played lazily ("catch up"): when the speaker tick reads the levels, before a mute changes what
the track sends, before the track goes away, and when a tap is read.
"""

from __future__ import annotations

import math
import operator
import sys
from array import array
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from roomsim._records import ParticipantRecord, is_subscribed
from roomsim.errors import InvalidArgument, InvalidType
from roomsim.model import TrackSource

__all__ = [
    "ACTIVE_LEVEL",
    "AudioLayer",
    "AudioTap",
    "LevelObserver",
    "TrackAudio",
    "dbov",
    "pcm_bytes",
]

#: LiveKit's ``AudioLevelConfig`` defaults (audio §3)
ACTIVE_LEVEL = 35
MIN_PERCENTILE = 40
UPDATE_INTERVAL_MS = 400
SMOOTH_INTERVALS = 2
#: derived as ``SetConfig`` derives them (audio §3)
MIN_ACTIVE_MS = MIN_PERCENTILE * UPDATE_INTERVAL_MS // 100
SMOOTH_FACTOR = 2 / (SMOOTH_INTERVALS + 1)
ACTIVE_THRESHOLD = 10 ** (-ACTIVE_LEVEL / 20)
#: the Opus packet length libwebrtc sends (audio §2), and the staleness rule (audio §3)
PACKET_MS = 20
STALE_MS = 2 * UPDATE_INTERVAL_MS
#: how much silence in a row a tap keeps (``AudioTap``)
SILENCE_KEPT_MS = 1000

#: libwebrtc's ``RmsLevel`` constants (audio §2)
_MAX_SQUARED = 32768.0 * 32768.0
_MIN_MEAN_SQUARE = _MAX_SQUARED * 10 ** (-127 / 10)
SILENT = 127

_TIME_EPSILON = 1e-9


def dbov(samples: array[int] | Iterable[int], count: int | None = None) -> int:
    """The audio-level extension's value for one packet: ``RmsLevel::Average`` (audio §2).

    ``samples`` are int16 values, all channels interleaved; ``count`` is how many samples the
    packet had if fewer were given (missing samples are zeros).
    """
    values = samples if isinstance(samples, array) else array("h", samples)
    n = len(values) if count is None else count
    if n == 0:
        return SILENT
    mean_square = sum(map(operator.mul, values, values)) / n
    if mean_square <= _MIN_MEAN_SQUARE:
        return SILENT
    return min(SILENT, int(-10 * math.log10(mean_square / _MAX_SQUARED) + 0.5))


def linear(level: float) -> float:
    """``ConvertAudioLevel``: a -dBov level as a linear level in 0..1 (audio §3)."""
    return float(10 ** (-level / 20))


class LevelObserver:
    """LiveKit's ``AudioLevel``: packets' levels over windows of audio time (audio §3)."""

    __slots__ = ("active_ms", "last_ms", "loudest", "observed_ms", "smoothed")

    def __init__(self) -> None:
        self.smoothed = 0.0
        self.loudest = SILENT
        self.active_ms = 0
        self.observed_ms = 0
        #: the audio time (ms) of the last packet, for the staleness rule
        self.last_ms: float | None = None

    def observe(self, level: int, duration_ms: int, at_ms: float) -> None:
        """``observeLocked``: one packet of ``duration_ms`` at ``level``, arriving at ``at_ms``."""
        self.last_ms = at_ms
        self.observed_ms += duration_ms
        if level <= ACTIVE_LEVEL:
            self.active_ms += duration_ms
            self.loudest = min(self.loudest, level)
        if self.observed_ms < UPDATE_INTERVAL_MS:
            return
        if self.active_ms >= MIN_ACTIVE_MS:
            weight = 20 * math.log10(self.active_ms / UPDATE_INTERVAL_MS)
            level_now = linear(self.loudest - weight)
            self.smoothed += (level_now - self.smoothed) * SMOOTH_FACTOR
        else:
            self.smoothed = 0.0
        # the overshoot past the window is dropped, not carried (audio §3)
        self.loudest, self.active_ms, self.observed_ms = SILENT, 0, 0

    def observe_silence(self, packets: int, at_ms: float) -> None:
        """``packets`` silent packets of ``PACKET_MS`` each, the last arriving at ``at_ms``;
        long runs in O(1) once a window of silence has closed."""
        window = UPDATE_INTERVAL_MS // PACKET_MS
        step = min(packets, window + 1)
        for i in range(step):
            self.observe(SILENT, PACKET_MS, at_ms - (packets - 1 - i) * PACKET_MS)
        rest = packets - step
        if rest:
            # a whole silent window has closed: every later window closes silent too
            self.smoothed = 0.0
            self.observed_ms = (self.observed_ms + rest * PACKET_MS) % UPDATE_INTERVAL_MS
            self.last_ms = at_ms

    def level(self, now_ms: float) -> tuple[float, bool]:
        """``GetLevel``: the smoothed level and whether it is active, after the staleness
        rule (no packet for ``2 x update_interval`` resets it)."""
        if self.last_ms is not None and now_ms - self.last_ms >= STALE_MS:
            self.smoothed, self.loudest, self.active_ms, self.observed_ms = 0.0, SILENT, 0, 0
        return self.smoothed, self.smoothed >= ACTIVE_THRESHOLD

    @property
    def quiet(self) -> bool:
        """Nothing in this observer can make its level non-zero without new loud packets."""
        return self.smoothed == 0.0 and self.active_ms == 0


# --------------------------------------------------------------------------------------------
# samples in


def pcm_bytes(samples: Any, what: str = "push_audio(samples=...)") -> bytes:
    """``samples`` as little-endian int16 PCM bytes.

    Takes ``bytes``/``bytearray`` (int16 PCM, native order), or anything with the buffer
    protocol holding int16 (``array('h')``, a ``memoryview``, a numpy ``int16`` array, C order
    so that ``(frames, channels)`` is interleaved), or float32/float64 samples in [-1, 1]
    (scaled by 32767, rounded and clipped, as ``AudioFrame`` callers do).
    """
    if isinstance(samples, str):
        raise InvalidType(f"{what} takes int16 PCM (bytes, array('h'), numpy int16), got a str")
    try:
        view = memoryview(samples)
    except TypeError:
        raise InvalidType(
            f"{what} takes int16 PCM (bytes, array('h'), memoryview or a numpy array), "
            f"got {type(samples).__name__}"
        ) from None
    fmt = view.format.lstrip("@=")
    if fmt in ("B", "b", "c"):
        data = view.tobytes()
        if len(data) % 2:
            raise InvalidArgument(
                f"{what}: {len(data)} bytes is not whole int16 samples (2 bytes each)"
            )
        pcm = array("h", data)
    elif fmt == "h":
        pcm = array("h", view.tobytes())
    elif fmt in ("f", "d"):
        floats = array(fmt, view.tobytes())
        if any(not math.isfinite(x) for x in floats):
            raise InvalidArgument(f"{what}: float samples must be finite")
        pcm = array("h", (max(-32768, min(32767, round(x * 32767))) for x in floats))
    else:
        raise InvalidArgument(
            f"{what} takes int16 samples (or float samples in [-1, 1]); got buffer format "
            f"{view.format!r}; convert with numpy's .astype('int16')"
        )
    if sys.byteorder == "big":  # pragma: no cover - the wire format is little-endian
        pcm.byteswap()
    return pcm.tobytes()


def check_samples(data: Any, num_channels: int, what: str = "push_audio(samples=...)") -> None:
    if type(data) is not bytes:
        raise InvalidType(f"{what} must be bytes of int16 PCM, got {type(data).__name__}")
    if len(data) % (2 * num_channels):
        raise InvalidArgument(
            f"{what}: {len(data)} bytes is not whole frames of {num_channels} int16 "
            f"channel(s) ({2 * num_channels} bytes a frame)"
        )


# --------------------------------------------------------------------------------------------
# a track's packet stream, and what subscribers hear


class AudioTap:
    """The audio one subscriber receives from one track, in the track's format.

    ``read()`` plays the room's audio up to now and returns the samples played since the tap
    was opened or last read (interleaved int16 ``array('h')``, ``num_channels`` channels at
    ``sample_rate``; both are 0 until the publisher's first push).  Silence the track plays
    while nothing is queued (or while it is muted) is included, up to ``SILENCE_KEPT_MS`` of
    it in a row; longer runs are cut there (``skipped`` counts the samples cut), so an idle
    track costs nothing however far the clock moves.  ``closed`` turns True when
    the subscriber stops receiving the track (unsubscribed, unpublished, left); what was
    played before stays readable.
    """

    __slots__ = (
        "_catch_up",
        "_chunks",
        "closed",
        "num_channels",
        "owner",
        "sample_rate",
        "silent",
        "skipped",
        "subscriber",
        "track_sid",
    )

    def __init__(self, track_sid: str, catch_up: Callable[[], None]) -> None:
        self.track_sid = track_sid
        #: the publisher's identity, and the subscriber's
        self.owner = ""
        self.subscriber = ""
        self.sample_rate = 0
        self.num_channels = 0
        self.closed = False
        #: interleaved samples of silence in a row so far, and samples of silence cut
        self.silent = 0
        self.skipped = 0
        self._chunks: list[array[int]] = []
        self._catch_up = catch_up

    def feed(self, chunk: array[int], silent: bool) -> None:
        if self.closed:
            return
        if silent:
            if self.silent >= self.sample_rate * self.num_channels * SILENCE_KEPT_MS // 1000:
                self.skipped += len(chunk)
                return
            self.silent += len(chunk)
        else:
            self.silent = 0
        self._chunks.append(chunk)

    def read(self) -> array[int]:
        """The samples played since the last read (after playing the room up to now)."""
        if not self.closed:
            self._catch_up()
        out = array("h")
        for chunk in self._chunks:
            out.extend(chunk)
        self._chunks.clear()
        return out

    def close(self) -> None:
        """Stop receiving (what was played before stays readable)."""
        self.closed = True


_ZEROS: dict[int, array[int]] = {}


def _zeros(n: int) -> array[int]:
    """``n`` zero samples (one shared array per length: taps keep it, nobody changes it)."""
    z = _ZEROS.get(n)
    if z is None:
        z = _ZEROS[n] = array("h", bytes(2 * n))
    return z


def taps_owner(taps: Mapping[int, AudioTap]) -> str:
    return next((tap.owner for tap in taps.values()), "")


class TrackAudio:
    """One published audio track's queued samples and packet stream (audio §9.2)."""

    __slots__ = (
        "channels",
        "identity",
        "observer",
        "packets",
        "pending",
        "pos",
        "rate",
        "sid",
        "start",
        "taps",
    )

    def __init__(
        self,
        identity: str,
        sid: str,
        rate: int,
        channels: int,
        start: float,
        taps: dict[int, AudioTap],
    ) -> None:
        self.identity = identity
        self.sid = sid
        self.rate = rate
        self.channels = channels
        #: the virtual time packet 0 starts (the first push)
        self.start = start
        #: packets played so far
        self.packets = 0
        #: queued interleaved samples; ``pos`` is the next one to play
        self.pending = array("h")
        self.pos = 0
        self.observer = LevelObserver()
        #: the taps on this track (the layer's dict for this sid)
        self.taps = taps
        for tap in taps.values():
            tap.sample_rate, tap.num_channels = rate, channels

    @property
    def packet_samples(self) -> int:
        return self.rate * PACKET_MS // 1000 * self.channels

    def queued(self) -> int:
        """Interleaved samples queued and not played yet."""
        return len(self.pending) - self.pos

    def push(self, pcm: array[int]) -> None:
        if self.pos and self.pos >= len(self.pending) // 2:
            del self.pending[: self.pos]
            self.pos = 0
        self.pending.extend(pcm)

    def play(self, now: float, muted: bool) -> None:
        """Play every packet that has ended by ``now`` (muted: the packets carry zeros)."""
        due = math.floor((now - self.start) * 1000 / PACKET_MS + _TIME_EPSILON)
        size = self.packet_samples
        while self.packets < due:
            k = self.packets
            end_ms = (self.start * 1000) + (k + 1) * PACKET_MS
            if self.queued() == 0 and not self.taps and k > 0:
                # a run of silence nobody listens to: observe it in bulk
                self.observer.observe_silence(due - k, self.start * 1000 + due * PACKET_MS)
                self.packets = due
                return
            chunk = self.pending[self.pos : self.pos + size]
            self.pos += len(chunk)
            silent = muted or not chunk
            if silent:
                chunk = _zeros(size)
            elif len(chunk) < size:
                chunk.extend(_zeros(size - len(chunk)))
            # the first packet only sets the stream's highest timestamp (audio §3)
            self.observer.observe(SILENT if silent else dbov(chunk), PACKET_MS if k else 0, end_ms)
            for tap in self.taps.values():
                tap.feed(chunk, silent)
            self.packets = k + 1


class AudioLayer:
    """A room's audio tracks: levels from pushed samples, on the virtual clock (audio §9)."""

    __slots__ = ("opened", "taps", "tracks")

    def __init__(self) -> None:
        #: track sid -> its audio
        self.tracks: dict[str, TrackAudio] = {}
        #: track sid -> subscriber identity -> tap (a tap may wait for the track's first push)
        self.taps: dict[str, dict[int, AudioTap]] = {}
        #: taps opened so far (each tap's key)
        self.opened = 0

    def push(
        self, identity: str, sid: str, pcm: bytes, rate: int, channels: int, now: float
    ) -> TrackAudio:
        """Queue ``pcm`` on the track (its stream starts now if it has none)."""
        ta = self.tracks.get(sid)
        if ta is None:
            taps = self.taps.setdefault(sid, {})
            ta = self.tracks[sid] = TrackAudio(identity, sid, rate, channels, now, taps)
        ta.push(array("h", pcm))
        return ta

    def play(self, now: float, records: Mapping[str, ParticipantRecord]) -> None:
        """Play every track up to ``now`` as it is now (muted or not); forget tracks that
        are gone and close the taps of subscribers who no longer receive them."""
        for sid, taps in list(self.taps.items()):
            rec = records.get(taps_owner(taps))
            t = rec.tracks.get(sid) if rec is not None else None
            for key, tap in list(taps.items()):
                sub = records.get(tap.subscriber)
                if rec is None or t is None or sub is None or not is_subscribed(sub, rec, t):
                    tap.close()
                    del taps[key]
        for sid, ta in list(self.tracks.items()):
            rec = records.get(ta.identity)
            t = rec.tracks.get(sid) if rec is not None else None
            if rec is None or t is None or t.closing:
                self.drop(sid)
            else:
                ta.play(now, t.muted)

    def open_tap(self, owner: str, sid: str, who: str, catch_up: Callable[[], None]) -> AudioTap:
        """A tap for subscriber ``who`` on ``owner``'s track ``sid``."""
        tap = AudioTap(sid, catch_up)
        tap.owner, tap.subscriber = owner, who
        ta = self.tracks.get(sid)
        if ta is not None:
            tap.sample_rate, tap.num_channels = ta.rate, ta.channels
        self.opened += 1
        self.taps.setdefault(sid, {})[self.opened] = tap
        return tap

    def drop(self, sid: str) -> None:
        self.tracks.pop(sid, None)
        for tap in self.taps.pop(sid, {}).values():
            tap.close()

    def levels(self, now: float, records: Mapping[str, ParticipantRecord]) -> dict[str, float]:
        """Each identity's level: the loudest of its MICROPHONE tracks that are active
        (``GetAudioLevel``, audio §4); call after :meth:`play`."""
        out: dict[str, float] = {}
        for ta in self.tracks.values():
            level, active = ta.observer.level(now * 1000)
            t = records[ta.identity].tracks[ta.sid]
            if active and t.source is TrackSource.MICROPHONE and level > out.get(ta.identity, 0):
                out[ta.identity] = level
        return out

    def live(self) -> bool:
        """Whether a later speaker tick could see a level change without a new push."""
        return any(ta.queued() or not ta.observer.quiet for ta in self.tracks.values())
