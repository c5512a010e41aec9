"""Audio frames through ``serve()``: ``rtc.AudioSource`` in, ``rtc.AudioStream`` out (audio §6-§9).

``AudioSource.capture_frame`` hands the FFI a pointer to the frame's int16 samples; the native
library copies them, and so does this module (``ctypes.string_at``), then pushes them into the
room with ``Client.push_audio`` on every published track made from that source.  The callback
comes at once: nothing here waits on time (audio §8).

An ``AudioStream`` on a remote track becomes a ``Client.receive_audio`` tap for the stream's
session.  :meth:`FfiAudio.pump` (run by ``lk.advance`` and ``lk.settle``) reads each tap and
queues what virtual time has played as ``AudioStreamEvent`` frames of ``frame_size_ms`` (10 ms
by default), each in a buffer the SDK copies and then drops, as it does with the native ones.
Channels are converted as libwebrtc's ``RemixAndResample`` does (stereo -> mono averages, mono
-> stereo duplicates); a different sample rate is refused (``NotSimulated``): open the stream
at the publisher's rate.  The stream ends (``eos``) when the subscriber stops receiving the
track, or when the SDK closes it.  Video frames are not carried.
"""

from __future__ import annotations

import ctypes
import sys
import weakref
from array import array
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

import attrs
from livekit import rtc
from livekit.rtc._proto import audio_frame_pb2 as _fa
from livekit.rtc._proto import ffi_pb2 as _ff
from livekit.rtc._proto import handle_pb2 as _fh

from roomsim.client import Client
from roomsim.errors import RoomsimError
from roomsim.livekit._convert import enum_from_rtc
from roomsim.model import TrackKind, TrackSource

if TYPE_CHECKING:
    from roomsim._audio import AudioTap
    from roomsim.livekit._ffi import InProcessFfi, Session

__all__ = ["AudioSourceRec", "FfiAudio"]


@attrs.define
class AudioSourceRec:
    """An ``rtc.AudioSource`` made under ``serve()``: the format its frames must have."""

    sample_rate: int
    num_channels: int
    kind: TrackKind = TrackKind.AUDIO


@attrs.define
class _Stream:
    """One ``rtc.AudioStream``: its tap, the format it asked for, and samples not yet sent."""

    handle: int
    session: Session
    tap: AudioTap
    sample_rate: int
    num_channels: int
    frame_ms: int
    carry: array[int] = attrs.field(factory=lambda: array("h"))
    ended: bool = False


class FfiAudio:
    """The audio requests of ``InProcessFfi``, and the pump that feeds ``AudioStream`` s."""

    def __init__(self, ffi: InProcessFfi, not_simulated: type[RoomsimError]) -> None:
        self.ffi = ffi
        #: ``_ffi.NotSimulated`` (``_ffi`` imports this module, so it hands the class over)
        self.not_simulated = not_simulated
        self.streams: dict[int, _Stream] = {}
        #: the SDK's AudioStream objects, let go of when serve() ends (:meth:`shutdown`)
        self.sdk_streams: weakref.WeakSet[rtc.AudioStream] = weakref.WeakSet()

    def answers(self) -> dict[str, Callable[[Any], _ff.FfiResponse]]:
        return {
            "new_audio_source": self._new_audio_source,
            "capture_audio_frame": self._capture_audio_frame,
            "new_audio_stream": self._new_audio_stream,
            "audio_stream_from_participant": self._audio_stream_from_participant,
        }

    # -- sources -------------------------------------------------------------------------------

    def _new_audio_source(self, req: _fa.NewAudioSourceRequest) -> _ff.FfiResponse:
        rec = AudioSourceRec(sample_rate=req.sample_rate, num_channels=req.num_channels)
        source = _fa.OwnedAudioSource(
            handle=self.ffi.owned(rec), info=_fa.AudioSourceInfo(type=req.type)
        )
        return _ff.FfiResponse(new_audio_source=_fa.NewAudioSourceResponse(source=source))

    def _capture_audio_frame(self, req: _fa.CaptureAudioFrameRequest) -> _ff.FfiResponse:
        aid = self.ffi._async_id()
        error = self._capture(req.source_handle, req.buffer)
        cb = _fa.CaptureAudioFrameCallback(async_id=aid, error=error)
        self.ffi.put(_ff.FfiEvent(capture_audio_frame=cb))
        return _ff.FfiResponse(capture_audio_frame=_fa.CaptureAudioFrameResponse(async_id=aid))

    def _capture(self, handle: int, buf: _fa.AudioFrameBufferInfo) -> str:
        source = self.ffi._handles.get(handle)
        if not isinstance(source, AudioSourceRec):
            return "roomsim.livekit.serve(): the source is not an AudioSource made under serve()"
        if (buf.sample_rate, buf.num_channels) != (source.sample_rate, source.num_channels):
            return "sample_rate and num_channels don't match"  # the SDK's words (audio §6)
        data = ctypes.string_at(buf.data_ptr, buf.samples_per_channel * buf.num_channels * 2)
        for track in self.ffi.local_tracks_of(handle):
            session = track.session
            sid = track.sid

            def push(c: Client, sid: str = sid) -> None:
                c.push_audio(sid, data, buf.sample_rate, buf.num_channels)

            with session.capturing() as held:
                _, error = self.ffi._run(session, push)
            self.ffi._flush(held)
            if error:
                return str(error)
        return ""

    # -- streams -------------------------------------------------------------------------------

    def _new_audio_stream(self, req: _fa.NewAudioStreamRequest) -> _ff.FfiResponse:
        ref = self.ffi._handles.get(req.track_handle)
        if not (isinstance(ref, tuple) and len(ref) == 4 and ref[0] == "track"):
            raise self.not_simulated(
                "new_audio_stream: the track is not a remote track under serve()"
            )
        _, publisher, sid, session = ref
        stream = self._open(session, publisher, sid, req)
        return _ff.FfiResponse(new_audio_stream=_fa.NewAudioStreamResponse(stream=stream))

    def _audio_stream_from_participant(
        self, req: _fa.AudioStreamFromParticipantRequest
    ) -> _ff.FfiResponse:
        ref = self.ffi._handles.get(req.participant_handle)
        if not (isinstance(ref, tuple) and len(ref) == 4 and ref[0] == "participant"):
            raise self.not_simulated(
                "audio_stream_from_participant: the participant is not a remote participant "
                "under serve()"
            )
        _, publisher, _, session = ref
        want = enum_from_rtc(TrackSource, req.track_source)
        p = session.client.remote_participants.get(publisher)
        pubs = [] if p is None else list(p.track_publications.values())
        sid = next((t.sid for t in pubs if t.source is want and t.kind is TrackKind.AUDIO), None)
        if sid is None:
            raise self.not_simulated(
                f"audio_stream_from_participant: {publisher!r} has no {want.value} audio track "
                "now (roomsim opens the stream on a published track; wait for track_subscribed)"
            )
        stream = self._open(session, publisher, sid, req)
        resp = _fa.AudioStreamFromParticipantResponse(stream=stream)
        return _ff.FfiResponse(audio_stream_from_participant=resp)

    def _open(self, session: Session, publisher: str, sid: str, req: Any) -> _fa.OwnedAudioStream:
        try:
            tap = session.client.receive_audio(sid)
        except RoomsimError as exc:
            raise self.not_simulated(f"AudioStream: {exc}") from exc
        rate, channels = req.sample_rate or 48000, req.num_channels or 1
        source_rate = tap.sample_rate or self._source_rate(session, sid)
        if source_rate:
            _check_format(
                self.not_simulated, source_rate, tap.num_channels or channels, rate, channels
            )
        handle = self.ffi.new_handle(("audio_stream", sid))
        self._remember_caller()
        self.streams[handle] = _Stream(
            handle, session, tap, rate, channels, req.frame_size_ms or 10
        )
        return _fa.OwnedAudioStream(
            handle=_fh.FfiOwnedHandle(id=handle), info=_fa.AudioStreamInfo(type=req.type)
        )

    def _remember_caller(self) -> None:
        # the AudioStream being constructed is a few frames up (__init__ -> _create_owned_*)
        frame: FrameType | None = sys._getframe(1)
        for _ in range(8):
            if frame is None:
                return
            obj = frame.f_locals.get("self")
            if isinstance(obj, rtc.AudioStream):
                self.sdk_streams.add(obj)
                return
            frame = frame.f_back

    def shutdown(self) -> None:
        """serve() ends: an AudioStream collected later would reach for the native library
        (its ``__del__`` unsubscribes from ``FfiClient.instance``), so each lets go now."""
        for stream in list(self.sdk_streams):
            queue = getattr(stream, "_ffi_queue", None)
            if queue is not None:
                self.ffi.queue.unsubscribe(queue)
                stream._ffi_queue = None

    def _source_rate(self, session: Session, sid: str) -> int:
        for track in self.ffi.local_tracks_of(None):
            if track.sid == sid:
                source = self.ffi._handles.get(track.source)
                if isinstance(source, AudioSourceRec):
                    return source.sample_rate
        return 0

    def pump(self) -> None:
        """Queue what virtual time has played to every open ``AudioStream``."""
        failure: RoomsimError | None = None
        for st in list(self.streams.values()):
            samples = st.tap.read()
            if samples and not st.ended:
                try:
                    _check_format(
                        self.not_simulated,
                        st.tap.sample_rate,
                        st.tap.num_channels,
                        st.sample_rate,
                        st.num_channels,
                    )
                except RoomsimError as exc:
                    failure = failure or exc
                    self._end(st)
                    continue
                self._send(st, remix(samples, st.tap.num_channels, st.num_channels))
            if st.tap.closed:
                self._end(st)
        if failure is not None:
            raise failure

    def _send(self, st: _Stream, samples: array[int]) -> None:
        st.carry.extend(samples)
        per = st.sample_rate * st.frame_ms // 1000
        size = per * st.num_channels
        n = len(st.carry) // size
        for i in range(n):
            frame = st.carry[i * size : (i + 1) * size].tobytes()
            buf = ctypes.create_string_buffer(frame, len(frame))
            info = _fa.AudioFrameBufferInfo(
                data_ptr=ctypes.addressof(buf),
                num_channels=st.num_channels,
                sample_rate=st.sample_rate,
                samples_per_channel=per,
            )
            owned = _fa.OwnedAudioFrameBuffer(handle=self.ffi.owned(buf), info=info)
            event = _fa.AudioStreamEvent(
                stream_handle=st.handle, frame_received=_fa.AudioFrameReceived(frame=owned)
            )
            self.ffi.put(_ff.FfiEvent(audio_stream_event=event))
        del st.carry[: n * size]

    def _end(self, st: _Stream) -> None:
        if not st.ended:
            st.ended = True
            st.tap.close()
            event = _fa.AudioStreamEvent(stream_handle=st.handle, eos=_fa.AudioStreamEOS())
            self.ffi.put(_ff.FfiEvent(audio_stream_event=event))

    def session_ended(self, session: Session) -> None:
        """A session is over: its streams end (what was played is delivered first)."""
        for st in list(self.streams.values()):
            if st.session is session and not st.ended:
                samples = st.tap.read()
                if samples and st.tap.sample_rate == st.sample_rate:
                    self._send(st, remix(samples, st.tap.num_channels, st.num_channels))
                self._end(st)

    def dropped(self, handle: int) -> None:
        """The SDK disposed of a handle: a stream's ends (``AudioStream.aclose``)."""
        st = self.streams.pop(handle, None)
        if st is not None:
            self._end(st)


def _check_format(
    refuse: type[RoomsimError], rate: int, channels: int, want_rate: int, want_channels: int
) -> None:
    if rate != want_rate:
        raise refuse(
            f"AudioStream(sample_rate={want_rate}) on a {rate} Hz track: roomsim.livekit.serve() "
            f"does not resample; open the stream with sample_rate={rate} (or publish at "
            f"{want_rate} Hz)"
        )
    if channels != want_channels and (channels, want_channels) not in ((1, 2), (2, 1)):
        raise refuse(
            f"AudioStream(num_channels={want_channels}) on a {channels}-channel track: "
            "roomsim converts only mono <-> stereo"
        )


def remix(samples: array[int], channels: int, want: int) -> array[int]:
    """libwebrtc's remix (audio §7): stereo -> mono is the floor average of the pair, mono ->
    stereo duplicates each sample."""
    if channels == want:
        return samples
    if channels == 2 and want == 1:
        return array("h", ((a + b) >> 1 for a, b in zip(samples[::2], samples[1::2], strict=True)))
    out = array("h", bytes(4 * len(samples)))
    out[::2] = samples
    out[1::2] = samples
    return out
