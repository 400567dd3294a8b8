"""Make the student version of the chapters: solutions out, stubs in, outputs cleared.

Usage: python tools/student_version.py [NOTEBOOK ...] [--out DIR] [--zip] [--nbgrader]

Defaults: every ``chapters/*.ipynb``, written to ``_build/student/`` (outside the book tree).

For every notebook:

* in each code cell tagged ``exercise``, the lines from ``# BEGIN SOLUTION`` to
  ``# END SOLUTION`` (both included) become one line ``raise NotImplementedError("<label>")``
  with the indentation of the ``# BEGIN SOLUTION`` line;
* cells tagged ``solution`` are removed;
* every output and execution count is cleared.

**The label rule.** The label is the exercise id of the first ``check("ex-...", ...)`` call in
the code cells after the exercise cell and before the next exercise cell. A cell without such
a check call may name its id in a comment line ``# exercise: ex-NN-slug`` instead (the comment
wins when both are there).

Errors (the message names the notebook and the cell index, and nothing is written for that
notebook): unbalanced or nested markers, markers in a cell not tagged ``exercise``, an
``exercise`` cell without markers, an exercise without a label, and a markdown cell holding a
``{solution}`` directive that is not tagged ``solution``.

``--zip`` also writes ``<chapter>.zip`` holding the notebook. ``--nbgrader`` adds nbgrader's cell
metadata: exercise cells become "autograded answer" cells and their check cells read-only
"autograder tests" cells worth one point, so the notebooks can be released through nbgrader.
"""

from __future__ import annotations

import argparse
import re
import sys
import zipfile
from pathlib import Path

import nbformat

BEGIN = re.compile(r"^(?P<indent>[ \t]*)#(?P<extra>#*)\s*BEGIN SOLUTION\s*$")
END = re.compile(r"^[ \t]*#(?P<extra>#*)\s*END SOLUTION\s*$")
ANY_MARKER = re.compile(r"^[ \t]*#+\s*(BEGIN|END) SOLUTION\b")
LABEL_COMMENT = re.compile(r"^[ \t]*#\s*exercise:\s*(ex-\d{2}-[a-z0-9-]+)\s*$", re.MULTILINE)
CHECK_CALL = re.compile(r"""\bcheck\(\s*["'](ex-\d{2}-[a-z0-9-]+)["']\s*,\s*([A-Za-z_][A-Za-z0-9_]*)""")
SOLUTION_DIRECTIVE = re.compile(r"^\s*(```+|:::+)\s*\{solution")


class MarkupError(ValueError):
    """The exercise markup of a notebook is malformed."""


def _tags(cell: nbformat.NotebookNode) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def strip_solution(source: str, label: str, where: str) -> str:
    """Replace the region between the markers by ``raise NotImplementedError(label)``."""
    out: list[str] = []
    inside = False
    found = False
    for line in source.splitlines():
        begin, end = BEGIN.match(line), END.match(line)
        if (begin and begin["extra"]) or (end and end["extra"]) or (ANY_MARKER.match(line) and not (begin or end)):
            raise MarkupError(f"{where}: write the markers as '# BEGIN SOLUTION' / '# END SOLUTION', got {line!r}")
        if begin:
            if inside:
                raise MarkupError(f"{where}: nested '# BEGIN SOLUTION' (the previous one is not closed)")
            inside, found = True, True
            out.append(f'{begin["indent"]}raise NotImplementedError("{label}")')
        elif end:
            if not inside:
                raise MarkupError(f"{where}: '# END SOLUTION' without a '# BEGIN SOLUTION' before it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise MarkupError(f"{where}: '# BEGIN SOLUTION' is never closed by '# END SOLUTION'")
    if not found:
        raise MarkupError(f"{where}: the cell is tagged 'exercise' but has no '# BEGIN SOLUTION' marker")
    return "\n".join(out)


def exercise_label(cells: list[nbformat.NotebookNode], index: int) -> str | None:
    """The label of the exercise cell ``cells[index]`` by the rule in the module docstring."""
    comment = LABEL_COMMENT.search(cells[index].source)
    if comment:
        return comment.group(1)
    for cell in cells[index + 1 :]:
        if cell.cell_type != "code":
            continue
        if "exercise" in _tags(cell):
            break
        call = CHECK_CALL.search(cell.source)
        if call:
            return call.group(1)
    return None


def _nbgrader(grade_id: str, *, solution: bool) -> dict:
    return {
        "grade": not solution,
        "grade_id": grade_id,
        "locked": not solution,
        "points": 0 if solution else 1,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }


def student_notebook(nb: nbformat.NotebookNode, name: str, *, nbgrader: bool = False) -> nbformat.NotebookNode:
    """The student version of ``nb`` (a new notebook; ``nb`` is not changed).

    Raises:
        MarkupError: malformed exercise markup; the message names ``name`` and the cell index.
    """
    nb = nbformat.from_dict(nb)
    cells = nb.cells
    kept: list[nbformat.NotebookNode] = []
    for i, cell in enumerate(cells):
        where = f"{name}, cell {i}"
        tags = _tags(cell)
        if cell.cell_type == "markdown" and SOLUTION_DIRECTIVE.search(cell.source) and "solution" not in tags:
            if any(SOLUTION_DIRECTIVE.match(line) for line in cell.source.splitlines()):
                raise MarkupError(f"{where}: a {{solution}} directive in a cell not tagged 'solution'")
        if "solution" in tags:
            continue
        if cell.cell_type == "code":
            is_exercise = "exercise" in tags
            if not is_exercise and any(ANY_MARKER.match(line) for line in cell.source.splitlines()):
                raise MarkupError(f"{where}: solution markers in a cell not tagged 'exercise'")
            if is_exercise:
                label = exercise_label(cells, i)
                if label is None:
                    raise MarkupError(
                        f'{where}: cannot tell which exercise this is: add a check("ex-...", fn) cell after it '
                        "or a '# exercise: ex-NN-slug' comment line"
                    )
                cell.source = strip_solution(cell.source, label, where)
                if nbgrader:
                    cell.metadata["nbgrader"] = _nbgrader(label, solution=True)
            elif nbgrader:
                call = CHECK_CALL.search(cell.source)
                if call:
                    cell.metadata["nbgrader"] = _nbgrader(f"{call.group(1)}-check", solution=False)
            cell.outputs, cell.execution_count = [], None
        kept.append(cell)
    nb.cells = kept
    return nb


def write_student_version(
    paths: list[Path], out: Path, *, zip_each: bool = False, nbgrader: bool = False
) -> list[Path]:
    """Write the student version of each notebook into ``out``; return the paths written.

    Every notebook is converted before anything is written, so a markup error leaves ``out`` as it was.
    """
    converted = [(p, student_notebook(nbformat.read(p, as_version=4), str(p), nbgrader=nbgrader)) for p in paths]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path, nb in converted:
        target = out / path.name
        nbformat.validate(nb)
        nbformat.write(nb, target)
        written.append(target)
        if zip_each:
            archive = out / f"{path.stem}.zip"
            with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.write(target, arcname=path.name)
            written.append(archive)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: chapters/*.ipynb")
    parser.add_argument("--out", type=Path, default=Path("_build/student"))
    parser.add_argument("--zip", action="store_true", help="also write one .zip per chapter")
    parser.add_argument("--nbgrader", action="store_true", help="add nbgrader cell metadata")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(Path("chapters").glob("*.ipynb"))
    if not paths:
        print("no notebooks given and none in chapters/", file=sys.stderr)
        return 2
    try:
        written = write_student_version(paths, args.out, zip_each=args.zip, nbgrader=args.nbgrader)
    except MarkupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
