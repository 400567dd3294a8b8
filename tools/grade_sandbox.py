"""The runner inside the grading sandbox: run a submission's cells, then call its functions on request.

Started by tools/grade.py (never by hand), inside ``bwrap`` where it can see neither ``mom_lib``
nor any other file of the book, the other submissions, the grades or the private cases. It

1. moves the channel to tools/grade.py (its stdin and stdout) to private descriptors and points
   descriptors 0, 1 and 2 at ``/dev/null``: whatever the submission prints costs nothing;
2. makes ``import mom_lib`` (and every submodule) give stand-ins: any use of one of their
   names raises :class:`LibraryUsed`, so an answer that calls the library cannot get its value;
3. receives the notebook's code cells and runs them in order in an IPython shell, each with a
   time limit (a cell that errors or runs out is recorded and the next one runs);
4. answers the grader's requests: ``lookup`` (is this name a function defined by the
   submission?) and ``call`` (call it on these arguments and send back the raw result). An
   argument that is a function (a gradient, say) is a stand-in that asks the grader to evaluate
   it.

It decides nothing: the grader computes the expected values in its own process and compares.
Imports only the standard library, NumPy and IPython.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import signal
import sys
import traceback
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import grade_wire as wire  # noqa: E402

HITS: list[str] = []


class LibraryUsed(BaseException):  # noqa: N818 - a BaseException, so `except Exception` cannot hide it
    """The submission used a name from ``mom_lib``, which is not available while grading."""


class _Standin:
    """What ``from mom_lib import x`` gives while grading: any use raises :class:`LibraryUsed`."""

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)

    def _used(self, *args, **kwargs):
        name = object.__getattribute__(self, "_name")
        HITS.append(name)
        raise LibraryUsed(name)

    __call__ = __bool__ = __iter__ = __len__ = __array__ = __float__ = __int__ = __index__ = _used
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _used
    __matmul__ = __rmatmul__ = __pow__ = __neg__ = __getitem__ = __lt__ = __gt__ = __le__ = __ge__ = _used

    def __getattr__(self, attr: str):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return _Standin(f"{object.__getattribute__(self, '_name')}.{attr}")

    def __repr__(self) -> str:
        return f"<{object.__getattribute__(self, '_name')}: not available while grading>"


class _StandinModule(types.ModuleType):
    def __getattr__(self, attr: str):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return _Standin(f"{self.__name__}.{attr}")


class _Inert:
    """What figure libraries give while grading: accepts every call and attribute, draws nothing."""

    def __call__(self, *args, **kwargs):
        return self

    def __getattr__(self, attr: str):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return self

    def __iter__(self):
        return iter((self, self, self))

    def __getitem__(self, key):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _InertModule(types.ModuleType):
    def __getattr__(self, attr: str):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return _Inert()


#: Packages that only draw: replaced by inert stand-ins, which saves about a second per notebook.
INERT = ("matplotlib", "ipywidgets")


class _LibraryFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        top = fullname.split(".")[0]
        if top == "mom_lib" or top in INERT:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        kind = _StandinModule if spec.name.split(".")[0] == "mom_lib" else _InertModule
        module = kind(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        return None


def is_standin(obj) -> bool:
    return type(obj) is _Standin


class _CellTimeout(KeyboardInterrupt):
    pass


def run_cells(shell, cells: list[str], cell_timeout: float) -> list[dict]:
    """Run each cell; return ``[{"cell": i, "error": "..."}]`` for the cells that failed."""
    errors = []

    def on_alarm(signum, frame):
        raise _CellTimeout

    for i, source in enumerate(cells):
        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, cell_timeout)
        try:
            result = shell.run_cell(source, store_history=False)
            problem = result.error_before_exec or result.error_in_exec
        except BaseException as exc:  # noqa: BLE001 - e.g. the alarm outside the shell's own handler
            problem = exc
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if problem is not None:
            if isinstance(problem, KeyboardInterrupt):
                text = f"stopped after {cell_timeout:g} s"
            else:
                text = f"{type(problem).__name__}: {str(problem)[:200]}"
            errors.append({"cell": i, "error": text})
    return errors


def describe(ns: dict, name: str) -> dict:
    """Whether ``name`` is a function the submission defined."""
    if name not in ns:
        return {"defined": False, "why": "not defined"}
    obj = ns[name]
    if is_standin(obj):
        return {"defined": False, "why": "library", "library": object.__getattribute__(obj, "_name")}
    if not callable(obj):
        return {"defined": False, "why": f"not a function (a {type(obj).__name__})"}
    return {"defined": True}


def _student_line(exc: BaseException) -> str:
    here = os.path.abspath(__file__)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) != here]
    if not frames:
        return ""
    f = frames[-1]
    return f"line {f.lineno}: {(f.line or '').strip()}"[:200]


def serve(chan_in, chan_out, ns: dict) -> None:
    """Answer ``lookup`` and ``call`` requests until ``bye`` or the end of the channel."""
    import builtins

    def make_callable(index: int):
        def standin(*args):
            wire.send(chan_out, {"op": "callback", "id": index, "args": [wire.encode(a) for a in args]})
            reply = wire.recv(chan_in)
            if reply.get("op") == "return":
                return wire.decode(reply["value"])
            kind = getattr(builtins, str(reply.get("type", "")), None)
            if isinstance(kind, type) and issubclass(kind, Exception):
                raise kind(str(reply.get("message", "")))
            raise RuntimeError(str(reply.get("message", "the gradient failed")))

        return standin

    while True:
        try:
            request = wire.recv(chan_in)
        except EOFError:
            return
        op = request.get("op")
        if op == "bye":
            return
        if op == "lookup":
            wire.send(chan_out, {"op": "info", **describe(ns, str(request.get("name")))})
            continue
        if op != "call":
            wire.send(chan_out, {"op": "error", "type": "ProtocolError", "message": f"unknown op {op!r}"})
            continue
        fn = ns.get(str(request.get("name")))
        del HITS[:]
        try:
            args = [wire.decode(a, make_callable) for a in request["args"]]
            with _errstate():
                value = fn(*args)
            reply = {"op": "result", "value": wire.encode(value), "after": [wire.encode(a, []) for a in args]}
        except BaseException as exc:  # noqa: BLE001 - whatever the submission raises is reported
            reply = {
                "op": "error",
                "type": type(exc).__name__[:60],
                "message": str(exc)[:300] if not isinstance(exc, LibraryUsed) else str(exc),
                "where": _student_line(exc),
            }
        reply["library"] = sorted(set(HITS))[:20]
        wire.send(chan_out, reply)


def _errstate():
    import numpy as np

    return np.errstate(all="ignore")


def main() -> int:
    chan_in = os.fdopen(os.dup(0), "rb", buffering=0)
    chan_out = os.fdopen(os.dup(1), "wb", buffering=0)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    sys.meta_path.insert(0, _LibraryFinder())
    start = wire.recv(chan_in)
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    errors = run_cells(shell, [str(c) for c in start["cells"]], float(start["cell_timeout"]))
    wire.send(chan_out, {"op": "ran", "errors": errors[:50]})
    serve(chan_in, chan_out, shell.user_ns)
    return 0


if __name__ == "__main__":
    os._exit(main())
