"""``python -m benchmarks``: see ``benchmarks.runner``."""

from __future__ import annotations

from benchmarks.runner import main

raise SystemExit(main())
