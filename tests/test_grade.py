"""tools/grade.py on fixture submissions: correct, wrong, not attempted, forged, looping; its wire format.

The hostile cases (forgery, the library's answers, damage, leftovers, roster errors) are in
tests/test_grade_hostile.py.
"""

import csv
import importlib.util
import json
import os
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
_spec = importlib.util.spec_from_file_location("grade", ROOT / "tools" / "grade.py")
grade = importlib.util.module_from_spec(_spec)
sys.modules["grade"] = grade
_spec.loader.exec_module(grade)
sys.path.insert(0, str(ROOT / "tools"))
import grade_wire as wire  # noqa: E402
import sandbox  # noqa: E402

_WHY = sandbox.works()
needs_sandbox = pytest.mark.skipif(_WHY is not None, reason=f"no sandbox here: {_WHY}")


def _read(path):
    with path.open() as f:
        return {(r["student"], r["exercise"]): r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if _WHY is not None:
        pytest.skip(f"no sandbox here: {_WHY}")
    out = tmp_path_factory.mktemp("grades") / "grades.csv"
    source = FIXTURES / "chapters" / "01_fixture.ipynb"
    argv = [str(FIXTURES / "submissions"), "--source", str(source), "--out", str(out), "--cell-timeout", "3"]
    argv += ["--case-timeout", "2"]
    assert grade.main(argv) == 0
    return out


def test_one_row_per_student_and_exercise(graded):
    rows = _read(graded)
    assert sorted(rows) == [(s, e) for s in ("alice", "bob", "carol") for e in ("ex-01-gd-optimal", "ex-01-gd-step")]
    assert graded.read_text().splitlines()[0] == ",".join(grade.FIELDS)


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


@needs_sandbox
def test_notebook_time_limit_kills_the_submission(tmp_path):
    rows = grade.grade_submission(
        "carol",
        FIXTURES / "submissions" / "carol" / "01_fixture.ipynb",
        ["ex-01-gd-optimal", "ex-01-gd-step"],
        {"ex-01-gd-step": "gd_step", "ex-01-gd-optimal": "gd_optimal"},
        grade.Settings(timeout=3, cell_timeout=60),
    )
    assert [r["status"] for r in rows] == ["failed", "failed"]
    assert all("did not finish within 3 s" in r["message"] for r in rows)


def test_unreadable_and_missing_cells(tmp_path):
    bad = tmp_path / "01_broken.ipynb"
    bad.write_text("{not json")
    rows = grade.grade_submission("dave", bad, ["ex-01-gd-step"], {}, grade.Settings(timeout=5, cell_timeout=5))
    assert rows[0]["status"] == "failed" and "cannot be read" in rows[0]["message"]


def test_wire_round_trip_is_exact():
    values = [
        None,
        True,
        3,
        -0.1,
        float("nan"),
        float("-inf"),
        1 + 2j,
        np.float32(0.5),
        np.int64(7),
        np.array([[1.0, np.nan], [np.inf, -0.0]]),
        np.arange(3, dtype=np.int32),
        np.array([True, False]),
        (np.zeros(2), [1.5, "text"], {"a": 1}),
    ]
    for value in values:
        back = wire.decode(json.loads(json.dumps(wire.encode(value))))
        assert type(back) is type(value) or isinstance(value, str)
        if isinstance(value, (np.ndarray, np.generic)):
            assert back.dtype == value.dtype and back.shape == np.shape(value)
            assert np.array_equal(back, value, equal_nan=np.issubdtype(back.dtype, np.inexact))
    assert repr(wire.decode(json.loads(json.dumps(wire.encode(object))))).startswith("<class")


def test_wire_refuses_what_it_cannot_read_safely():
    objects = wire.encode(np.array([object()], dtype=object))
    assert objects["t"] == "opaque"  # object arrays are never sent as data
    bad = {"t": "array", "dtype": "|O", "shape": [1], "data": ""}
    with pytest.raises(wire.WireError, match="not allowed"):
        wire.decode(bad)
    huge = {"t": "array", "dtype": "<f8", "shape": [2**40], "data": ""}
    with pytest.raises(wire.WireError, match="too large"):
        wire.decode(huge)
    with pytest.raises(wire.WireError, match="unknown tag"):
        wire.decode({"t": "pickle", "data": ""})
    with pytest.raises(wire.WireError, match="malformed"):
        wire.parse(b'{"t": ' + b"9" * 5000 + b"}")
    with pytest.raises(wire.WireError, match="malformed"):
        wire.parse(b"[" * 100_000)
    with pytest.raises(wire.WireError, match="does not match"):
        wire.decode({"t": "array", "dtype": "<f8", "shape": [3], "data": "AAAAAAAAAAA="})


def test_csv_is_written_atomically(tmp_path):
    out = tmp_path / "g.csv"
    grade.write_csv([grade._row("a", "ex-01-gd-step", "passed", "", points=1.0)], out)
    assert out.read_text().splitlines() == [",".join(grade.FIELDS), "a,ex-01-gd-step,passed,,,1.0,,"]
    assert [p.name for p in tmp_path.iterdir()] == ["g.csv"]


def test_without_sandbox_the_grading_is_the_same(tmp_path):
    """--no-sandbox (inside a container): the same decisions, made in the grader's process."""
    cells = [
        "import numpy as np\n\n\ndef gd_step(x, grad, lr):\n    return x - lr * grad",
        "check('ex-01-gd-step', gd_step)",
    ]
    wrapper = [
        "from mom_lib import gd\n\n\ndef gd_step(x, grad, lr):\n    return gd(x, 0 * x, lambda _: grad, lr=lr)[0]"
    ]
    subs = tmp_path / "subs"
    for student, source in (("alice", cells), ("lazy", wrapper + cells[1:])):
        (subs / student).mkdir(parents=True)
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in source])
        nbformat.write(nb, subs / student / "01_fixture.ipynb")
    out = tmp_path / "g.csv"
    argv = [str(subs), "--exercises", "ex-01-gd-step", "--out", str(out), "--no-sandbox", "--cell-timeout", "5"]
    assert grade.main(argv) == 0
    rows = _read(out)
    assert rows["alice", "ex-01-gd-step"]["status"] == "passed"
    assert rows["lazy", "ex-01-gd-step"]["status"] == "uses library"


def test_the_sandbox_runs_wherever_bwrap_is_installed_and_we_are_root() -> None:
    """The hostile-class tests skip without a sandbox; as root with bwrap installed that would hide a bug
    (a virtualenv under /tmp once vanished behind the sandbox's private /tmp), so here it must run."""
    if sandbox.bwrap_path() is None or os.geteuid() != 0:
        pytest.skip("needs bwrap installed and root (make test installs it when root)")
    assert sandbox.works() is None
