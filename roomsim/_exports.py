"""One helper for the packages that re-export names from private modules."""

from __future__ import annotations

import contextlib
from typing import Any

__all__ = ["publish"]


def publish(namespace: dict[str, Any]) -> None:
    """Check that a package's ``__all__`` lists exactly its public names, and make the names
    it re-exports read ``package.X`` in reprs and tracebacks (trio's
    ``fixup_module_metadata``).  Call it at the end of the package's ``__init__``."""
    package = namespace["__name__"]
    names = namespace["__all__"]
    public = {k for k in namespace if k.isidentifier() and not k.startswith("_")}
    public -= {"annotations"}
    assert set(names) == public, sorted(set(names) ^ public)
    for name in names:
        obj = namespace[name]
        if getattr(obj, "__module__", "").startswith(package + "."):
            with contextlib.suppress(AttributeError, TypeError):  # constants keep theirs
                obj.__module__ = package
