"""The chapters as course assignments: the instructor and the student version, proven on every chapter.

* every ``check("ex-...")`` call names a registered exercise that has an ``{exercise}`` box;
* every code exercise's solution passes (nbval runs the chapters with strict checks on);
* the student version of every chapter runs top to bottom, every exercise reports
  "not attempted yet" (a "passed" would mean a solution leaked), and no line of a solution
  region appears anywhere in the student notebook.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from mom_lib.exercises import exercise_ids

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from student_version import student_notebook  # noqa: E402

CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
CHECK_CALL = re.compile(r"""check\(\s*["'](ex-[\w-]+)["']""")
BOX_LABEL = re.compile(r"```\{exercise\}[^\n]*\n(?::[^\n]*\n)*?:label:\s*(ex-[\w-]+)")


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def check_ids(nb: nbformat.NotebookNode) -> list[str]:
    return [m for c in nb.cells if c.cell_type == "code" for m in CHECK_CALL.findall(c.source)]


def split_lines(nb: nbformat.NotebookNode) -> tuple[list[str], set[str]]:
    """(meaningful lines inside solution regions, every stripped line the reader sees elsewhere).

    A meaningful line is not blank, not a comment and longer than a keyword or two.
    """
    solution, visible, inside = [], set(), False
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "solution" in tags:
            continue
        for line in cell.source.splitlines():
            text = line.strip()
            if text.startswith("# BEGIN SOLUTION") and "exercise" in tags:
                inside = True
            elif text.startswith("# END SOLUTION") and "exercise" in tags:
                inside = False
            elif inside:
                if text and not text.startswith("#") and len(text) > 12:
                    solution.append(text)
            else:
                visible.add(text)
    return solution, visible


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_check_call_is_registered_and_has_an_exercise_box(path):
    nb = read(path)
    calls = check_ids(nb)
    boxes = {m for c in nb.cells if c.cell_type == "markdown" for m in BOX_LABEL.findall(c.source)}
    assert set(calls) <= set(exercise_ids()), f"unregistered: {set(calls) - set(exercise_ids())}"
    assert set(calls) <= boxes, f"check() without an exercise box: {set(calls) - boxes}"
    exercise_cells = [c for c in nb.cells if c.cell_type == "code" and "exercise" in c.metadata.get("tags", [])]
    assert len(exercise_cells) == len(set(calls)), "one exercise cell per checked exercise"


@pytest.mark.parametrize("path", [p for p in CHAPTERS if check_ids(read(p))], ids=lambda p: p.stem)
def test_student_version_runs_and_reports_not_attempted(path, monkeypatch):
    monkeypatch.delenv("MOM_LIB_STRICT_CHECKS", raising=False)  # the kernel inherits this environment
    nb = read(path)
    student = student_notebook(nb, path.name)
    # compared line by line: a solution line split by the formatter ("dist = np.linalg.norm(")
    # may be the start of a different line the chapter shows
    student_lines = {line.strip() for c in student.cells for line in c.source.splitlines()}
    solution, visible = split_lines(nb)
    # lines that only a solution holds: the chapter may show generic ones (a loop header) elsewhere
    private = [line for line in solution if line not in visible]
    assert private, "no solution-only lines found: the leak check below would prove nothing"
    leaked = [line for line in private if line in student_lines]
    assert not leaked, f"solution lines in the student version: {leaked[:3]}"
    assert not any("solution" in c.metadata.get("tags", []) for c in student.cells)

    NotebookClient(
        student, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    printed = "\n".join(
        "".join(o.get("text", "")) for c in student.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    for exercise_id in sorted(set(check_ids(nb))):
        assert f"{exercise_id}: not attempted yet" in printed
        assert f"{exercise_id}: passed" not in printed


@pytest.mark.parametrize("path", [p for p in CHAPTERS if check_ids(read(p))], ids=lambda p: p.stem)
def test_the_leak_check_would_catch_an_unstripped_notebook(path):
    nb = read(path)
    solution, visible = split_lines(nb)
    text = "\n".join(c.source for c in nb.cells)  # the instructor version, as if nothing were stripped
    assert [line for line in solution if line not in visible and line in text]
