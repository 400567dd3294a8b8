r"""The checking machinery behind :func:`mom_lib.check`: cases, typical mistakes, diagnosis.

An :class:`Exercise` holds a reference implementation, a list of :class:`Case` inputs and a
list of :class:`Mistake` functions (one per typical error, each with a hint). Checking a
student's function runs it on every case and compares its output with the reference's,
computed at check time. When they differ, the student's outputs are compared with each
mistake's outputs on the same cases: a mistake that produces the same outputs names the
error and gives its hint.

The student's function always receives deep copies of the inputs (so nothing it does can
corrupt the cases), runs under a per-case time limit, and whatever it does -- raise, loop,
return ``nan``, the wrong type or the wrong shape -- the result is a clear message, never a
crash of :func:`check` itself.
"""

from __future__ import annotations

import copy
import os
import re
import runpy
import signal
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Case",
    "Exercise",
    "ExerciseFailure",
    "ExerciseNotAttempted",
    "Mistake",
    "add_cases",
    "check",
    "exercise_ids",
    "get_exercise",
    "register",
]

#: Environment variable: ``1`` makes an exercise that is not attempted yet an error.
STRICT_ENV = "MOM_LIB_STRICT_CHECKS"
#: Environment variable: paths (separated by ``os.pathsep``) of Python files that add private cases.
PRIVATE_ENV = "MOM_LIB_PRIVATE_CASES"
#: Seconds one case may take before the student's function is stopped.
DEFAULT_TIMEOUT = 2.0

_ID = re.compile(r"^ex-\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*$")
_REGISTRY: dict[str, Exercise] = {}
_PRIVATE_LOADED: set[str] = set()
_PRIVATE_LOCK = threading.RLock()


class ExerciseFailure(AssertionError):  # noqa: N818 - the name the chapters use
    """The student's function gives a wrong answer, raises, loops or changes its inputs."""


class ExerciseNotAttempted(AssertionError):  # noqa: N818
    """The exercise still raises ``NotImplementedError`` (raised only in strict mode)."""


class _Timeout(BaseException):
    """Raised inside the student's code when a case runs out of time.

    A ``BaseException``, so a student's ``except Exception`` cannot swallow it.
    """


def _call_each(fn: Callable[..., Any], inputs: dict[str, Any]) -> Any:
    return fn(*inputs.values())


@dataclass(frozen=True)
class Case:
    """One set of inputs for an exercise.

    Attributes:
        description: what the case tests, shown when it fails (e.g. "beta = 0 is gradient descent").
        inputs: the arguments, in the order of the exercise's signature (passed positionally).
        drive: how to call the function, ``drive(fn, inputs) -> output``; by default
            ``fn(*inputs.values())``. Give one for cases that chain several calls. ``fn`` is
            then a guarded version of the student's function: it copies its arguments.
        expected: optional ``() -> output`` that replaces ``drive(reference, inputs)``, for a
            case whose answer comes from another part of ``mom_lib`` (e.g. :func:`mom_lib.run`).
        hidden: do not print the inputs when the case fails (private cases of summative work).
    """

    description: str
    inputs: dict[str, Any]
    drive: Callable[[Callable[..., Any], dict[str, Any]], Any] = _call_each
    expected: Callable[[], Any] | None = None
    hidden: bool = False


@dataclass(frozen=True)
class Mistake:
    """A typical wrong implementation and the hint that explains it.

    Attributes:
        name: a short name for tests and for the instructor (e.g. ``"sign"``).
        fn: the wrong implementation, same signature as the exercise.
        hint: what to tell a student whose function gives the same outputs.
    """

    name: str
    fn: Callable[..., Any]
    hint: str


@dataclass
class Exercise:
    """A registered exercise.

    Attributes:
        id: ``ex-<chapter>-<slug>``, the label of the exercise box in the chapter.
        signature: how the student's function is called and what it returns, for messages.
        reference: the correct implementation, built from ``mom_lib``'s own functions.
        cases: the inputs to check.
        mistakes: typical mistakes, each with a hint.
        rtol, atol: tolerances of the comparison with the reference.
    """

    id: str
    signature: str
    reference: Callable[..., Any]
    cases: list[Case]
    mistakes: list[Mistake] = field(default_factory=list)
    rtol: float = 1e-7
    atol: float = 1e-10

    @property
    def params(self) -> tuple[str, ...]:
        """The parameter names, read from :attr:`signature`."""
        inside = self.signature.split("(", 1)[1].split(")", 1)[0]
        return tuple(p.strip() for p in inside.split(",") if p.strip())


def register(exercise: Exercise) -> Exercise:
    """Add ``exercise`` to the registry that :func:`check` uses.

    Raises:
        ValueError: if the id is not of the form ``ex-NN-slug``, is taken, or has no cases.
    """
    if not _ID.match(exercise.id):
        raise ValueError(f"exercise id must look like 'ex-03-momentum-step' (ex-NN-slug), got {exercise.id!r}")
    if exercise.id in _REGISTRY:
        raise ValueError(f"exercise id {exercise.id!r} is already registered")
    if not exercise.cases:
        raise ValueError(f"exercise {exercise.id!r} needs at least one case")
    _REGISTRY[exercise.id] = exercise
    return exercise


def add_cases(exercise_id: str, cases: Sequence[Case]) -> None:
    """Append (private) cases to a registered exercise, e.g. from a file named in ``MOM_LIB_PRIVATE_CASES``."""
    get_exercise(exercise_id).cases.extend(cases)


def exercise_ids() -> list[str]:
    """The registered exercise ids, sorted."""
    return sorted(_REGISTRY)


def get_exercise(exercise_id: str) -> Exercise:
    """The registered :class:`Exercise` with this id.

    Raises:
        ValueError: for an unknown id; the message lists the known ones.
    """
    _load_private()
    try:
        return _REGISTRY[exercise_id]
    except (KeyError, TypeError):
        known = ", ".join(exercise_ids())
        raise ValueError(
            f"exercise_id must be one of the registered exercises ({known}), got {exercise_id!r}"
        ) from None


def _load_private() -> None:
    # under the lock until the file has run: a grader's parallel jobs must all see its cases
    with _PRIVATE_LOCK:
        for path in filter(None, os.environ.get(PRIVATE_ENV, "").split(os.pathsep)):
            if path not in _PRIVATE_LOADED:
                _PRIVATE_LOADED.add(path)
                runpy.run_path(path)


# ----------------------------------------------------------------------------- running a case


@dataclass
class _Outcome:
    value: Any = None
    error: BaseException | None = None
    where: str = ""
    timed_out: bool = False
    not_attempted: bool = False
    mutated: list[str] = field(default_factory=list)


def _with_timeout(thunk: Callable[[], Any], seconds: float | None) -> Any:
    """Run ``thunk`` for at most ``seconds``; raise :class:`_Timeout` after that.

    On the main thread (a Jupyter kernel runs cells there) a ``SIGALRM`` timer interrupts the
    student's code and the kernel lives on. Elsewhere, or when a timer is already set, the
    thunk runs in a daemon thread that is abandoned when it runs out of time.
    """
    if seconds is None:
        return thunk()
    main = threading.current_thread() is threading.main_thread()
    if main and hasattr(signal, "setitimer") and signal.getitimer(signal.ITIMER_REAL)[0] == 0:

        def on_alarm(signum: int, frame: Any) -> None:
            raise _Timeout

        previous = signal.signal(signal.SIGALRM, on_alarm)
        try:
            signal.setitimer(signal.ITIMER_REAL, seconds)
            return thunk()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = thunk()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise _Timeout
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _same(a: Any, b: Any) -> bool:
    """Exact equality of two inputs (nan equal to nan), for detecting in-place changes.

    Functions (a gradient, say) are not data a student could change in place: two copies of a
    bound method never compare equal, so they are not compared.
    """
    if callable(a) and callable(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    try:
        x, y = np.asarray(a), np.asarray(b)
        if x.shape != y.shape or x.dtype != y.dtype:
            return False
        if np.issubdtype(x.dtype, np.inexact):
            return bool(np.array_equal(x, y, equal_nan=True))
        return bool(np.array_equal(x, y))
    except Exception:  # noqa: BLE001 - anything odd counts as changed
        return False


def _is_blank(value: Any) -> bool:
    """``None`` or ``...`` (or a tuple of them): a body that has not been written yet."""
    if value is None or value is Ellipsis:
        return True
    if isinstance(value, tuple) and value:
        return all(v is None or v is Ellipsis for v in value)
    return False


def _student_line(exc: BaseException) -> str:
    """The last line of the traceback outside ``mom_lib.exercises``: where the student's code failed."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.dirname(f.filename) != _HERE]
    if not frames:
        return ""
    f = frames[-1]
    return f"line {f.lineno} of {os.path.basename(f.filename)}: {(f.line or '').strip()}"


_HERE = os.path.dirname(os.path.abspath(__file__))


def _run(fn: Callable[..., Any], case: Case, params: Sequence[str], timeout: float | None) -> _Outcome:
    """Run ``fn`` on ``case``: copies in, copies kept, errors and time limits caught."""
    outcome = _Outcome()

    def guarded(*args: Any) -> Any:
        kept = copy.deepcopy(args)
        given = copy.deepcopy(args)
        out = fn(*given)
        for i, (before, after) in enumerate(zip(kept, given, strict=True)):
            name = params[i] if i < len(params) else f"argument {i + 1}"
            if not _same(before, after) and name not in outcome.mutated:
                outcome.mutated.append(name)
        return out

    inputs = copy.deepcopy(case.inputs)
    try:
        with np.errstate(all="ignore"):
            outcome.value = _with_timeout(lambda: case.drive(guarded, inputs), timeout)
    except NotImplementedError as exc:
        outcome.not_attempted, outcome.error = True, exc
    except _Timeout:
        outcome.timed_out = True
    except Exception as exc:  # the student's code may raise anything
        outcome.error, outcome.where = exc, _student_line(exc)
    else:
        outcome.not_attempted = _is_blank(outcome.value)
    return outcome


def _trusted(fn: Callable[..., Any], case: Case) -> _Outcome:
    """Run a reference or mistake implementation on ``case`` (no time limit, errors kept)."""
    try:
        with np.errstate(all="ignore"):
            return _Outcome(value=case.drive(fn, copy.deepcopy(case.inputs)))
    except Exception as exc:  # a mistake may crash, e.g. on nan rows
        return _Outcome(error=exc)


# ----------------------------------------------------------------------------- comparing outputs


def _kind(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


def _compare(got: Any, expected: Any, rtol: float, atol: float) -> str | None:
    """``None`` when ``got`` matches ``expected``, else a short description of the difference."""
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)):
            return f"returned {_kind(got)}; expected a tuple of {len(expected)} values"
        if len(got) != len(expected):
            return f"returned {len(got)} values; expected {len(expected)}"
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            problem = _compare(g, e, rtol, atol)
            if problem:
                return f"value {i + 1} of the tuple: {problem}"
        return None
    exp = np.asarray(expected)
    if got is None or isinstance(got, (str, bytes, dict, set)) or callable(got):
        return f"returned {_kind(got)}; expected {'a number' if exp.ndim == 0 else f'an array of shape {exp.shape}'}"
    try:
        arr = np.asarray(got)
    except Exception:  # noqa: BLE001 - e.g. ragged lists
        return f"returned {_kind(got)}, which is not a number or an array of numbers"
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        return f"returned {_kind(got)}, which is not a number or an array of numbers"
    if arr.shape != exp.shape:
        return f"returned shape {arr.shape}; expected shape {exp.shape}"
    if np.issubdtype(exp.dtype, np.integer) and not np.issubdtype(arr.dtype, np.integer):
        return f"returned values of dtype {arr.dtype}; expected integers"
    if np.iscomplexobj(arr) and not np.iscomplexobj(exp):
        return "returned complex numbers; expected real ones"
    if np.issubdtype(arr.dtype, np.inexact) and np.any(np.isnan(arr) & ~np.isnan(exp)):
        return "returned nan where the answer is a number"
    if not np.allclose(arr, exp, rtol=rtol, atol=atol, equal_nan=True):
        return "the values differ"
    return None


def _same_outcome(student: _Outcome, mistake: _Outcome, ex: Exercise) -> bool:
    if student.timed_out or student.not_attempted:
        return False
    if student.error is not None or mistake.error is not None:
        return type(student.error) is type(mistake.error) and student.error is not None
    return _compare(student.value, mistake.value, ex.rtol, ex.atol) is None


def _fmt(value: Any) -> str:
    with np.printoptions(precision=6, suppress=True, threshold=20, edgeitems=3):
        if isinstance(value, tuple):
            return "(" + ", ".join(_fmt(v) for v in value) + ("," if len(value) == 1 else "") + ")"
        if isinstance(value, np.ndarray):
            return " ".join(np.array2string(value, separator=", ").split())
        if isinstance(value, (float, np.floating)):
            return f"{float(value):.6g}"
        text = repr(value)
        return text if len(text) <= 200 else text[:200] + "..."


def _fmt_inputs(case: Case) -> str:
    if case.hidden:
        return "(hidden)"
    return ", ".join(f"{k} = {_fmt(v)}" for k, v in case.inputs.items())


# ----------------------------------------------------------------------------- check


def _strict() -> bool:
    """Strict when asked for, and while nbgrader autogrades or validates (it sets ``NBGRADER_EXECUTION``)."""
    if os.environ.get("NBGRADER_EXECUTION", "").strip().lower() in ("autograde", "validate"):
        return True
    return os.environ.get(STRICT_ENV, "").strip().lower() in ("1", "true", "yes")


def check(exercise_id: str, fn: Callable[..., Any], *, timeout: float | None = DEFAULT_TIMEOUT) -> None:
    """Check a function written for exercise ``exercise_id`` against the reference.

    Prints ``"<id>: passed (<n> cases)"`` when every case agrees with the reference, or
    ``"<id>: not attempted yet"`` while the function still raises ``NotImplementedError``
    (or its body is ``...``). Otherwise raises :class:`ExerciseFailure` with the inputs,
    what the function returned, what was expected, and a hint.

    Args:
        exercise_id: the exercise's label, e.g. ``"ex-03-momentum-step"``.
        fn: your function, with the signature the exercise states.
        timeout: seconds each case may take, a number > 0 (``None`` or ``math.inf``: no limit).

    Raises:
        ExerciseFailure: wrong output, an error, a time-out, or an input changed in place.
        ExerciseNotAttempted: not attempted yet, in strict mode (``MOM_LIB_STRICT_CHECKS=1``).
        ValueError: an unknown ``exercise_id`` (the message lists the known ones), an
            ``fn`` that is not callable, or a ``timeout`` that is not > 0 (``0`` does not
            switch the limit off: ``None`` does).
        TypeError: a ``timeout`` that is not a number (a bool, a string).

    Examples:
        >>> import numpy as np
        >>> from mom_lib import check
        >>> def gd_step(x, grad, lr):
        ...     return x - lr * grad
        >>> check("ex-01-gd-step", gd_step)
        ex-01-gd-step: passed (6 cases)
    """
    ex = get_exercise(exercise_id)
    if not callable(fn):
        raise ValueError(f"fn must be your function for {exercise_id} ({ex.signature}), got {_kind(fn)}")
    timeout = _check_timeout(timeout)
    outcomes: list[_Outcome] = []
    for i, case in enumerate(ex.cases):
        outcome = _run(fn, case, ex.params, timeout)
        if i == 0 and outcome.not_attempted:
            message = f"{exercise_id}: not attempted yet"
            if _strict():
                raise ExerciseNotAttempted(message)
            print(message)
            return None
        outcomes.append(outcome)
        if outcome.timed_out:
            break  # a loop that never ends would cost the time limit once per case
    problem = _diagnose(ex, outcomes, timeout)
    if problem:
        raise ExerciseFailure(problem)
    print(f"{exercise_id}: passed ({len(ex.cases)} cases)")
    return None


def _check_timeout(timeout: Any) -> float | None:
    """``None`` (no limit) or a number of seconds > 0; ``inf`` is no limit too."""
    if timeout is None:
        return None
    if isinstance(timeout, (bool, np.bool_)) or not isinstance(timeout, (int, float, np.integer, np.floating)):
        raise TypeError(f"timeout must be a number of seconds > 0, or None for no limit; got {timeout!r}")
    seconds = float(timeout)
    if not seconds > 0:  # also nan
        raise ValueError(f"timeout must be a number of seconds > 0, or None for no limit; got {timeout!r}")
    return None if seconds == float("inf") else seconds


def _diagnose(ex: Exercise, outcomes: list[_Outcome], timeout: float | None) -> str | None:
    """The failure message for the first case that goes wrong, or ``None`` when all is well."""
    n = len(ex.cases)
    expected = [case.expected() if case.expected else _trusted(ex.reference, case).value for case in ex.cases]
    mistake_outcomes: dict[str, list[_Outcome]] = {}

    def mistakes_matching(upto: int | None) -> list[Mistake]:
        found = []
        for m in ex.mistakes:
            if m.name not in mistake_outcomes:
                mistake_outcomes[m.name] = [_trusted(m.fn, c) for c in ex.cases[: len(outcomes)]]
            pairs = list(zip(outcomes, mistake_outcomes[m.name], strict=True))
            pairs = pairs if upto is None else pairs[upto : upto + 1]
            if all(_same_outcome(s, o, ex) for s, o in pairs):
                found.append(m)
        return found

    def hint_for(index: int, fallback: str) -> str:
        if len(outcomes) == n:
            everywhere = mistakes_matching(None)
            if everywhere:
                return everywhere[0].hint
        here = mistakes_matching(index)
        return here[0].hint if here else fallback

    for i, (case, out) in enumerate(zip(ex.cases, outcomes, strict=False)):
        head = f"{ex.id}: failed on case {i + 1} of {n} ({case.description})\n  inputs:   {_fmt_inputs(case)}\n"
        if out.timed_out:
            return (
                f"{ex.id}: case {i + 1} of {n} ({case.description}) took longer than {timeout:g} s and was stopped"
                f"\n  inputs:   {_fmt_inputs(case)}\n  hint:     look for a loop that never ends "
                "(a `while` whose condition never becomes false)."
            )
        if out.error is not None:
            where = f"\n  where:    {out.where}" if out.where else ""
            fallback = "read the error above: it names what went wrong in your function."
            return (
                f"{head}  error:    your function raised {type(out.error).__name__}: {out.error}{where}\n"
                f"  hint:     {hint_for(i, fallback)}"
            )
        problem = _compare(out.value, expected[i], ex.rtol, ex.atol)
        if problem:
            fallback = f"no typical mistake matches; compare got and expected entry by entry, and check {ex.signature}."
            got = "(hidden)" if case.hidden else _fmt(out.value)
            want = "(hidden)" if case.hidden else _fmt(expected[i])
            also = ""
            if out.mutated:
                also = f"\n  also:     your function changed its input {', '.join(out.mutated)} in place"
            return (
                f"{head}  got:      {got}\n  expected: {want}\n  problem:  {problem}\n"
                f"  hint:     {hint_for(i, fallback)}{also}"
            )
        if out.mutated:
            names = ", ".join(out.mutated)
            return (
                f"{head}  problem:  your function changed its input {names} in place\n"
                f"  hint:     the caller's {names} must stay as it was: build a new array "
                "(`x_next = x - ...`) instead of updating in place (`x -= ...`, `x[:] = ...`)."
            )
    return None


def vec(*values: float) -> np.ndarray:
    """A float vector for a case's inputs: ``vec(1.0, -2.0)``."""
    return np.array(values, dtype=float)


def is_state_pair(out: Any, x: np.ndarray) -> bool:
    """Whether ``out`` is two arrays shaped like ``x``: a chained step may only go on if so."""
    try:
        return len(out) == 2 and all(np.shape(o) == x.shape for o in out)
    except TypeError:
        return False
