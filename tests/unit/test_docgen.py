"""The reference pages are generated from the code; this fails when one is stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from roomsim._docgen import PAGES

REFERENCE = Path(__file__).parent.parent.parent / "docs" / "reference"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_reference_page_is_up_to_date(name: str) -> None:
    expected = PAGES[name]()
    actual = (REFERENCE / name).read_text()
    assert actual == expected, (
        f"docs/reference/{name} is stale: run `python -m roomsim._docgen` and commit the result"
    )


def test_every_event_and_mutation_is_documented() -> None:
    from roomsim import events, mutations

    page = (REFERENCE / "events.md").read_text()
    for cls in events.ALL_EVENTS:
        assert f"`{cls.name}`" in page
    page = (REFERENCE / "mutations.md").read_text()
    for m in mutations.ALL_MUTATIONS:
        assert f"`{m.__name__}`" in page
