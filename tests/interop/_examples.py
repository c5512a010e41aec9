"""Load an example app under ``examples/`` as a module, the way its tests use it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example_path(app: str) -> Path:
    """``examples/<app>/agent.py``."""
    return EXAMPLES / app / "agent.py"


def load_example(app: str) -> Any:
    """Run ``examples/<app>/agent.py`` as a fresh module (no ``sys.path`` or package needed)."""
    spec = importlib.util.spec_from_file_location(f"{app}_agent", example_path(app))
    assert spec is not None and spec.loader is not None
    module = ModuleType(spec.name)
    spec.loader.exec_module(module)
    return module


def import_lines(path: Path) -> list[str]:
    """The top-level ``import``/``from`` lines of a source file, in order."""
    source = path.read_text(encoding="utf-8")
    return [line for line in source.splitlines() if line.startswith(("import ", "from "))]
