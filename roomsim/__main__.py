from __future__ import annotations

import sys

from roomsim.cli import main

sys.exit(main())
