"""Grade submitted chapter notebooks: run each in a fresh kernel, write one CSV row per student and exercise.

Usage: python tools/grade.py SUBMISSIONS [--out grades.csv] [--timeout 600] [--cell-timeout 120]
                             [--exercises ex-03-momentum-step,...]

``SUBMISSIONS`` is a directory holding either ``<student>/<chapter>.ipynb`` (one folder per
student) or ``<student>.ipynb`` files, or a single notebook. The CSV has the columns
``student, exercise, status, message`` with status ``passed``, ``failed`` or ``not attempted``.

How a submission is graded:

* it runs in its own process and a fresh kernel, with ``MOM_LIB_STRICT_CHECKS=1`` in the
  kernel's environment, a time limit per cell (a cell that runs out is interrupted and the
  next one runs) and one per notebook (after which the whole process group is killed);
* after the student's cells the grader appends one cell per exercise calling
  ``check("<id>", <function>)`` itself, and the result is read from *that* cell's output or
  exception -- not from the outputs stored in or printed by the notebook. The function name
  comes from the ``check(...)`` call of the released notebook (``--source``) or, failing
  that, of the submission;
* the exercises expected are those given by ``--exercises``, else those checked in
  ``--source``, else every registered exercise of the chapter number the file name starts with;
  one whose cells were deleted is ``not attempted``;
* outputs are dropped as soon as each cell has run, so a notebook printing megabytes costs
  memory for one cell only; messages in the CSV are cut to 500 characters.

A submission that loops, crashes its kernel or misbehaves otherwise costs only its own rows.
The CSV is written atomically (a temporary file, then ``os.replace``).

Student code is untrusted: run this inside a container (see the instructors' page).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

CHECK_CALL = re.compile(r"""\bcheck\(\s*["'](ex-\d{2}-[a-z0-9-]+)["']\s*,\s*([A-Za-z_][A-Za-z0-9_]*)""")
MESSAGE_LIMIT = 500
FIELDS = ("student", "exercise", "status", "message")
_MARK = "# graded by tools/grade.py: "


def check_calls(nb: nbformat.NotebookNode) -> dict[str, str]:
    """``{exercise id: function name}`` from the ``check("ex-...", fn)`` calls of a notebook."""
    found: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            for eid, fn in CHECK_CALL.findall(cell.source):
                found.setdefault(eid, fn)
    return found


def expected_exercises(path: Path, source: dict[str, str] | None, only: list[str] | None) -> list[str]:
    if only:
        return only
    if source:
        return sorted(source)
    from mom_lib.exercises import exercise_ids

    chapter = re.match(r"(\d{2})", path.name)
    return [e for e in exercise_ids() if chapter and e.startswith(f"ex-{chapter.group(1)}-")]


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def _grader_cell(eid: str, fn: str) -> nbformat.NotebookNode:
    source = f"{_MARK}{eid}\nfrom mom_lib.exercises import check as _check\n_check({eid!r}, {fn})"
    return nbformat.v4.new_code_cell(source)


def result_of(eid: str, fn: str, outputs: list[dict]) -> tuple[str, str]:
    """(status, message) from the outputs of the grader's check cell for ``eid``."""
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")
    errors = [o for o in outputs if o.get("output_type") == "error"]
    if errors:
        ename, evalue = errors[0].get("ename", ""), errors[0].get("evalue", "")
        if ename == "ExerciseNotAttempted":
            return "not attempted", _short(evalue)
        if ename == "NameError" and f"'{fn}'" in evalue:
            return "not attempted", _short(f"{fn} is not defined (was its cell deleted or did it fail?)")
        if ename == "ExerciseFailure":
            return "failed", _short(evalue)
        return "failed", _short(f"{ename}: {evalue}")
    if re.search(rf"^{re.escape(eid)}: passed \(\d+ cases\)$", text, re.MULTILINE):
        return "passed", ""
    if re.search(rf"^{re.escape(eid)}: not attempted yet$", text, re.MULTILINE):
        return "not attempted", "not attempted yet"
    return "failed", "the check produced no result"


def run_one(path: Path, plan: dict[str, str], result_file: Path, cell_timeout: int) -> None:
    """Execute ``path`` plus the grader's cells; append one JSON line per graded exercise to ``result_file``."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type in ("code", "markdown", "raw")]
    first_grader = len(nb.cells)
    order = list(plan.items())
    nb.cells.extend(_grader_cell(eid, fn) for eid, fn in order)

    def on_cell_executed(cell, cell_index, execute_reply):
        if cell_index >= first_grader:
            eid, fn = order[cell_index - first_grader]
            status, message = result_of(eid, fn, cell.get("outputs", []))
            with result_file.open("a") as f:
                f.write(json.dumps({"exercise": eid, "status": status, "message": message}) + "\n")
        cell.outputs = []  # keep memory bounded, whatever the cell printed

    env = {**os.environ, "MOM_LIB_STRICT_CHECKS": "1"}
    client = NotebookClient(
        nb,
        timeout=cell_timeout,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_executed=on_cell_executed,
    )
    try:
        client.execute(env=env)
    except DeadKernelError:
        pass  # the parent reports the exercises without a result


def grade_submission(
    student: str, path: Path, exercises: list[str], names: dict[str, str], timeout: int, cell_timeout: int
) -> list[dict[str, str]]:
    """The CSV rows of one submission; never raises for anything the submission does."""
    rows: dict[str, dict[str, str]] = {}
    try:
        nb = nbformat.read(path, as_version=4)
        own = check_calls(nb)
    except Exception as exc:  # noqa: BLE001 - an unreadable file is the student's row, not our crash
        return [_row(student, e, "failed", f"the notebook cannot be read: {_short(exc)}") for e in exercises]
    plan = {}
    for eid in exercises:
        fn = names.get(eid) or own.get(eid)
        if fn is None:
            rows[eid] = _row(student, eid, "not attempted", "no check cell for this exercise in the submission")
        else:
            plan[eid] = fn
    if plan:
        with tempfile.TemporaryDirectory() as tmp:
            result_file = Path(tmp) / "results.jsonl"
            result_file.touch()
            cmd = [sys.executable, __file__, "--run-one", str(path), "--plan", json.dumps(plan)]
            cmd += ["--results", str(result_file), "--cell-timeout", str(cell_timeout)]
            why = "no result: the kernel died before the grader's checks ran"
            proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                why = f"the notebook did not finish within {timeout} s"
            for line in result_file.read_text().splitlines():
                r = json.loads(line)
                rows[r["exercise"]] = _row(student, r["exercise"], r["status"], r["message"])
            for eid in plan:
                rows.setdefault(eid, _row(student, eid, "failed", why))
    return [rows[e] for e in exercises]


def _row(student: str, exercise: str, status: str, message: str) -> dict[str, str]:
    return {"student": student, "exercise": exercise, "status": status, "message": message}


def submissions(root: Path) -> list[tuple[str, Path]]:
    """(student, notebook) pairs: ``root/<student>/*.ipynb``, ``root/<student>.ipynb``, or ``root`` itself."""
    if root.is_file():
        return [(root.stem, root)]
    found = [(p.stem, p) for p in sorted(root.glob("*.ipynb"))]
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        found += [(folder.name, p) for p in sorted(folder.glob("*.ipynb"))]
    return found


def write_csv(rows: list[dict[str, str]], out: Path) -> None:
    """Write ``rows`` to ``out`` atomically."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("submissions", type=Path, nargs="?")
    parser.add_argument("--out", type=Path, default=Path("grades.csv"))
    parser.add_argument("--source", type=Path, help="the released notebook: which exercises, which functions")
    parser.add_argument("--exercises", help="comma-separated exercise ids to grade")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per notebook")
    parser.add_argument("--cell-timeout", type=int, default=120, help="seconds per cell")
    parser.add_argument("--run-one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    parser.add_argument("--results", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_one:
        run_one(args.run_one, json.loads(args.plan), args.results, args.cell_timeout)
        return 0
    if args.submissions is None:
        parser.error("give the submissions directory")
    names = check_calls(nbformat.read(args.source, as_version=4)) if args.source else {}
    only = [e.strip() for e in args.exercises.split(",")] if args.exercises else None
    rows: list[dict[str, str]] = []
    for student, path in submissions(args.submissions):
        exercises = expected_exercises(path, names or None, only)
        rows += grade_submission(student, path, exercises, names, args.timeout, args.cell_timeout)
        print(f"{student}: {sum(r['status'] == 'passed' for r in rows if r['student'] == student)} passed")
    write_csv(rows, args.out)
    print(f"{len(rows)} rows written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
