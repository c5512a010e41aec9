"""Every citation in code and docs resolves inside the repository.

Code and docs cite sections as ``client §13``, ``server §8``, ``design §2``, ``audio §3``,
``faults §4``, ``rpc-and-streams §5`` (docs/design.md, "Citations"); each must name a heading
of that page (``## 13. ...``, ``### 1c. ...``, ``### 16.3 ...``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

HERE = Path(__file__).resolve()
REPO = HERE.parents[2]
DOCS = REPO / "docs"
PAGES = {
    "client": DOCS / "livekit" / "client.md",
    "server": DOCS / "livekit" / "server.md",
    "design": DOCS / "design.md",
    "audio": DOCS / "livekit" / "audio.md",
    "faults": DOCS / "livekit" / "faults.md",
    "rpc-and-streams": DOCS / "livekit" / "rpc-and-streams.md",
}
CITATION = re.compile(
    r"\b(client|server|design|audio|faults|rpc-and-streams)\s+§\s*([0-9]+[a-z]?(?:\.[0-9]+)?)"
    r"(?:\s*[-\u2013]\s*§?\s*([0-9]+))?"
)
HEADING = re.compile(r"^#{2,4}\s+([0-9]+[a-z]?(?:\.[0-9]+)?)[.\s]", re.M)


def _sections(page: Path) -> set[str]:
    text = page.read_text()
    found = set(HEADING.findall(text))
    # "§4" also names a section whose headings are numbered 4a, 4.1, ...
    found |= {re.match(r"[0-9]+", s).group(0) for s in found}  # type: ignore[union-attr]
    # "§4.5" also names item 5 of a numbered list in section 4
    starts = [(m.start(), m.group(1)) for m in HEADING.finditer(text)]
    for i, (start, sec) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        for item in re.findall(r"^\s*([0-9]+)\. ", text[start:end], re.M):
            found.add(f"{sec}.{item}")
    return found


def _sources() -> list[Path]:
    out: list[Path] = []
    for top in ("roomsim", "tests", "benchmarks", "docs", "examples"):
        for path in (REPO / top).rglob("*"):
            if path.suffix in (".py", ".md") and ".venv" not in path.parts and path != HERE:
                out.append(path)
    return [*out, REPO / "README.md"]


def _citations() -> list[tuple[str, str, str]]:
    cites: list[tuple[str, str, str]] = []
    for path in _sources():
        text = path.read_text()
        for m in CITATION.finditer(text):
            where = f"{path.relative_to(REPO)}:{text.count(chr(10), 0, m.start()) + 1}"
            cites.append((where, m.group(1), m.group(2)))
            if m.group(3):
                cites.append((where, m.group(1), m.group(3)))
    return cites


def test_there_are_citations_to_check() -> None:
    assert len(_citations()) > 100


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_citation_of_a_page_names_one_of_its_sections(page: str) -> None:
    path = PAGES[page]
    cites = [(where, sec) for where, p, sec in _citations() if p == page]
    if not path.exists():
        assert not cites, f"{page} § is cited but {path.relative_to(REPO)} does not exist"
        return
    sections = _sections(path)
    missing = [f"{where}: {page} §{sec}" for where, sec in cites if sec not in sections]
    assert not missing, "citations without a section:\n" + "\n".join(missing)
