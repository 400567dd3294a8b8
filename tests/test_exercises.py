"""mom_lib.exercises: every reference passes, every typical mistake fails with its own hint,
and whatever a student's function does, check() answers with a clear message."""

import re
from pathlib import Path

import numpy as np
import pytest

from mom_lib import check, heavy_ball
from mom_lib.exercises import (
    Case,
    Exercise,
    ExerciseFailure,
    ExerciseNotAttempted,
    Mistake,
    exercise_ids,
    get_exercise,
    register,
)

# Every registered exercise, and only those, is checked somewhere in the chapters.
CHAPTER_IDS = sorted(
    {
        m
        for path in (Path(__file__).resolve().parents[1] / "chapters").glob("[0-9][0-9]_*.ipynb")
        for m in re.findall(r'check\(\\?"(ex-[\w-]+)', path.read_text())
    }
)
EXPECTED_IDS = exercise_ids()
MISTAKES = [(eid, m.name) for eid in exercise_ids() for m in get_exercise(eid).mistakes]


def _mistake(eid, name):
    return next(m for m in get_exercise(eid).mistakes if m.name == name)


def test_registered_exercises_are_exactly_those_the_chapters_check():
    assert CHAPTER_IDS, "no check() calls found in the chapters"
    assert exercise_ids() == CHAPTER_IDS


@pytest.mark.parametrize("eid", EXPECTED_IDS)
def test_reference_passes(eid, capsys):
    ex = get_exercise(eid)
    assert check(eid, ex.reference) is None
    assert capsys.readouterr().out == f"{eid}: passed ({len(ex.cases)} cases)\n"


@pytest.mark.parametrize("eid", EXPECTED_IDS)
def test_every_exercise_has_mistakes_with_distinct_hints(eid):
    mistakes = get_exercise(eid).mistakes
    assert len(mistakes) >= 3
    assert len({m.hint for m in mistakes}) == len(mistakes)


@pytest.mark.parametrize(("eid", "name"), MISTAKES)
def test_every_mistake_fails_with_its_hint(eid, name):
    mistake = _mistake(eid, name)
    with pytest.raises(ExerciseFailure) as info:
        check(eid, mistake.fn)
    message = str(info.value)
    assert message.startswith(f"{eid}: failed on case")
    assert f"hint:     {mistake.hint}" in message


@pytest.mark.parametrize("eid", EXPECTED_IDS)
def test_failure_message_names_inputs_got_and_expected(eid):
    mistake = next(m for m in get_exercise(eid).mistakes if "crash" not in m.name)
    message = str(pytest.raises(ExerciseFailure, check, eid, mistake.fn).value)
    for part in ("inputs:", "got:", "expected:", "problem:", "hint:"):
        assert part in message


def test_chapter_3_required_cases_are_present():
    descriptions = " | ".join(c.description for c in get_exercise("ex-03-momentum-step").cases)
    for phrase in ("beta = 0 is gradient descent", "zero gradient decays", "terminal velocity", "mom_lib.run"):
        assert phrase in descriptions


# --------------------------------------------------------------------------- not attempted


def _not_implemented(x, grad, lr):
    raise NotImplementedError("ex-01-gd-step")


def _ellipsis_body(x, grad, lr): ...


def _ellipsis_tuple(x, v, grad, lr, beta):
    x_next = ...
    v_next = ...
    return x_next, v_next


@pytest.mark.parametrize("fn", [_not_implemented, _ellipsis_body])
def test_not_attempted_prints_and_does_not_raise(fn, capsys, monkeypatch):
    monkeypatch.delenv("MOM_LIB_STRICT_CHECKS", raising=False)
    assert check("ex-01-gd-step", fn) is None
    assert capsys.readouterr().out == "ex-01-gd-step: not attempted yet\n"


def test_a_tuple_of_ellipses_is_not_attempted(capsys, monkeypatch):
    monkeypatch.delenv("MOM_LIB_STRICT_CHECKS", raising=False)
    check("ex-03-momentum-step", _ellipsis_tuple)
    assert capsys.readouterr().out == "ex-03-momentum-step: not attempted yet\n"


@pytest.mark.parametrize("fn", [_not_implemented, _ellipsis_body])
def test_strict_mode_raises_not_attempted(fn, monkeypatch):
    monkeypatch.setenv("MOM_LIB_STRICT_CHECKS", "1")
    with pytest.raises(ExerciseNotAttempted, match="ex-01-gd-step: not attempted yet"):
        check("ex-01-gd-step", fn)
    assert issubclass(ExerciseNotAttempted, AssertionError)


# --------------------------------------------------------------------------- misbehaving students


def _fails(eid, fn, **kwargs):
    with pytest.raises(ExerciseFailure) as info:
        check(eid, fn, **kwargs)
    assert isinstance(info.value, AssertionError)
    return str(info.value)


def test_a_student_that_raises_gets_the_error_and_the_line():
    def gd_step(x, grad, lr):
        return x[5] - lr * grad

    message = _fails("ex-01-gd-step", gd_step)
    assert "your function raised IndexError" in message
    assert "return x[5] - lr * grad" in message


def test_nan_is_reported():
    message = _fails("ex-01-gd-step", lambda x, grad, lr: x * np.nan)
    assert "returned nan where the answer is a number" in message


@pytest.mark.parametrize(
    ("value", "phrase"),
    [("hello", "returned a str"), (None, "returned a NoneType"), ([1.0, "a"], "not a number or an array")],
)
def test_wrong_type_is_reported(value, phrase):
    def gd_step_first_ok(x, grad, lr):  # first case fine, later ones wrong
        return x - lr * grad if lr == 0.1 else value

    assert phrase in _fails("ex-01-gd-step", gd_step_first_ok)


def test_wrong_shape_is_reported():
    message = _fails("ex-01-gd-step", lambda x, grad, lr: np.outer(x, grad))
    assert "returned shape (2, 2); expected shape (2,)" in message


def test_integer_answer_must_be_integers():
    ref = get_exercise("ex-02-basin").reference
    message = _fails("ex-02-basin", lambda x, m, tol: ref(x, m, tol).astype(float))
    assert "expected integers" in message


def test_an_endless_loop_is_stopped_and_the_kernel_lives_on():
    def gd_step(x, grad, lr):
        while True:
            pass

    message = _fails("ex-01-gd-step", gd_step, timeout=0.2)
    assert "took longer than 0.2 s and was stopped" in message
    check("ex-01-gd-step", lambda x, grad, lr: x - lr * grad)  # still works afterwards


def test_except_exception_cannot_swallow_the_time_limit():
    def gd_step(x, grad, lr):
        while True:
            try:
                while True:
                    pass
            except Exception:
                pass

    assert "was stopped" in _fails("ex-01-gd-step", gd_step, timeout=0.2)


def test_the_time_limit_also_works_off_the_main_thread():
    import threading

    box = {}

    def worker():
        try:
            check("ex-01-gd-step", lambda x, grad, lr: __import__("time").sleep(5), timeout=0.2)
        except ExerciseFailure as exc:
            box["message"] = str(exc)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert "was stopped" in box["message"]


def test_in_place_mutation_is_a_mistake_and_cannot_corrupt_the_cases():
    def gd_step(x, grad, lr):
        x -= lr * grad
        return x

    message = _fails("ex-01-gd-step", gd_step)
    assert "your function changed its input x in place" in message
    check("ex-01-gd-step", lambda x, grad, lr: x - lr * grad)  # the cases are intact


def test_in_place_momentum_step_is_diagnosed():
    def momentum_step(x, v, grad, lr, beta):
        v *= beta
        v += grad
        return x - lr * v, v

    assert "changed its input v in place" in _fails("ex-03-momentum-step", momentum_step)


def test_a_correct_student_passes_the_chained_cases(capsys):
    def momentum_step(x, v, grad, lr, beta):
        v_next = beta * v + grad
        x_next = x - lr * v_next
        return x_next, v_next

    check("ex-03-momentum-step", momentum_step)
    assert capsys.readouterr().out == "ex-03-momentum-step: passed (7 cases)\n"


def test_terminal_velocity_case_is_the_terminal_velocity():
    case = next(c for c in get_exercise("ex-03-momentum-step").cases if "terminal" in c.description)
    x, v = case.drive(get_exercise("ex-03-momentum-step").reference, case.inputs)
    np.testing.assert_allclose(v, case.inputs["grad"] / (1 - case.inputs["beta"]), rtol=1e-8)
    assert np.array_equal(case.inputs["v"], np.zeros(2))


def test_torch_tensors_are_accepted():
    torch = pytest.importorskip("torch")

    def gd_step(x, grad, lr):
        return (torch.as_tensor(x) - lr * torch.as_tensor(grad)).numpy()

    check("ex-01-gd-step", gd_step)


def test_unknown_id_lists_the_known_ones():
    with pytest.raises(ValueError, match="ex-03-momentum-step"):
        check("ex-03-momentum", heavy_ball)


def test_fn_must_be_callable():
    with pytest.raises(ValueError, match="fn must be your function"):
        check("ex-01-gd-step", 3)


# --------------------------------------------------------------------------- registry


def test_register_rejects_bad_and_duplicate_ids():
    case = Case("one", {"x": 1.0})
    with pytest.raises(ValueError, match="ex-NN-slug"):
        register(Exercise("momentum", "f(x) -> y", lambda x: x, [case]))
    with pytest.raises(ValueError, match="already registered"):
        register(Exercise("ex-01-gd-step", "f(x) -> y", lambda x: x, [case]))
    with pytest.raises(ValueError, match="at least one case"):
        register(Exercise("ex-99-empty", "f(x) -> y", lambda x: x, []))


def test_exercise_params_come_from_the_signature():
    assert get_exercise("ex-03-momentum-step").params == ("x", "v", "grad", "lr", "beta")


def test_private_cases_are_loaded_and_hidden(tmp_path, monkeypatch):
    import mom_lib.exercises._core as core

    ex = Exercise(
        "ex-98-double",
        "double(x) -> y",
        lambda x: 2 * x,
        [Case("public", {"x": 1.0})],
        [Mistake("plus-one", lambda x: x + 1, "double, do not add one")],
    )
    monkeypatch.setitem(core._REGISTRY, ex.id, ex)
    private = tmp_path / "private_cases.py"
    private.write_text(
        "from mom_lib.exercises import Case, add_cases\n"
        "add_cases('ex-98-double', [Case('secret', {'x': 3.0}, hidden=True)])\n"
    )
    monkeypatch.setenv("MOM_LIB_PRIVATE_CASES", str(private))
    message = str(pytest.raises(ExerciseFailure, check, "ex-98-double", lambda x: x + 1).value)
    assert "case 2 of 2 (secret)" in message and "(hidden)" in message and "6" not in message
    assert "double, do not add one" in message


def test_a_bound_method_input_is_not_reported_as_changed(capsys, monkeypatch):
    # check() copies its inputs, and two copies of a bound method never compare equal
    import mom_lib.exercises._core as core
    from mom_lib import Quadratic

    ex = Exercise(
        "ex-97-descend",
        "descend(x, grad_fn) -> x_next",
        lambda x, grad_fn: x - 0.1 * grad_fn(x),
        [Case("one step", {"x": np.array([1.0, 1.0]), "grad_fn": Quadratic([1.0, 4.0]).grad})],
        [Mistake("uphill", lambda x, grad_fn: x + 0.1 * grad_fn(x), "step downhill")],
    )
    monkeypatch.setitem(core._REGISTRY, ex.id, ex)
    check("ex-97-descend", lambda x, grad_fn: x - 0.1 * grad_fn(x))
    assert capsys.readouterr().out == "ex-97-descend: passed (1 cases)\n"


@pytest.mark.parametrize(
    ("timeout", "error"),
    [(0, ValueError), (-1.0, ValueError), (float("nan"), ValueError), ("2", TypeError), (True, TypeError)],
)
def test_a_bad_timeout_is_the_callers_error_not_the_students(timeout, error):
    def gd_step(x, grad, lr):
        return x - lr * grad

    with pytest.raises(error, match="timeout must be a number of seconds > 0, or None for no limit"):
        check("ex-01-gd-step", gd_step, timeout=timeout)
