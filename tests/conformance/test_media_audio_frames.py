"""Transcripts: what a subscriber receives of pushed audio (``Client.receive_audio``).

Spec: audio §7 (subscribers get the decoded audio continuously, silence included), audio §8
(captured audio advances nothing; time plays it), audio §9.6-§9.7 (roomsim delivers the exact
samples, in 20 ms packets, with silence for time in which nothing was queued).
"""

from __future__ import annotations

from array import array

from roomsim import Client, Room, TrackKind, TrackSource

AUDIO, MIC = TrackKind.AUDIO, TrackSource.MICROPHONE
PACKET = 960  # 20 ms at 48 kHz


def _call() -> tuple[Room, Client, Client, str]:
    room = Room("r")
    alice = room.connect("alice")
    bob = room.connect("bob")
    return room, alice, bob, alice.publish_track(AUDIO, MIC)


def ramp(n: int) -> array[int]:
    return array("h", (k % 2000 - 1000 for k in range(n)))


def test_pushing_advances_nothing_and_time_plays_whole_packets() -> None:
    """audio §8: nothing is received until time passes; then whole 20 ms packets."""
    room, alice, bob, mic = _call()
    tap = bob.receive_audio(mic)
    samples = ramp(4800)  # 100 ms
    alice.push_audio(mic, samples)
    assert room.now == 0.0
    assert tap.read() == array("h")
    room.advance(0.05)
    assert tap.read() == samples[: 2 * PACKET]
    room.advance(0.05)
    assert tap.read() == samples[2 * PACKET :]
    assert (tap.sample_rate, tap.num_channels) == (48000, 1)


def test_silence_fills_the_gaps_and_a_later_push_follows_it() -> None:
    """audio §5, §9.7: with nothing queued the track plays zeros; a push plays from the next
    packet on, after what was played."""
    room, alice, bob, mic = _call()
    tap = bob.receive_audio(mic)
    first = ramp(PACKET)
    alice.push_audio(mic, first)
    room.advance(0.1)  # 1 packet of audio, 4 of silence
    alice.push_audio(mic, first)
    room.advance(0.02)
    got = tap.read()
    assert got == first + array("h", bytes(8 * PACKET)) + first


def test_a_partial_packet_is_padded_with_zeros() -> None:
    room, alice, bob, mic = _call()
    tap = bob.receive_audio(mic)
    alice.push_audio(mic, ramp(100))
    room.advance(0.02)
    assert tap.read() == ramp(100) + array("h", bytes(2 * (PACKET - 100)))


def test_stereo_is_received_interleaved_as_pushed() -> None:
    room, alice, bob, mic = _call()
    tap = bob.receive_audio(mic)
    pcm = ramp(2 * PACKET)
    alice.push_audio(mic, pcm, sample_rate=48000, num_channels=2)
    room.advance(0.02)
    assert tap.read() == pcm
    assert tap.num_channels == 2


def test_a_muted_track_is_received_as_silence() -> None:
    """audio §5: a muted track sends zeros; its queue drains meanwhile."""
    room, alice, bob, mic = _call()
    tap = bob.receive_audio(mic)
    alice.set_track_muted(mic, True)
    alice.push_audio(mic, ramp(2 * PACKET))
    room.advance(0.02)
    alice.set_track_muted(mic, False)
    room.advance(0.02)
    assert tap.read() == array("h", bytes(2 * PACKET)) + ramp(2 * PACKET)[PACKET:]


def test_long_silence_is_cut_to_one_second() -> None:
    """audio §9.7: a tap keeps at most 1 s of silence in a row (the rest is counted)."""
    room, alice, bob, mic = _call()
    tap = bob.receive_audio(mic)
    alice.push_audio(mic, ramp(PACKET))
    room.advance(60.0)
    got = tap.read()
    assert got[:PACKET] == ramp(PACKET)
    assert len(got) == PACKET + 48000
    assert tap.skipped == 59 * 48000 - PACKET


def test_unsubscribing_closes_the_tap() -> None:
    room, alice, bob, mic = _call()
    tap = bob.receive_audio(mic)
    alice.push_audio(mic, ramp(PACKET))
    room.advance(0.02)
    bob.set_subscribed("alice", mic, False)
    alice.push_audio(mic, ramp(PACKET))
    room.advance(0.02)
    assert tap.read() == ramp(PACKET)
    assert tap.closed


def test_a_tap_opened_before_the_first_push_gets_everything() -> None:
    room, alice, bob, mic = _call()
    room.advance(5.0)
    tap = bob.receive_audio(mic)
    assert (tap.sample_rate, tap.num_channels) == (0, 0)
    alice.push_audio(mic, ramp(PACKET), sample_rate=16000)
    room.advance(0.06)
    assert tap.read() == ramp(PACKET)
    assert tap.sample_rate == 16000
