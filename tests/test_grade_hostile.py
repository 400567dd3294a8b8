"""tools/grade.py against a hostile class: forged grades, answers taken from the library, damage
to other students and to the grades, leftover processes, memory, roster errors, nbgrader.

Every submission here is a small notebook written by the test. The grading runs in bubblewrap;
the tests skip when it is not available (``make test`` installs it when run as root).
"""

import csv
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SOURCE = FIXTURES / "chapters" / "01_fixture.ipynb"
sys.path.insert(0, str(ROOT / "tools"))
_spec = importlib.util.spec_from_file_location("grade", ROOT / "tools" / "grade.py")
grade = importlib.util.module_from_spec(_spec)
sys.modules["grade"] = grade
_spec.loader.exec_module(grade)
import sandbox  # noqa: E402

_WHY = sandbox.works()
pytestmark = pytest.mark.skipif(_WHY is not None, reason=f"no sandbox here: {_WHY}")

STEP = "import numpy as np\n\n\ndef gd_step(x, grad, lr):\n    return x - lr * grad"
WRONG_STEP = "import numpy as np\n\n\ndef gd_step(x, grad, lr):\n    return x + lr * grad"
OPTIMAL = "def gd_optimal(mu, L):\n    return 2.0 / (mu + L), (L - mu) / (L + mu)"
CHECKS = ['from mom_lib import check\n\ncheck("ex-01-gd-step", gd_step)', 'check("ex-01-gd-optimal", gd_optimal)']
# the options today's grader knows too, short limits for a fast suite
FAST = ["--cell-timeout", "3", "--timeout", "20"]


def _write(path: Path, *cells: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbformat.write(nb, path)
    return path


def _read(path):
    with path.open() as f:
        return {(r["student"], r["exercise"]): r for r in csv.DictReader(f)}


def _pids_with(token: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if token.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return [p for p in found if p != os.getpid()]


def _kill_all(token: str) -> None:
    for pid in _pids_with(token):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


FORGE_RESULTS = """
import json, os

def gd_step(x, grad, lr):
    # append "passed" lines to the results file named on the parent's command line, then die
    for pid in {os.getppid(), os.getpid()}:
        try:
            args = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
        except OSError:
            continue
        if b"--results" in args:
            with open(args[args.index(b"--results") + 1].decode(), "a") as f:
                for e in ("ex-01-gd-step", "ex-01-gd-optimal"):
                    f.write(json.dumps({"exercise": e, "status": "passed", "message": ""}) + "\\n")
    os._exit(0)
"""
PATCH_CHECK = """
import mom_lib, mom_lib.exercises, mom_lib.exercises._core as core

def _fake(eid, fn, **kwargs):
    print(f"{eid}: passed (6 cases)")

mom_lib.check = mom_lib.exercises.check = core.check = _fake
"""
PATCH_ALLCLOSE = "import numpy as np\nnp.allclose = lambda *a, **k: True"
CUSTOM_EXC = """
def _say_passed(shell, etype, value, tb, tb_offset=None):
    print("ex-01-gd-step: passed (6 cases)")

get_ipython().set_custom_exc((BaseException,), _say_passed)
"""
LIB_WRAPPER = "from mom_lib import gd\n\n\ndef gd_step(x, grad, lr):\n    return gd(x, 0 * x, lambda _: grad, lr=lr)[0]"
LIB_REFERENCE = """
from mom_lib.exercises import get_exercise

def gd_step(x, grad, lr):
    return get_exercise("ex-01-gd-step").reference(x, grad, lr)
"""


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    """One class graded together: honest students and every kind of forger and vandal."""
    tmp = tmp_path_factory.mktemp("class")
    subs, out = tmp / "submissions", tmp / "out" / "grades.csv"
    token = f"vandal-{uuid.uuid4().hex}"
    name = "01_fixture.ipynb"
    alice = _write(subs / "alice" / name, STEP, CHECKS[0], OPTIMAL, CHECKS[1])
    _write(subs / "bob" / name, WRONG_STEP, CHECKS[0], OPTIMAL, CHECKS[1])
    _write(subs / "forge_results" / name, FORGE_RESULTS, CHECKS[0], OPTIMAL, CHECKS[1])
    _write(subs / "patch_check" / name, PATCH_CHECK, WRONG_STEP, CHECKS[0], OPTIMAL, CHECKS[1])
    _write(subs / "patch_allclose" / name, PATCH_ALLCLOSE, WRONG_STEP, CHECKS[0], OPTIMAL, CHECKS[1])
    _write(subs / "custom_exc" / name, CUSTOM_EXC, WRONG_STEP, CHECKS[0], OPTIMAL, CHECKS[1])
    _write(subs / "lib_wrapper" / name, LIB_WRAPPER, CHECKS[0], OPTIMAL, CHECKS[1])
    _write(subs / "lib_reference" / name, LIB_REFERENCE, CHECKS[0], OPTIMAL, CHECKS[1])
    weird = """
import numpy as np

class Evil:
    def __repr__(self):
        raise RuntimeError("no repr for you")

    def __array__(self, *args, **kwargs):
        raise RuntimeError("no array either")

def gd_step(x, grad, lr):
    return Evil()

def gd_optimal(mu, L):
    return np.zeros(5_000_000), [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
"""
    _write(subs / "weird" / name, weird, *CHECKS)
    escape = f"""
import os, socket, subprocess

def _try(thunk):
    try:
        thunk()
        return True
    except BaseException:
        return False

def _connect():
    socket.create_connection(("1.1.1.1", 443), timeout=1).close()

procs = []
def _spawn():
    for _ in range(100):
        procs.append(subprocess.Popen(["sleep", "30"]))

net = _try(_connect)
write = _try(lambda: open("/usr/escaped", "w").write("x"))
book = os.path.exists({str(ROOT / "chapters")!r}) or os.path.exists({str(subs)!r})
_try(_spawn)

def gd_step(x, grad, lr):
    raise RuntimeError(f"net={{net}} write={{write}} book={{book}} many={{len(procs) >= 100}}")
"""
    _write(subs / "escape" / name, escape, CHECKS[0])
    vandal = f"""
import os, signal, subprocess, sys
for target in ({str(alice)!r}, os.path.join(os.path.dirname(os.getcwd()), "alice", {name!r})):
    try:
        open(target, "w").write("{{}}")
    except OSError:
        pass
late = '''
import os, time
# {token}
out = {str(out)!r}
while not os.path.exists(out):
    time.sleep(0.05)
time.sleep(0.5)
open(out, "w").write("forged")
while True:
    pass
'''
subprocess.Popen([sys.executable, "-c", late], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGALRM, signal.SIG_IGN)
"""
    stubborn = (
        "signal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass"  # ignores every limit but the last
    )
    _write(subs / "vandal" / name, vandal, STEP, CHECKS[0], OPTIMAL, CHECKS[1], stubborn)
    argv = [str(subs), "--source", str(SOURCE), "--out", str(out), "--cell-timeout", "2", "--timeout", "5"]
    before = alice.read_bytes()
    try:
        status = grade.main(argv)
        time.sleep(1.5)  # the vandal's late writer would strike 0.5 s after the CSV appears
        yield {"rows": _read(out), "out": out, "status": status, "alice": (alice, before), "token": token}
    finally:
        _kill_all(token)


def test_honest_grades_intact(hostile_class):
    rows = hostile_class["rows"]
    assert hostile_class["status"] == 0
    assert rows["alice", "ex-01-gd-step"]["status"] == "passed"
    assert rows["alice", "ex-01-gd-optimal"]["status"] == "passed"
    assert rows["bob", "ex-01-gd-step"]["status"] == "failed"
    assert "you stepped uphill" in rows["bob", "ex-01-gd-step"]["message"]
    assert rows["vandal", "ex-01-gd-step"]["status"] == "failed"
    assert "did not finish within 5 s" in rows["vandal", "ex-01-gd-step"]["message"]


@pytest.mark.parametrize("student", ["forge_results", "patch_check", "patch_allclose", "custom_exc"])
def test_forged_grades_fail(hostile_class, student):
    row = hostile_class["rows"][student, "ex-01-gd-step"]
    assert row["status"] == "failed", row


def test_wrong_answers_still_get_their_hint_despite_patches(hostile_class):
    for student in ("patch_check", "patch_allclose", "custom_exc"):
        assert "you stepped uphill" in hostile_class["rows"][student, "ex-01-gd-step"]["message"]


@pytest.mark.parametrize("student", ["lib_wrapper", "lib_reference"])
def test_answers_calling_the_library_are_reported(hostile_class, student):
    row = hostile_class["rows"][student, "ex-01-gd-step"]
    assert row["status"] == "uses library", row
    assert "mom_lib" in row["message"]


def test_strange_return_values_fail_without_harm(hostile_class):
    rows = hostile_class["rows"]
    assert rows["weird", "ex-01-gd-step"]["status"] == "failed"
    assert "returned a Evil" in rows["weird", "ex-01-gd-step"]["message"]
    assert rows["weird", "ex-01-gd-optimal"]["status"] == "failed"


def test_sandbox_has_no_network_no_writable_system_no_book_and_few_processes(hostile_class):
    message = hostile_class["rows"]["escape", "ex-01-gd-step"]["message"]
    assert "net=False write=False book=False many=False" in message


def test_no_damage_to_others(hostile_class):
    alice, before = hostile_class["alice"]
    assert alice.read_bytes() == before
    text = hostile_class["out"].read_text()
    assert text.startswith("student,exercise,status")  # not rewritten after the grader returned
    assert _pids_with(hostile_class["token"]) == []  # the detached busy process died with its sandbox


def _ch04(path: Path, *cells: str) -> Path:
    return _write(
        path, "import numpy as np\nfrom mom_lib import half_life", *cells, 'check("ex-04-half-life", half_life)'
    )


def test_deleted_or_broken_exercise_cell_is_not_the_librarys_pass(tmp_path):
    subs = tmp_path / "subs"
    _ch04(subs / "deleted" / "04_ewma.ipynb", "from mom_lib import check")
    _ch04(subs / "syntax" / "04_ewma.ipynb", "from mom_lib import check", "def half_life(beta):\n    return (")
    _ch04(
        subs / "honest" / "04_ewma.ipynb",
        "from mom_lib import check",
        "def half_life(beta):\n    return float(np.log(0.5) / np.log(beta))",
    )
    out = tmp_path / "g.csv"
    assert grade.main([str(subs), "--exercises", "ex-04-half-life", "--out", str(out), *FAST]) == 0
    rows = _read(out)
    assert rows["honest", "ex-04-half-life"]["status"] == "passed"
    for student in ("deleted", "syntax"):
        row = rows[student, "ex-04-half-life"]
        assert row["status"] == "uses library", row
        assert "mom_lib.half_life" in row["message"]


def test_hidden_cases_and_the_grader_are_out_of_reach(tmp_path):
    private = tmp_path / "private" / "cases.py"
    private.parent.mkdir()
    private.write_text(
        "import numpy as np\nfrom mom_lib.exercises import Case, add_cases\n"
        'add_cases("ex-01-gd-step", [Case("private: 5-D", {"x": np.ones(5), "grad": np.arange(5.0), "lr": 0.3}, '
        "hidden=True)])\n"
    )
    snoop = f"""
import os, glob

def gd_step(x, grad, lr):
    seen = os.path.exists({str(private)!r}) or os.path.exists({str(ROOT / "mom_lib")!r})
    env = "MOM_LIB_PRIVATE_CASES" in os.environ
    raise RuntimeError(f"seen={{seen}} env={{env}}")
"""
    subs = tmp_path / "subs"
    _write(subs / "snoop" / "01_fixture.ipynb", snoop, CHECKS[0])
    _write(subs / "alice" / "01_fixture.ipynb", STEP, CHECKS[0])
    out = tmp_path / "g.csv"
    env = {**os.environ, "MOM_LIB_PRIVATE_CASES": str(private)}
    cmd = [sys.executable, str(ROOT / "tools" / "grade.py"), str(subs), "--exercises", "ex-01-gd-step"]
    run = subprocess.run([*cmd, "--out", str(out), *FAST], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    rows = _read(out)
    assert "seen=False env=False" in rows["snoop", "ex-01-gd-step"]["message"]
    assert rows["alice", "ex-01-gd-step"]["status"] == "passed", rows["alice", "ex-01-gd-step"]["message"]
    assert rows["alice", "ex-01-gd-step"]["cases_total"] == "7"  # the hidden case was graded


def test_killed_grader_leaves_no_csv_and_no_process(tmp_path):
    token = f"leftover-{uuid.uuid4().hex}"
    busy = f"""
import subprocess, sys
subprocess.Popen([sys.executable, "-c", "# {token}\\nwhile True: pass"], start_new_session=True)
"""
    subs = tmp_path / "subs"
    _write(subs / "looper" / "01_fixture.ipynb", busy, STEP, "while True:\n    pass", CHECKS[0])
    out = tmp_path / "g.csv"
    out.write_text("student,exercise,status,message\nold,ex-01-gd-step,passed,\n")
    cmd = [sys.executable, str(ROOT / "tools" / "grade.py"), str(subs), "--exercises", "ex-01-gd-step"]
    proc = subprocess.Popen([*cmd, "--out", str(out), "--cell-timeout", "60", "--timeout", "60"])
    try:
        deadline = time.monotonic() + 30
        while not _pids_with(token) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _pids_with(token), "the submission's process never started"
        proc.kill()
        assert proc.wait(timeout=10) != 0
        time.sleep(1.0)
        assert not out.exists()  # no stale grades that look current
        assert _pids_with(token) == []
    finally:
        proc.kill()
        _kill_all(token)


def test_memory_limit(tmp_path):
    hog = "buf = bytearray(1024 * 2**20)"
    subs = tmp_path / "subs"
    _write(subs / "hog" / "01_fixture.ipynb", "x = 1", hog, STEP, CHECKS[0])
    out = tmp_path / "g.csv"
    argv = [str(subs), "--exercises", "ex-01-gd-step", "--out", str(out), *FAST, "--memory-mb", "512"]
    assert grade.main(argv) == 0
    assert _read(out)["hog", "ex-01-gd-step"]["status"] == "passed"
    (report,) = (p.read_text() for p in (tmp_path / "g.csv.feedback").glob("hog-*.md"))
    assert "cell 2: MemoryError" in report


def test_a_flood_of_output_costs_the_grader_nothing(tmp_path):
    flood = "import sys\nfor _ in range(256):\n    sys.stdout.write('x' * 2**20)"  # 256 MB in a few seconds
    subs = tmp_path / "subs"
    _write(subs / "flood" / "01_fixture.ipynb", flood, STEP, CHECKS[0])
    out = tmp_path / "g.csv"
    grader = [str(ROOT / "tools" / "grade.py"), str(subs), "--exercises", "ex-01-gd-step", "--out", str(out), *FAST]
    # the largest resident set among the grader and everything it started, measured from a fresh parent
    probe = "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
    probe += "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    run = subprocess.run([sys.executable, "-c", probe, sys.executable, *grader], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    peak_mb = int(run.stdout.split()[-1]) / 1024
    assert _read(out)["flood", "ex-01-gd-step"]["status"] == "passed"
    assert peak_mb < 200, f"a process of the grader reached {peak_mb:.0f} MB"


def test_roster_errors_are_reported(tmp_path):
    subs = tmp_path / "subs"
    (subs / "erin").mkdir(parents=True)
    _write(subs / "frank" / "work" / "01_fixture.ipynb", STEP, CHECKS[0], OPTIMAL, CHECKS[1])
    _write(subs / "gina" / "01_fixture.ipynb", STEP, CHECKS[0], OPTIMAL, CHECKS[1])
    _write(subs / "gina" / "01_fixture-copy.ipynb", WRONG_STEP, CHECKS[0])
    _write(subs / "hank" / "03_velocity_update.ipynb", "def momentum_step(x, v, grad, lr, beta):\n    return x, v")
    _write(subs / "ivan" / "01_fixture.ipynb", "def gd_stepp(x, grad, lr):\n    return x - lr * grad", OPTIMAL)
    out = tmp_path / "g.csv"
    assert grade.main([str(subs), "--source", str(SOURCE), "--out", str(out), *FAST]) == 0
    with out.open() as f:
        rows = list(csv.DictReader(f))
    by = {(r["student"], r["exercise"]): r for r in rows}
    assert len(rows) == len(by)  # one row per student and exercise, never two
    assert by["erin", "ex-01-gd-step"]["status"] == "not graded"
    assert "no notebook" in by["erin", "ex-01-gd-step"]["message"]
    assert by["frank", "ex-01-gd-step"]["status"] == "passed"
    assert "subfolder" in by["frank", "ex-01-gd-step"]["message"]
    assert by["gina", "ex-01-gd-step"]["status"] == "passed"
    assert "01_fixture-copy.ipynb" in by["gina", "ex-01-gd-step"]["message"]
    assert by["hank", "ex-01-gd-step"]["status"] == "not graded"
    assert "wrong notebook" in by["hank", "ex-01-gd-step"]["message"]
    assert by["ivan", "ex-01-gd-step"]["status"] == "missing"
    assert "gd_stepp" in by["ivan", "ex-01-gd-step"]["message"]
    assert by["ivan", "ex-01-gd-optimal"]["status"] == "passed"


def test_no_sandbox_is_an_error_not_a_silent_fallback(tmp_path):
    subs = tmp_path / "subs"
    _write(subs / "alice" / "01_fixture.ipynb", STEP, CHECKS[0])
    cmd = [sys.executable, str(ROOT / "tools" / "grade.py"), str(subs), "--out", str(tmp_path / "g.csv")]
    run = subprocess.run(cmd, env={"PATH": "/nonexistent"}, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "bwrap" in run.stderr


def test_results_are_resumable(tmp_path):
    subs = tmp_path / "subs"
    _write(subs / "alice" / "01_fixture.ipynb", STEP, CHECKS[0])
    out = tmp_path / "g.csv"
    argv = [str(subs), "--exercises", "ex-01-gd-step", "--out", str(out), *FAST]
    assert grade.main(argv) == 0
    (part,) = (tmp_path / "g.csv.parts").glob("alice-*.json")
    saved = json.loads(part.read_text())
    saved["rows"][0]["message"] = "reused"
    part.write_text(json.dumps(saved))
    assert grade.main([*argv, "--resume"]) == 0
    assert _read(out)["alice", "ex-01-gd-step"]["message"] == "reused"
    assert grade.main(argv) == 0  # without --resume everything is graded again
    assert _read(out)["alice", "ex-01-gd-step"]["message"] == ""
