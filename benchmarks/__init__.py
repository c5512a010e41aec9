"""roomsim's benchmarks: realistic room workloads, a dict floor and a livekit.rtc peer.

Run ``python -m benchmarks --help``; docs/performance.md explains the method.
"""
