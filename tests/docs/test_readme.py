"""The README stays a first screen: what it is, the two commands, a connection and a DAG, links."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_is_under_150_lines() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) < 150, f"README.md has {len(lines)} lines: move detail into docs/ and link to it"


def test_the_readme_links_to_pages_that_exist() -> None:
    import re

    targets = re.findall(r"\]\(((?:docs/)?[\w./-]+\.md)(?:#[\w-]+)?\)", README.read_text())
    assert targets
    missing = [t for t in targets if not (README.parent / t).is_file()]
    assert missing == []
