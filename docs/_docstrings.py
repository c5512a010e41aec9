"""A Griffe extension for the API reference (mkdocstrings): roomsim's docstrings as Markdown.

roomsim's docstrings are doctested, reST-flavoured prose.  Two things in them are not Markdown:
``>>>`` sessions (shown as highlighted ``pycon`` blocks here; plain Markdown would read their
``[...]`` output as links) and Sphinx roles such as ``:func:`~roomsim.testing.expect```
(shown as code: ``expect``).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:func|class|meth|attr|mod|data|exc|obj):`~?(?:[\w.]*\.)?([\w]+)`")


def fence_doctests(text: str) -> str:
    """Wrap each ``>>>`` session (up to the next blank line) in a ``pycon`` fence."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if not (stripped == ">>>" or stripped.startswith(">>> ")):
            out.append(line)
            i += 1
            continue
        indent = line[: len(line) - len(stripped)]
        out.append(f"{indent}```pycon")
        while i < len(lines) and lines[i].strip():
            out.append(lines[i])
            i += 1
        out.append(f"{indent}```")
    return "\n".join(out)


def roles_as_code(text: str) -> str:
    """``:func:`~a.b.name``` and friends become ```name```."""
    return _ROLE.sub(r"`\1`", text)


class RoomsimDocstrings(griffe.Extension):
    """Rewrite every docstring once the object tree is loaded."""

    def on_object(self, *, obj: griffe.Object, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(roles_as_code(obj.docstring.value))
