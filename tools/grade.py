"""Grade submitted chapter notebooks in a sandbox each; one CSV row per student and exercise.

Usage: python tools/grade.py SUBMISSIONS [--source RELEASED.ipynb] [--out grades.csv]
                             [--exercises ex-03-momentum-step,...] [--points ex-03-momentum-step=2,...]
                             [--timeout 600] [--cell-timeout 120] [--case-timeout 10]
                             [--memory-mb 2048] [--jobs N] [--resume] [--no-sandbox]

``SUBMISSIONS`` is a directory holding ``<student>/<chapter>.ipynb`` (one folder per student)
or ``<student>.ipynb`` files, or a single notebook. The CSV has the columns ``student, exercise,
status, cases_passed, cases_total, points, max_points, message``; the status is one of

* ``passed`` -- every case agrees with the reference;
* ``failed`` -- some case does not (``points`` gives the partial credit, the share of cases
  passed times ``max_points``), or the function raised, looped or changed its inputs;
* ``not attempted`` -- the function still raises ``NotImplementedError``, or its cell is gone;
* ``uses library`` -- the answer is, or calls, the library's own implementation;
* ``missing`` -- no function of that name (the message names a close one, if any);
* ``not graded`` -- a roster problem: no notebook, several notebooks, the wrong chapter's.

How a submission is graded (the grading decisions are all made here, never in its process):

1. Its code cells run in order in a fresh Python (an IPython shell) inside a sandbox
   (tools/sandbox.py: bubblewrap, no network, a read-only view of Python alone, its own small
   scratch space, limits on memory, CPU, processes and file size; everything it starts dies
   with it). ``mom_lib`` is not there: its names are stand-ins whose use is reported, so an
   answer that calls ``heavy_ball`` or ``get_exercise(...).reference`` cannot pass. Each cell
   has a time limit; a cell that fails or runs out is noted and the next one runs.
2. For every exercise the grader runs each case here, in its own process: the case's inputs,
   including the private ones (``MOM_LIB_PRIVATE_CASES``, read here only), go to the sandbox
   as plain data, the submission's function is called there, and its raw return value comes
   back (numbers and arrays as bytes in JSON, never pickle). A case that chains calls is driven
   from here; a gradient among the inputs is evaluated here when the function calls it.
3. The expected values are computed here from the reference, compared here, and the hint is the
   typical mistake whose outputs match (mom_lib.exercises). Nothing the submission prints or
   writes is read.

Results are written per submission, atomically, into ``<out>.parts/``; ``--resume`` reuses those
of unchanged submissions (so a crash at submission 599 keeps 598). The CSV is written last,
atomically; an earlier CSV at ``--out`` is removed first, so an interrupted run leaves none
rather than a stale one. A per-student feedback report goes to ``<out>.feedback/<student>.md``.
The exit status is 0 when every submission was graded, 1 when the grader itself failed on one,
2 for a usage error or when no sandbox is available.
"""

from __future__ import annotations

import argparse
import copy
import csv
import difflib
import hashlib
import json
import os
import queue
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import grade_wire as wire  # noqa: E402
import sandbox  # noqa: E402

CHECK_CALL = re.compile(r"""\bcheck\(\s*["'](ex-\d{2}-[a-z0-9-]+)["']\s*,\s*([A-Za-z_][A-Za-z0-9_]*)""")
DEF = re.compile(r"^\s*def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(", re.MULTILINE)
MESSAGE_LIMIT = 500
FIELDS = ("student", "exercise", "status", "cases_passed", "cases_total", "points", "max_points", "message")
STATUSES = ("passed", "failed", "not attempted", "uses library", "missing", "not graded")
_VERSION_FILES = ("grade.py", "grade_sandbox.py", "grade_wire.py", "sandbox.py")


@dataclass
class Settings:
    """How to grade: time limits (seconds), sandbox limits, points per exercise."""

    timeout: float = 600.0
    cell_timeout: float = 120.0
    case_timeout: float = 10.0
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    sandboxed: bool = True
    points: dict[str, float] = field(default_factory=dict)

    def fingerprint(self) -> str:
        here = Path(__file__).resolve().parent
        h = hashlib.sha256()
        for name in _VERSION_FILES:
            h.update((here / name).read_bytes())
        h.update(repr((self.timeout, self.cell_timeout, self.case_timeout, self.limits, self.sandboxed)).encode())
        h.update(os.environ.get("MOM_LIB_PRIVATE_CASES", "").encode())
        return h.hexdigest()


class _Timeout(BaseException):
    """The submission did not answer in time."""


class ChannelBrokenError(Exception):
    """The sandbox died or sent something that breaks the wire format."""


class GraderError(Exception):
    """The grader could not grade a submission (its own fault, e.g. the sandbox would not start)."""


# ----------------------------------------------------------------------------- notebooks and roster


def check_calls(nb: nbformat.NotebookNode) -> dict[str, str]:
    """``{exercise id: function name}`` from the ``check("ex-...", fn)`` calls of a notebook."""
    found: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            for eid, fn in CHECK_CALL.findall(cell.source):
                found.setdefault(eid, fn)
    return found


def chapter_of(name: str) -> str | None:
    match = re.match(r"(\d{2})", name)
    return match.group(1) if match else None


def expected_exercises(path: Path, source: dict[str, str] | None, only: list[str] | None) -> list[str]:
    if only:
        return only
    if source:
        return sorted(source)
    from mom_lib.exercises import exercise_ids

    chapter = chapter_of(path.name)
    return [e for e in exercise_ids() if chapter and e.startswith(f"ex-{chapter}-")]


@dataclass
class Submission:
    """One student's entry in the roster: a notebook, or the reason there is none to grade."""

    student: str
    path: Path | None
    note: str = ""


def submissions(root: Path, source_name: str | None = None) -> list[Submission]:
    """The roster: ``root/<student>/**.ipynb``, ``root/<student>.ipynb``, or ``root`` itself.

    A folder without a notebook, or with several of which none is named like the released one,
    gives a :class:`Submission` without a path and a note saying why; a notebook found in a
    subfolder is graded with a note.
    """
    if root.is_file():
        return [Submission(root.stem, root)]
    found = [Submission(p.stem, p) for p in sorted(root.glob("*.ipynb"))]
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        nbs = sorted(
            p for p in folder.rglob("*.ipynb") if not any(part.startswith(".") for part in p.relative_to(folder).parts)
        )
        rel = [str(p.relative_to(folder)) for p in nbs]
        if not nbs:
            found.append(Submission(folder.name, None, f"no notebook in the folder {folder.name}/"))
            continue
        if len(nbs) > 1:
            named = [p for p in nbs if source_name and p.name == source_name]
            if len(named) != 1:
                found.append(
                    Submission(
                        folder.name,
                        None,
                        f"{len(nbs)} notebooks in {folder.name}/ ({', '.join(rel)}): which one to grade? Keep one.",
                    )
                )
                continue
            others = [r for r, p in zip(rel, nbs, strict=True) if p != named[0]]
            note = f"graded {named[0].name}; also in the folder: {', '.join(others)}"
            found.append(Submission(folder.name, named[0], note))
            continue
        note = f"the notebook is in a subfolder: {rel[0]}" if len(Path(rel[0]).parts) > 1 else ""
        found.append(Submission(folder.name, nbs[0], note))
    return found


# ----------------------------------------------------------------------------- the sandbox channel


class Channel:
    """The running runner of one submission and the framed pipe to it."""

    def __init__(self, settings: Settings, slot: int) -> None:
        if settings.sandboxed:
            cmd = sandbox.command(sandbox.runner_argv(), slot=slot, limits=settings.limits)
            cwd = None
        else:
            self._scratch = tempfile.mkdtemp(prefix="grade-")
            cmd = [sys.executable, "-I", str(Path(__file__).resolve().parent / "grade_sandbox.py")]
            cwd = self._scratch
        env = {"PATH": "/usr/bin:/bin", "HOME": tempfile.gettempdir(), "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
        try:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                cwd=cwd,
                env=env if not settings.sandboxed else None,
            )
        except OSError as exc:
            raise GraderError(f"the sandbox would not start: {exc}") from None
        self._buf = b""

    def send(self, message: dict) -> None:
        try:
            wire.send(self.proc.stdin, message)
        except (BrokenPipeError, OSError) as exc:
            raise ChannelBrokenError(f"the submission's process is gone ({exc})") from None

    def recv(self, deadline: float) -> dict:
        fd = self.proc.stdout.fileno()
        while True:
            if len(self._buf) >= 4:
                size = int.from_bytes(self._buf[:4], "big")
                if size > wire.MAX_FRAME:
                    raise ChannelBrokenError("the submission sent a frame larger than the limit")
                if len(self._buf) >= 4 + size:
                    data, self._buf = self._buf[4 : 4 + size], self._buf[4 + size :]
                    try:
                        return wire.parse(data)
                    except wire.WireError as exc:
                        raise ChannelBrokenError(str(exc)) from None
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Timeout
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise ChannelBrokenError("the submission's process ended")
                self._buf += chunk

    def close(self) -> None:
        """Kill the sandbox and everything in it, and wait for it."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        if getattr(self, "_scratch", None):
            shutil.rmtree(self._scratch, ignore_errors=True)


# ----------------------------------------------------------------------------- one exercise


_EXPECTED: dict[tuple[str, int], list] = {}
_EXPECTED_LOCK = threading.Lock()


def _expected(ex) -> list:
    from mom_lib.exercises import _core

    # keyed by the cases themselves: private cases may join the list while other jobs already grade
    key = (ex.id, len(ex.cases))
    with _EXPECTED_LOCK:
        if key not in _EXPECTED:
            _EXPECTED[key] = [
                case.expected() if case.expected else _core._trusted(ex.reference, case).value for case in ex.cases
            ]
        return _EXPECTED[key]


def _exception(type_name: str, message: str) -> Exception:
    import builtins

    kind = getattr(builtins, type_name, None)
    if isinstance(kind, type) and issubclass(kind, Exception) and kind is not NotImplementedError:
        try:
            return kind(message)
        except Exception:  # noqa: BLE001 - e.g. an exception type with required arguments
            pass
    if type_name == "NotImplementedError":
        return NotImplementedError(message)
    safe = re.sub(r"\W", "", type_name)[:60] or "Error"
    if not safe[0].isalpha():
        safe = "E" + safe
    return type(safe, (Exception,), {})(message)


class _LibraryUsedError(Exception):
    pass


def _call_in_sandbox(chan: Channel, fn: str, deadline: float, outcome, params, library: set[str]):
    """A stand-in for the submission's function, for ``case.drive``: the call runs in the sandbox."""
    from mom_lib.exercises import _core

    def proxy(*args):
        kept = copy.deepcopy(args)
        callables: list = []
        chan.send({"op": "call", "name": fn, "args": [wire.encode(a, callables) for a in args]})
        while True:
            reply = chan.recv(deadline)
            op = reply.get("op")
            if op == "callback":
                try:
                    target = callables[int(reply["id"])]
                    cb_args = [wire.decode(a) for a in reply["args"]]
                    with np.errstate(all="ignore"):
                        value = target(*cb_args)
                    chan.send({"op": "return", "value": wire.encode(value)})
                except Exception as exc:  # noqa: BLE001 - bad arguments for the gradient are the submission's error
                    chan.send({"op": "raise", "type": type(exc).__name__, "message": str(exc)[:200]})
                continue
            library.update(str(x) for x in reply.get("library", [])[:20])
            if op == "result":
                try:
                    value = wire.decode(reply["value"])
                    after = [wire.decode(a, make_callable=lambda i: None) for a in reply.get("after", [])]
                except Exception as exc:  # noqa: BLE001 - whatever breaks the format
                    raise ChannelBrokenError(f"the returned value cannot be read: {str(exc)[:200]}") from None
                for i, before in enumerate(kept):
                    if callable(before) or i >= len(after):
                        continue
                    name = params[i] if i < len(params) else f"argument {i + 1}"
                    if not _core._same(before, after[i]) and name not in outcome.mutated:
                        outcome.mutated.append(name)
                return value
            if op == "error":
                if reply.get("type") == "LibraryUsed":
                    library.add(str(reply.get("message", "mom_lib")))
                    raise _LibraryUsedError(str(reply.get("message", "")))
                outcome.where = str(reply.get("where", ""))[:200]
                raise _exception(str(reply.get("type", "Exception")), str(reply.get("message", ""))[:300])
            raise ChannelBrokenError(f"unexpected message {op!r} from the submission")

    return proxy


def grade_exercise(chan: Channel, eid: str, fn: str, settings: Settings) -> tuple[dict, bool]:
    """(row fields, whether the sandbox must be restarted) for exercise ``eid`` and function ``fn``."""
    from mom_lib.exercises import _core, get_exercise

    ex = get_exercise(eid)
    n = len(ex.cases)
    max_points = settings.points.get(eid, 1.0)
    result = {"cases_passed": 0, "cases_total": n, "points": 0.0, "max_points": max_points}
    chan.send({"op": "lookup", "name": fn})
    info = chan.recv(time.monotonic() + settings.case_timeout)
    if not info.get("defined"):
        why = info.get("why", "")
        if why == "library":
            return {
                **result,
                "status": "uses library",
                "message": f"{fn} is mom_lib's own {info.get('library')} "
                "(imported by the notebook), not a function the submission defines: was its cell deleted, "
                "or did it fail to run?",
            }, False
        if why == "not defined":
            return {**result, "status": "not attempted", "message": f"{fn} is not defined"}, False
        return {**result, "status": "failed", "message": f"{fn} is {why}"}, False
    outcomes = []
    library: set[str] = set()
    restart = False
    for case in ex.cases:
        outcome = _core._Outcome()
        deadline = time.monotonic() + settings.case_timeout
        proxy = _call_in_sandbox(chan, fn, deadline, outcome, ex.params, library)
        try:
            with np.errstate(all="ignore"):
                outcome.value = case.drive(proxy, copy.deepcopy(case.inputs))
        except _LibraryUsedError:
            outcome.error = RuntimeError("used the library")
        except NotImplementedError as exc:
            outcome.not_attempted, outcome.error = True, exc
        except _Timeout:
            outcome.timed_out, restart = True, True
        except ChannelBrokenError as exc:
            outcome.error, restart = RuntimeError(f"the submission's process failed: {exc}"), True
        except Exception as exc:  # noqa: BLE001 - a reconstructed error of the submission
            outcome.error = exc
        else:
            outcome.not_attempted = _core._is_blank(outcome.value)
        outcomes.append(outcome)
        if library or restart or (len(outcomes) == 1 and outcome.not_attempted):
            break
    if library:
        names = ", ".join(sorted(library))
        return {
            **result,
            "status": "uses library",
            "message": _short(
                f"the answer calls the library's own implementation ({names}), which is not available while grading"
            ),
        }, restart
    if outcomes[0].not_attempted:
        return {**result, "status": "not attempted", "message": "not attempted yet"}, restart
    expected = _expected(ex)
    passed = sum(
        1
        for out, exp in zip(outcomes, expected, strict=False)
        if not out.timed_out
        and out.error is None
        and not out.not_attempted
        and not out.mutated
        and _core._compare(out.value, exp, ex.rtol, ex.atol) is None
    )
    problem = _core._diagnose(ex, outcomes, settings.case_timeout)
    if problem is None and passed == n:
        return {**result, "status": "passed", "cases_passed": n, "points": max_points, "message": ""}, restart
    points = round(max_points * passed / n, 4)
    message = problem or "the function did not complete every case"
    return {**result, "status": "failed", "cases_passed": passed, "points": points, "message": _short(message)}, restart


# ----------------------------------------------------------------------------- one submission


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def _row(student: str, exercise: str, status: str, message: str, **extra) -> dict[str, str]:
    row = {
        "student": student,
        "exercise": exercise,
        "status": status,
        "cases_passed": "",
        "cases_total": "",
        "points": "",
        "max_points": "",
        "message": _short(message),
    }
    row.update({k: str(v) for k, v in extra.items()})
    return row


def _start(cells: list[str], settings: Settings, slot: int, deadline: float) -> tuple[Channel, list[dict]]:
    chan = Channel(settings, slot)
    try:
        chan.send({"op": "notebook", "cells": cells, "cell_timeout": settings.cell_timeout})
        ran = chan.recv(deadline)
        if ran.get("op") != "ran":
            raise ChannelBrokenError("the runner did not report its cells")
        return chan, [e for e in ran.get("errors", []) if isinstance(e, dict)][:50]
    except BaseException:
        chan.close()
        raise


def grade_submission(
    student: str,
    path: Path,
    exercises: list[str],
    names: dict[str, str],
    settings: Settings,
    slot: int = 0,
    expected_source: str | None = None,
) -> list[dict[str, str]]:
    """The CSV rows of one submission; never raises for anything the submission does."""
    try:
        nb = nbformat.read(path, as_version=4)
        own = check_calls(nb)
    except Exception as exc:  # noqa: BLE001 - an unreadable file is the student's row, not our crash
        return [_row(student, e, "failed", f"the notebook cannot be read: {exc}") for e in exercises]
    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    wanted = chapter_of(expected_source or "")
    if wanted and chapter_of(path.name) not in (None, wanted):
        why = f"wrong notebook: {path.name} is chapter {chapter_of(path.name)}'s; this assignment is {expected_source}"
        return [_row(student, e, "not graded", why) for e in exercises]
    own_chapters = {eid[3:5] for eid in own}
    wanted_chapters = {eid[3:5] for eid in exercises}
    if own and not own_chapters & wanted_chapters:
        why = f"wrong notebook: {path.name} checks chapter {', '.join(sorted(own_chapters))}'s exercises, not these"
        return [_row(student, e, "not graded", why) for e in exercises]
    defined = sorted(set(DEF.findall("\n".join(cells))))
    rows: dict[str, dict[str, str]] = {}
    plan: dict[str, str] = {}
    for eid in exercises:
        fn = names.get(eid) or own.get(eid)
        if fn is None:
            rows[eid] = _row(student, eid, "not attempted", "no check cell for this exercise in the submission")
        else:
            plan[eid] = fn
    notebook_deadline = time.monotonic() + settings.timeout
    chan: Channel | None = None
    cell_errors: list[dict] = []
    try:
        for eid, fn in plan.items():
            if chan is None:
                try:
                    chan, cell_errors = _start(cells, settings, slot, notebook_deadline)
                except _Timeout:
                    why = f"the notebook did not finish within {settings.timeout:g} s"
                    rows[eid] = _row(student, eid, "failed", why)
                    continue
                except ChannelBrokenError as exc:
                    rows[eid] = _row(student, eid, "failed", f"the notebook's process failed: {exc}")
                    continue
            try:
                fields, restart = grade_exercise(chan, eid, fn, settings)
            except (_Timeout, ChannelBrokenError) as exc:
                why = f"the submission stopped answering ({type(exc).__name__})"
                fields, restart = {"status": "failed", "message": why}, True
            except Exception as exc:  # noqa: BLE001 - never let one submission stop the class
                why = f"the grader could not use the submission's answer ({type(exc).__name__}: {str(exc)[:200]})"
                fields, restart = {"status": "failed", "message": why}, True
            if fields["status"] == "not attempted" and fn not in defined and fields["message"].endswith("not defined"):
                close = difflib.get_close_matches(fn, defined, n=1, cutoff=0.6)
                if close:
                    fields = {
                        **fields,
                        "status": "missing",
                        "message": f"no function {fn}: the submission defines {close[0]} (renamed?)",
                    }
                else:
                    failing = [e["error"] for e in cell_errors if fn in cells[e["cell"]]]
                    extra = f" (its cell failed: {failing[0]})" if failing else " (was its cell deleted?)"
                    fields = {**fields, "message": f"{fn} is not defined{extra}"}
            rows[eid] = _row(student, eid, fields.pop("status"), fields.pop("message"), **fields)
            if restart:
                chan.close()
                chan = None
    finally:
        if chan is not None:
            try:
                chan.send({"op": "bye"})
            except ChannelBrokenError:
                pass
            chan.close()
    for eid in exercises:
        rows.setdefault(eid, _row(student, eid, "failed", "no result"))
    # Reported: the failures of the cells defining a graded function, and any cell stopped by a limit.
    # The chapter's own figures and demonstrations stop where they use mom_lib's stand-ins: not news.
    answer_cells = {i for i, c in enumerate(cells) if any(re.search(rf"\bdef\s+{fn}\s*\(", c) for fn in plan.values())}
    shown = [
        e
        for e in cell_errors
        if e.get("cell") in answer_cells or str(e.get("error", "")).startswith(("MemoryError", "stopped after"))
    ]
    notes = "; ".join(f"cell {e.get('cell', 0) + 1}: {e.get('error', '')}" for e in shown)
    for row in rows.values():
        row["cell_errors"] = _short(notes)
    return [rows[e] for e in exercises]


# ----------------------------------------------------------------------------- output


def write_atomically(out: Path, text: str) -> None:
    """Write ``text`` to ``out`` through a temporary file in the same folder and ``os.replace``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as f:
            f.write(text)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(rows: list[dict[str, str]], out: Path) -> None:
    """Write ``rows`` to ``out`` atomically."""
    import io

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    write_atomically(out, buf.getvalue())


def feedback(student: str, rows: list[dict[str, str]], note: str = "") -> str:
    """A student's feedback report (Markdown): per exercise, the status, the cases passed and the message."""
    lines = [f"# Feedback for {student}", ""]
    if note:
        lines += [f"Note: {note}", ""]
    errors = next((r.get("cell_errors") for r in rows if r.get("cell_errors")), "")
    if errors:
        lines += [f"Cells that failed while grading: {errors}", ""]
    for r in rows:
        cases = f", {r['cases_passed']}/{r['cases_total']} cases" if r.get("cases_total") else ""
        points = f", {r['points']}/{r['max_points']} points" if r.get("max_points") else ""
        lines.append(f"- **{r['exercise']}**: {r['status']}{cases}{points}")
        if r["message"]:
            lines.append(f"  - {r['message']}")
    return "\n".join(lines) + "\n"


def _safe_name(student: str) -> str:
    """A file name for ``student``'s results: readable, and distinct for distinct names."""
    digest = hashlib.sha256(student.encode()).hexdigest()[:8]
    return f"{re.sub(r'[^A-Za-z0-9._-]', '_', student)[:80]}-{digest}"


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("submissions", type=Path, nargs="?")
    parser.add_argument("--out", type=Path, default=Path("grades.csv"))
    parser.add_argument("--source", type=Path, help="the released notebook: which exercises, which functions")
    parser.add_argument("--exercises", help="comma-separated exercise ids to grade")
    parser.add_argument("--points", default="", help="points per exercise, e.g. ex-03-momentum-step=2,ex-03-ema-lr=1")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per notebook")
    parser.add_argument("--cell-timeout", type=float, default=120, help="seconds per cell")
    parser.add_argument("--case-timeout", type=float, default=10, help="seconds per case of an exercise")
    parser.add_argument("--memory-mb", type=int, default=2048, help="address space per process of a submission")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="submissions graded at once")
    parser.add_argument("--resume", action="store_true", help="reuse the results of unchanged submissions")
    parser.add_argument("--no-sandbox", action="store_true", help="run without bwrap (only inside a container)")
    args = parser.parse_args(argv)
    if args.submissions is None:
        parser.error("give the submissions directory")
    if not args.submissions.exists():
        parser.error(f"the submissions {args.submissions} do not exist")
    for name in ("timeout", "cell_timeout", "case_timeout"):
        if not getattr(args, name) > 0:
            parser.error(f"--{name.replace('_', '-')} must be a positive number of seconds, got {getattr(args, name)}")
    if args.jobs < 1 or args.memory_mb < 256:
        parser.error("--jobs must be at least 1 and --memory-mb at least 256")
    points: dict[str, float] = {}
    for item in filter(None, (p.strip() for p in args.points.split(","))):
        eid, _, value = item.partition("=")
        try:
            points[eid.strip()] = float(value)
        except ValueError:
            parser.error(f"--points takes exercise=number pairs, got {item!r}")
    settings = Settings(
        timeout=args.timeout,
        cell_timeout=args.cell_timeout,
        case_timeout=args.case_timeout,
        limits=sandbox.Limits(memory_mb=args.memory_mb, cpu_seconds=int(args.timeout) + 5),
        sandboxed=not args.no_sandbox,
        points=points,
    )
    if settings.sandboxed:
        sandbox.install_bwrap()
        why = sandbox.works()
        if why:
            hint = "Run the grader in a container with --no-sandbox (see instructors.md)."
            print(f"error: {why}. {hint}", file=sys.stderr)
            return 2
    args.out.unlink(missing_ok=True)  # an interrupted run must not leave the previous grades looking current
    parts = args.out.parent / f"{args.out.name}.parts"
    if not args.resume:
        shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir(parents=True, exist_ok=True)
    reports = args.out.parent / f"{args.out.name}.feedback"
    names = check_calls(nbformat.read(args.source, as_version=4)) if args.source else {}
    only = [e.strip() for e in args.exercises.split(",")] if args.exercises else None
    roster = submissions(args.submissions, args.source.name if args.source else None)
    key_base = settings.fingerprint() + json.dumps([names, only])
    slots: queue.Queue[int] = queue.Queue()
    for i in range(args.jobs):
        slots.put(i)
    failures: list[str] = []

    def grade_one(sub: Submission) -> list[dict[str, str]]:
        if sub.path is None:
            exercises = only or sorted(names) or [""]
            print(f"warning: {sub.student}: {sub.note}", file=sys.stderr)
            return [_row(sub.student, e, "not graded", sub.note) for e in exercises]
        if sub.note:
            print(f"note: {sub.student}: {sub.note}", file=sys.stderr)
        exercises = expected_exercises(sub.path, names or None, only)
        key = hashlib.sha256(key_base.encode() + sub.path.read_bytes() + json.dumps(exercises).encode()).hexdigest()
        part = parts / f"{_safe_name(sub.student)}.json"
        if args.resume and part.exists():
            try:
                saved = json.loads(part.read_text())
                if saved.get("key") == key:
                    return saved["rows"]
            except (ValueError, KeyError):
                pass
        slot = slots.get()
        try:
            rows = grade_submission(
                sub.student, sub.path, exercises, names, settings, slot, args.source.name if args.source else None
            )
        except GraderError as exc:
            failures.append(f"{sub.student}: {exc}")
            return [_row(sub.student, e, "not graded", f"grader error: {exc}") for e in exercises]
        finally:
            slots.put(slot)
        if sub.note:
            for r in rows:
                r["message"] = _short(f"({sub.note}) {r['message']}")
        write_atomically(part, json.dumps({"key": key, "rows": rows}))
        passed = sum(r["status"] == "passed" for r in rows)
        print(f"{sub.student}: {passed} of {len(rows)} passed")
        return rows

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(grade_one, roster))
    rows = [r for rs in results for r in rs]
    for sub, rs in zip(roster, results, strict=True):
        write_atomically(reports / f"{_safe_name(sub.student)}.md", feedback(sub.student, rs, sub.note))
    write_csv(rows, args.out)
    print(f"{len(rows)} rows for {len(roster)} submissions written to {args.out} in {time.monotonic() - started:.1f} s")
    for line in failures:
        print(f"error: {line}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
