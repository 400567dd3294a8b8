"""tools/student_version.py: solutions out, stubs in, malformed markup named by notebook and cell."""

import importlib.util
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "chapters" / "01_fixture.ipynb"
_spec = importlib.util.spec_from_file_location("student_version", ROOT / "tools" / "student_version.py")
sv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sv)


def _source():
    return nbformat.read(FIXTURE, as_version=4)


def test_solutions_become_stubs_with_their_labels(tmp_path):
    written = sv.write_student_version([FIXTURE], tmp_path, zip_each=True)
    assert [p.name for p in written] == ["01_fixture.ipynb", "01_fixture.zip"]
    nb = nbformat.read(tmp_path / "01_fixture.ipynb", as_version=4)
    exercises = [c.source for c in nb.cells if "exercise" in c.metadata.get("tags", [])]
    stub = 'def gd_step(x, grad, lr):\n    raise NotImplementedError("ex-01-gd-step")\n    return x_next'
    assert exercises[0] == stub
    assert '        raise NotImplementedError("ex-01-gd-optimal")\n    return lr, rate' in exercises[1]
    assert all("SOLUTION" not in c.source and "2.0 / (mu + L)" not in c.source for c in nb.cells)
    assert not [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    assert len(nb.cells) == len(_source().cells) - 2
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")
    with zipfile.ZipFile(tmp_path / "01_fixture.zip") as zf:
        assert zf.namelist() == ["01_fixture.ipynb"]


def test_source_notebook_is_unchanged():
    nb = _source()
    before = nbformat.writes(nb)
    sv.student_notebook(nb, "x")
    assert nbformat.writes(nb) == before


def test_nbgrader_metadata():
    nb = sv.student_notebook(_source(), "x", nbgrader=True)
    meta = [c.metadata.get("nbgrader") for c in nb.cells if c.metadata.get("nbgrader")]
    ids = ["ex-01-gd-step", "ex-01-gd-step-check", "ex-01-gd-optimal", "ex-01-gd-optimal-check"]
    assert [m["grade_id"] for m in meta] == ids
    assert meta[0]["solution"] and not meta[0]["grade"] and meta[1]["grade"] and meta[1]["locked"]


def _broken(index, source, tags=("exercise",), cell_type="code"):
    nb = _source()
    nb.cells[index].source = source
    nb.cells[index].cell_type = cell_type
    if tags is not None:
        nb.cells[index].metadata["tags"] = list(tags)
    return nb


@pytest.mark.parametrize(
    ("nb", "phrase"),
    [
        (_broken(2, "def f():\n    # BEGIN SOLUTION\n    return 1"), "never closed"),
        (_broken(2, "def f():\n    # END SOLUTION\n    return 1"), "without a '# BEGIN SOLUTION'"),
        (_broken(2, "# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n# END SOLUTION"), "nested"),
        (_broken(2, "### BEGIN SOLUTION\nx = 1\n### END SOLUTION"), "single"),
        (_broken(2, "def f():\n    return 1"), "has no '# BEGIN SOLUTION'"),
        (_broken(1, "# BEGIN SOLUTION\nx = 1\n# END SOLUTION", tags=()), "not tagged 'exercise'"),
        (
            _broken(4, "```{solution} ex-01-gd-step\nsecret\n```", tags=(), cell_type="markdown"),
            "not tagged 'solution'",
        ),
    ],
)
def test_malformed_markup_names_notebook_and_cell(nb, phrase):
    with pytest.raises(sv.MarkupError) as info:
        sv.student_notebook(nb, "chapters/01_fixture.ipynb")
    assert "chapters/01_fixture.ipynb, cell" in str(info.value)
    assert phrase.replace("single", "'# BEGIN SOLUTION'") in str(info.value)


def test_an_exercise_without_a_label_is_an_error():
    nb = _source()
    del nb.cells[3]  # the check call of ex-01-gd-step
    with pytest.raises(sv.MarkupError, match=r"01_fixture.ipynb, cell 2: cannot tell which exercise"):
        sv.student_notebook(nb, "01_fixture.ipynb")


def test_the_label_comment_wins():
    nb = _source()
    nb.cells[2].source = "# exercise: ex-01-other\n" + nb.cells[2].source
    out = sv.student_notebook(nb, "x")
    assert 'raise NotImplementedError("ex-01-other")' in out.cells[2].source


def test_command_line_reports_errors_without_writing(tmp_path, capsys):
    bad = tmp_path / "02_bad.ipynb"
    nbformat.write(_broken(2, "# BEGIN SOLUTION\nx = 1"), bad)
    out = tmp_path / "out"
    assert sv.main([str(FIXTURE), str(bad), "--out", str(out)]) == 1
    assert "02_bad.ipynb, cell 2" in capsys.readouterr().err
    assert not out.exists()
    assert sv.main([str(FIXTURE), "--out", str(out)]) == 0
    assert (out / "01_fixture.ipynb").exists()


def test_nbgrader_blank_notebook_gets_no_marks(tmp_path):
    """nbgrader's autograde gives a test cell its points when it raises nothing: a blank answer must raise."""
    import os

    from nbclient import NotebookClient

    blank = sv.student_notebook(_source(), "fixture", nbgrader=True)
    env = {k: v for k, v in os.environ.items() if k != "MOM_LIB_STRICT_CHECKS"}
    env["NBGRADER_EXECUTION"] = "autograde"  # what nbgrader sets while it autogrades a notebook
    client = NotebookClient(blank, timeout=60, kernel_name="python3", allow_errors=True)
    client.execute(env=env, cwd=str(tmp_path))
    tests = [c for c in blank.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(tests) == 2
    for cell in tests:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert errors and errors[0].ename == "ExerciseNotAttempted", cell.source
