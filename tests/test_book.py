"""The book's structure: the introduction's chapter map is the table of contents, in order.

The order of the book lives in ``_toc.yml`` only; the introduction's numbered map must list the
same chapters, by label, in the same order and with the same numbers, so a new chapter cannot be
added to one and forgotten in the other.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
LABEL = re.compile(r"^\(([\w-]+)\)=", re.MULTILINE)
MAP_ITEM = re.compile(r"^(\d+)\. \{ref\}`([\w-]+)`", re.MULTILINE)


def toc_chapters() -> list[str]:
    """The chapter notebooks in the order ``_toc.yml`` gives them (paths without suffix)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [entry["file"] for part in toc["parts"] for entry in part.get("chapters", [])]
    return [f for f in files if f.startswith("chapters/")]


def label_of(chapter: str) -> str:
    nb = nbformat.read(ROOT / f"{chapter}.ipynb", as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "markdown")
    found = LABEL.match(first.source)
    assert found, f"{chapter}: the first markdown cell must open with a (label)="
    return found.group(1)


def test_every_chapter_notebook_is_in_the_toc() -> None:
    on_disk = sorted(f"chapters/{p.stem}" for p in (ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(toc_chapters()) == on_disk


def test_the_introductions_map_is_the_toc_in_order() -> None:
    section = (ROOT / "intro.md").read_text().split("## The chapters", 1)[1].split("\n## ", 1)[0]
    items = MAP_ITEM.findall(section)
    assert [int(n) for n, _ in items] == list(range(1, len(items) + 1)), "the map's numbers must run 1, 2, ..."
    assert [label for _, label in items] == [label_of(c) for c in toc_chapters()]
