"""The documentation site, built as ``.ci/run`` builds it: offline, unpolluted, with the API
reference.

It needs the ``docs`` extra; where that is missing the test is skipped, except in CI (``CI`` set
in the environment), where a missing extra is a failure.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

# attributes by which a page loads something (a link's href is navigation, not a load)
_LOADS = {"script": "src", "img": "src", "iframe": "src", "source": "src", "link": "href"}
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
_CSS_URL = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])([^"')\s]+)""")


class _Loads(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = _LOADS.get(tag)
        for name, value in attrs:
            if value and (name == wanted or name == "srcset"):
                self.urls.append(value)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("mkdocs") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install the docs extra: mkdocs is missing")
        pytest.skip("the docs extra (mkdocs) is not installed")
    out = tmp_path_factory.mktemp("site") / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_the_site_loads_nothing_from_the_web(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10
    external: list[str] = []
    for page in pages:
        parser = _Loads()
        parser.feed(page.read_text(encoding="utf-8"))
        external += [f"{page.relative_to(site)}: {u}" for u in parser.urls if _EXTERNAL.match(u)]
    for sheet in sorted(site.rglob("*.css")):
        urls = _CSS_URL.findall(sheet.read_text(encoding="utf-8", errors="replace"))
        external += [f"{sheet.relative_to(site)}: {u}" for u in urls if _EXTERNAL.match(u)]
    assert external == []


def test_code_is_highlighted_at_build_time_with_a_local_stylesheet(site: Path) -> None:
    tutorial = (site / "tutorial" / "index.html").read_text(encoding="utf-8")
    assert 'class="highlight"' in tutorial
    assert re.search(r'<span class="(?:kn|nb|k)">', tutorial), "no Pygments token classes"
    assert 'href="../css/pygments.css"' in tutorial
    assert ".highlight .k " in (site / "css" / "pygments.css").read_text(encoding="utf-8")
    assert "highlight.min.js" not in tutorial


def test_only_pages_are_published(site: Path) -> None:
    published = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert not {p for p in published if p.endswith(".py") or "__pycache__" in p}


def test_the_api_reference_is_generated_from_the_docstrings(site: Path) -> None:
    api = site / "reference" / "api"
    room = (api / "room" / "index.html").read_text(encoding="utf-8")
    client = (api / "client" / "index.html").read_text(encoding="utf-8")
    testing = (api / "testing" / "index.html").read_text(encoding="utf-8")
    for page, names in [
        (room, ["roomsim.Room", "roomsim.Room.connect", "roomsim.Room.advance"]),
        (client, ["roomsim.Client", "roomsim.Client.publish_track", "roomsim.Client.on"]),
        (testing, ["roomsim.testing.expect", "roomsim.testing.ExpectationFailed"]),
        (testing, ["roomsim.testing.checked_room", "roomsim.pytest_plugin.room_factory"]),
    ]:
        for name in names:
            assert f'id="{name}"' in page, name
    # a docstring's doctest is shown as highlighted code, not as Markdown (">>>" quotes)
    assert '<span class="gp">&gt;&gt;&gt; </span>' in testing
    assert "<blockquote>" not in testing
