r"""Exercises with checked solutions: ``check("ex-03-momentum-step", momentum_step)``.

Each exercise of the book has an id (the label of its ``{exercise}`` box, ``ex-NN-slug``),
a reference implementation built from ``mom_lib``'s own functions, a list of cases, and a
list of typical mistakes with hints. :func:`check` runs the reader's function on every case
and compares it with the reference, computed at check time (no stored numbers); when they
differ, it finds the typical mistake that produces the same outputs and shows its hint.

**Adding an exercise.** Exercises live in one module per chapter (``ch01.py``, ``ch02.py``,
...). To add one:

1. In ``mom_lib/exercises/chNN.py`` (create it for a new chapter, and import it at the end of
   this file), write the reference from ``mom_lib``'s functions and call
   :func:`register` with an :class:`Exercise`: its ``id``, the ``signature`` the chapter
   states (``"name(arg1, arg2) -> result"``; the argument names are used in messages),
   the ``reference``, :class:`Case` inputs (keyed by argument name, in signature order; a
   ``drive`` for cases that chain calls, an ``expected`` for answers taken from elsewhere),
   and one :class:`Mistake` per typical error, each with a hint.
2. Choose cases that tell every mistake apart from the reference *and* from the other
   mistakes (avoid ``lr = 1``, ``beta = 0.5`` and the like where two formulas coincide).
3. ``tests/test_exercises.py`` then checks automatically that the reference passes and that
   every mistake fails with its own hint; run it.

**Strict mode.** ``MOM_LIB_STRICT_CHECKS=1`` turns "not attempted yet" into
:class:`ExerciseNotAttempted` (the grader sets it).

**Private cases.** ``MOM_LIB_PRIVATE_CASES=/path/cases.py`` (several paths separated by
``os.pathsep``) runs those files before the first check; they may call :func:`add_cases`
with :class:`Case` objects marked ``hidden=True``, whose inputs are never printed.
"""

from . import ch01, ch02, ch03, ch04, ch05, ch06, ch08  # noqa: F401 - importing registers the exercises
from ._core import (
    DEFAULT_TIMEOUT,
    PRIVATE_ENV,
    STRICT_ENV,
    Case,
    Exercise,
    ExerciseFailure,
    ExerciseNotAttempted,
    Mistake,
    add_cases,
    check,
    exercise_ids,
    get_exercise,
    register,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "PRIVATE_ENV",
    "STRICT_ENV",
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
