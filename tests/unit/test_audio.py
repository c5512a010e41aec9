"""The level computation of pushed audio against hand-computed values (audio §2, §3, §9)."""

from __future__ import annotations

import math
from array import array

import pytest

from roomsim import _audio
from roomsim._audio import SILENT, LevelObserver, dbov, pcm_bytes
from roomsim.errors import InvalidArgument, InvalidType


def square(amplitude: int, n: int = 960) -> array[int]:
    return array("h", [amplitude if i % 2 else -amplitude for i in range(n)])


@pytest.mark.parametrize(
    ("amplitude", "level"),
    [
        # mean square = a²; level = int(-10·log10(a²/32768²) + 0.5)
        (32767, 0),  # -10·log10((32767/32768)²) = 0.0003
        (16384, 6),  # 20·log10(2) = 6.02
        (3277, 20),  # 3277/32768 = 0.100006: 19.9995
        (1, 90),  # 10·log10(2³⁰) = 90.31
    ],
)
def test_dbov_of_a_square_wave(amplitude: int, level: int) -> None:
    assert dbov(square(amplitude)) == level


def test_dbov_of_a_full_scale_sine_is_3() -> None:
    # mean square of a sine is a²/2: 10·log10(2) = 3.01, rounded half up from 3.51
    sine = array("h", (round(32767 * math.sin(2 * math.pi * k / 96)) for k in range(960)))
    assert dbov(sine) == 3


def test_dbov_below_the_floor_and_of_nothing_is_silence() -> None:
    # mean square 1e-4 is under 32768²·10^-12.7 = 2.14e-4
    one = array("h", [1] + [0] * 9999)
    assert dbov(one) == SILENT
    assert dbov(array("h")) == SILENT
    assert dbov(array("h", [0] * 960)) == SILENT
    # samples missing from a packet count as zeros
    assert dbov(square(16384, 480), count=960) == 9  # a²/2: 6.02 + 3.01


def loud(obs: LevelObserver, level: int, packets: int, t: float = 0.0) -> float:
    for _ in range(packets):
        t += 20
        obs.observe(level, 20, t)
    return t


def test_a_full_window_smooths_by_two_thirds() -> None:
    obs = LevelObserver()
    t = loud(obs, 9, 20)
    # 10^(-9/20) = 0.354813; first window 2/3 of it
    assert obs.smoothed == pytest.approx(0.236542, abs=1e-6)
    level, active = obs.level(t)
    assert active and level == pytest.approx(0.236542, abs=1e-6)
    loud(obs, 9, 20, t)
    # 0.236542 + (0.354813 - 0.236542)·2/3
    assert obs.smoothed == pytest.approx(0.315390, abs=1e-6)


def test_the_loudest_packet_and_the_active_share_weight_the_window() -> None:
    obs = LevelObserver()
    t = loud(obs, 20, 8)
    loud(obs, SILENT, 12, t)
    # active 160 ms of 400: 20 - 20·log10(0.4) = 27.96 -> 10^(-27.96/20) = 0.04; 2/3 of it
    assert obs.smoothed == pytest.approx(0.026667, abs=1e-6)
    assert obs.level(400)[1]  # above 10^(-35/20) = 0.017783


def test_less_than_40_percent_active_zeroes_the_level_at_once() -> None:
    obs = LevelObserver()
    t = loud(obs, 3, 40)
    assert obs.smoothed > 0.5
    t = loud(obs, 3, 7, t)
    loud(obs, SILENT, 13, t)  # 140 ms active < 160 ms
    assert obs.smoothed == 0.0


def test_level_35_never_becomes_active_and_31_does_in_the_first_window() -> None:
    obs = LevelObserver()
    t = loud(obs, 35, 400)
    level, active = obs.level(t)
    assert not active and level == pytest.approx(_audio.ACTIVE_THRESHOLD, rel=1e-3)
    obs = LevelObserver()
    t = loud(obs, 31, 20)
    assert obs.level(t)[1]


def test_a_stale_observer_reads_zero() -> None:
    obs = LevelObserver()
    t = loud(obs, 3, 20)
    assert obs.level(t + 799)[1]
    assert obs.level(t + 800) == (0.0, False)


def test_bulk_silence_matches_packet_by_packet() -> None:
    for offset in range(0, 25, 3):
        one, bulk = LevelObserver(), LevelObserver()
        t = loud(one, 5, 20 + offset)
        loud(bulk, 5, 20 + offset)
        loud(one, SILENT, 137, t)
        bulk.observe_silence(137, t + 137 * 20)
        assert (one.smoothed, one.observed_ms, one.active_ms, one.last_ms) == (
            bulk.smoothed,
            bulk.observed_ms,
            bulk.active_ms,
            bulk.last_ms,
        )


def test_pcm_bytes_takes_buffers_and_floats() -> None:
    pcm = array("h", [1, -2, 32767])
    assert pcm_bytes(pcm) == pcm.tobytes()
    assert pcm_bytes(pcm.tobytes()) == pcm.tobytes()
    assert pcm_bytes(memoryview(pcm)) == pcm.tobytes()
    assert pcm_bytes(bytearray(pcm.tobytes())) == pcm.tobytes()
    assert array("h", pcm_bytes(array("d", [1.0, -1.0, 0.5, 2.0]))).tolist() == [
        32767,
        -32767,
        16384,
        32767,
    ]


def test_pcm_bytes_refuses_what_is_not_int16() -> None:
    with pytest.raises(InvalidArgument, match="whole int16"):
        pcm_bytes(b"\x00\x01\x02")
    with pytest.raises(InvalidType, match="got a str"):
        pcm_bytes("abc")
    with pytest.raises(InvalidType, match="got list"):
        pcm_bytes([1, 2])
    with pytest.raises(InvalidArgument, match="format 'i'"):
        pcm_bytes(array("i", [1]))
    with pytest.raises(InvalidArgument, match="finite"):
        pcm_bytes(array("f", [math.nan]))


def test_pcm_bytes_takes_numpy_int16() -> None:
    np = pytest.importorskip("numpy")
    stereo = np.array([[1, 2], [3, 4]], dtype=np.int16)
    assert array("h", pcm_bytes(stereo)).tolist() == [1, 2, 3, 4]
    assert array("h", pcm_bytes(stereo[:, 0])).tolist() == [1, 3]  # not contiguous
