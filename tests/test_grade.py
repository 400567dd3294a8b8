"""tools/grade.py on fixture submissions: correct, wrong, not attempted, forged, looping."""

import csv
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
_spec = importlib.util.spec_from_file_location("grade", ROOT / "tools" / "grade.py")
grade = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(grade)


def _read(path):
    with path.open() as f:
        return {(r["student"], r["exercise"]): r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("grades") / "grades.csv"
    source = FIXTURES / "chapters" / "01_fixture.ipynb"
    argv = [str(FIXTURES / "submissions"), "--source", str(source), "--out", str(out), "--cell-timeout", "3"]
    assert grade.main(argv) == 0
    return out


def test_one_row_per_student_and_exercise(graded):
    rows = _read(graded)
    assert sorted(rows) == [(s, e) for s in ("alice", "bob", "carol") for e in ("ex-01-gd-optimal", "ex-01-gd-step")]
    assert graded.read_text().splitlines()[0] == "student,exercise,status,message"


def test_correct_submission_passes(graded):
    rows = _read(graded)
    assert rows["alice", "ex-01-gd-step"]["status"] == "passed"
    assert rows["alice", "ex-01-gd-optimal"]["status"] == "passed"


def test_mistake_and_not_attempted(graded):
    rows = _read(graded)
    assert rows["bob", "ex-01-gd-step"]["status"] == "failed"
    assert "you stepped uphill" in rows["bob", "ex-01-gd-step"]["message"]
    assert rows["bob", "ex-01-gd-optimal"]["status"] == "not attempted"


def test_looping_and_forged_submission_costs_only_its_own_rows(graded):
    rows = _read(graded)
    # carol printed a fake "passed" line instead of calling check; her gd_step loops forever,
    # and her last cell too: the grader's own check reports the loop, the rest is graded
    assert rows["carol", "ex-01-gd-step"]["status"] == "failed"
    assert "took longer than" in rows["carol", "ex-01-gd-step"]["message"]
    assert rows["carol", "ex-01-gd-optimal"]["status"] == "passed"


def test_notebook_time_limit_kills_the_submission(tmp_path):
    rows = grade.grade_submission(
        "carol",
        FIXTURES / "submissions" / "carol" / "01_fixture.ipynb",
        ["ex-01-gd-optimal", "ex-01-gd-step"],
        {"ex-01-gd-step": "gd_step", "ex-01-gd-optimal": "gd_optimal"},
        timeout=3,
        cell_timeout=60,
    )
    assert [r["status"] for r in rows] == ["failed", "failed"]
    assert all("did not finish within 3 s" in r["message"] for r in rows)


def test_unreadable_and_missing_cells(tmp_path):
    bad = tmp_path / "01_broken.ipynb"
    bad.write_text("{not json")
    rows = grade.grade_submission("dave", bad, ["ex-01-gd-step"], {}, timeout=5, cell_timeout=5)
    assert rows[0]["status"] == "failed" and "cannot be read" in rows[0]["message"]


def test_result_parsing():
    err = {"output_type": "error", "ename": "ExerciseNotAttempted", "evalue": "ex-01-gd-step: not attempted yet"}
    assert grade.result_of("ex-01-gd-step", "gd_step", [err])[0] == "not attempted"
    name = {"output_type": "error", "ename": "NameError", "evalue": "name 'gd_step' is not defined"}
    assert grade.result_of("ex-01-gd-step", "gd_step", [name])[0] == "not attempted"
    assert grade.result_of("ex-01-gd-step", "gd_step", [])[0] == "failed"
    long = {"output_type": "error", "ename": "ExerciseFailure", "evalue": "x" * 5000}
    assert len(grade.result_of("ex-01-gd-step", "gd_step", [long])[1]) == grade.MESSAGE_LIMIT


def test_csv_is_written_atomically(tmp_path):
    out = tmp_path / "g.csv"
    grade.write_csv([grade._row("a", "ex-01-gd-step", "passed", "")], out)
    assert out.read_text().splitlines() == ["student,exercise,status,message", "a,ex-01-gd-step,passed,"]
    assert [p.name for p in tmp_path.iterdir()] == ["g.csv"]
