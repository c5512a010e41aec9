"""Which ``livekit`` and ``livekit-protocol`` releases the bridge was tested with."""

from __future__ import annotations

from importlib import metadata
from typing import Final

from roomsim.errors import RoomsimError

__all__ = ["TESTED_VERSIONS", "UnsupportedVersion", "check_versions"]

#: distribution -> (the release tested, the next minor release: excluded)
TESTED_VERSIONS: Final[dict[str, tuple[str, str]]] = {
    "livekit": ("1.2.1", "1.3"),
    "livekit-protocol": ("1.1.29", "1.2"),
}


class UnsupportedVersion(RoomsimError, ImportError):
    """The installed ``livekit`` or ``livekit-protocol`` is outside the tested range."""

    default_code = "unsupported_version"


def _release(version: str) -> tuple[int, ...]:
    out: list[int] = []
    for part in version.split("."):
        digits = ""
        for ch in part:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        out.append(int(digits))
        if digits != part:  # a pre-release or local suffix ends the release number
            break
    return tuple(out)


def check_versions(installed: dict[str, str] | None = None) -> None:
    """Raise :class:`UnsupportedVersion` unless every tested distribution is in range.

    ``installed`` maps a distribution to its version; by default the installed ones are read.
    """
    for dist, (low, high) in TESTED_VERSIONS.items():
        if installed is not None and dist in installed:
            version: str | None = installed[dist]
        else:
            try:
                version = metadata.version(dist)
            except metadata.PackageNotFoundError:
                version = None
        hint = f"pip install 'roomsim[livekit]' (which pins '{dist}>={low},<{high}')"
        if version is None:
            raise UnsupportedVersion(
                f"roomsim.livekit needs {dist} {low} (tested) up to {high} (excluded), "
                f"but {dist} is not installed; {hint}"
            )
        if not (_release(low) <= _release(version) < _release(high)):
            raise UnsupportedVersion(
                f"roomsim.livekit was tested with {dist} {low} up to {high} (excluded), "
                f"but {dist} {version} is installed; the SDK's private event path the bridge "
                f"feeds may have changed. {hint}"
            )
