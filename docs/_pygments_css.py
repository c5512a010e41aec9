"""An MkDocs hook: the stylesheet for the code Pygments highlights at build time.

``pymdownx.highlight`` marks code up with Pygments' classes; this writes the matching rules to
``css/pygments.css`` in the built site (listed in ``extra_css``), so highlighting needs nothing
from the web and follows the installed Pygments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pygments.formatters import HtmlFormatter

STYLE = "friendly"


def on_post_build(config: Any, **kwargs: Any) -> None:
    css = HtmlFormatter(style=STYLE).get_style_defs(".highlight")
    out = Path(config["site_dir"]) / "css" / "pygments.css"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(css + "\n", encoding="utf-8")
