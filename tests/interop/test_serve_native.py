"""``serve()`` never opens LiveKit's native library: checked in a fresh process.

The child runs SDK code under ``serve()`` (connect, verbs, tracks, data, disconnect, leaving
``serve()`` and garbage-collecting every SDK object), with ``ctypes.CDLL`` watched and
``LIVEKIT_LIB_PATH`` pointing nowhere; then it reads its own memory map.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("livekit.api")

CHILD = textwrap.dedent(
    """
    import asyncio, ctypes, gc, json

    opened = []
    real_init = ctypes.CDLL.__init__

    def watched(self, name, *args, **kwargs):
        opened.append(str(name))
        real_init(self, name, *args, **kwargs)

    ctypes.CDLL.__init__ = watched

    from livekit import rtc
    from roomsim.livekit import serve

    async def main():
        async with serve() as lk:
            a, b = rtc.Room(), rtc.Room()
            await a.connect(lk.url, lk.token("a", room="r", can_update_own_metadata=True))
            await b.connect(lk.url, lk.token("b", room="r"))
            await a.local_participant.set_attributes({"k": "v"})
            await a.local_participant.publish_data(b"hi", topic="t")
            source = rtc.AudioSource(48000, 1)
            track = rtc.LocalAudioTrack.create_audio_track("mic", source)
            pub = await a.local_participant.publish_track(track)
            track.mute()
            await a.local_participant.unpublish_track(pub.sid)
            await lk.settle()
            await a.disconnect()
            seen = dict(b.remote_participants)
        return seen

    asyncio.run(main())
    gc.collect()
    with open("/proc/self/maps") as maps:
        mapped = [line for line in maps if "livekit_ffi" in line]
    from livekit.rtc._ffi_client import FfiClient
    print(json.dumps({
        "opened": [n for n in opened if "livekit" in n],
        "mapped": mapped,
        "instance": FfiClient._instance is not None,
    }))
    """
)


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="needs /proc (Linux)")
def test_the_native_ffi_library_is_never_opened() -> None:
    env = dict(os.environ, LIVEKIT_LIB_PATH="/nonexistent/liblivekit_ffi.so")
    out = subprocess.run(
        [sys.executable, "-c", CHILD],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"opened": [], "mapped": [], "instance": False}, out.stderr
