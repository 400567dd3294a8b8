"""The wire format between tools/grade.py and the sandboxed runner (tools/grade_sandbox.py).

Messages are length-prefixed JSON frames (4 bytes big-endian, then UTF-8 JSON). Values --
function arguments and return values -- are encoded as tagged JSON: numbers exactly (floats
as ``float.hex``), arrays of numbers or booleans as base64 of their bytes with dtype and shape,
tuples, lists and dicts element by element. Nothing is ever pickled, and decoding never runs
code: anything else a submission returns arrives as an :class:`Opaque` placeholder naming its
type. Decoding refuses frames and arrays above fixed sizes.

This module imports only the standard library and NumPy: the sandbox loads it without
``mom_lib``.
"""

from __future__ import annotations

import base64
import json
import struct
from typing import Any, BinaryIO

import numpy as np

#: Largest frame either side accepts (bytes).
MAX_FRAME = 64 * 2**20
#: Largest array either side accepts (elements).
MAX_ELEMENTS = 2**22
_MAX_DEPTH = 32
_KINDS = "biufc"


class WireError(ValueError):
    """A frame or value that breaks the format (too large, malformed, unknown tag)."""


class Opaque:
    """Stands for a returned value that is not a number, an array or a container of them."""

    def __init__(self, type_name: str, text: str) -> None:
        self.type_name, self.text = type_name, text

    def __repr__(self) -> str:
        return self.text


def _opaque(type_name: str, text: str) -> Opaque:
    safe = "".join(c for c in type_name if c.isalnum() or c == "_")[:40] or "object"
    if not safe[0].isalpha():
        safe = "object_" + safe
    return type(safe, (Opaque,), {})(type_name, text)


def encode(value: Any, callables: list[Any] | None = None, depth: int = 0) -> Any:
    """``value`` as tagged JSON; callables are listed in ``callables`` and sent by index."""
    if depth > _MAX_DEPTH:
        return {"t": "opaque", "type": "deep", "repr": "(nested too deeply)"}
    if value is None:
        return {"t": "none"}
    if value is Ellipsis:
        return {"t": "ellipsis"}
    if isinstance(value, bool):
        return {"t": "bool", "v": value}
    if isinstance(value, int):
        if abs(value) > 10**100:
            return {"t": "opaque", "type": "int", "repr": "(a huge int)"}
        return {"t": "int", "v": str(value)}
    if isinstance(value, float):
        return {"t": "float", "v": value.hex()}
    if isinstance(value, complex):
        return {"t": "complex", "re": value.real.hex(), "im": value.imag.hex()}
    if isinstance(value, (np.ndarray, np.generic)) and getattr(value, "dtype", None) is not None:
        arr = np.asarray(value)
        if arr.dtype.kind in _KINDS and arr.size <= MAX_ELEMENTS:
            data = base64.b64encode(np.ascontiguousarray(arr).tobytes()).decode("ascii")
            tag = "array" if isinstance(value, np.ndarray) else "scalar"
            return {"t": tag, "dtype": arr.dtype.str, "shape": list(arr.shape), "data": data}
        return {"t": "opaque", "type": type(value).__name__, "repr": f"an array of dtype {arr.dtype}"}
    if isinstance(value, (tuple, list)):
        tag = "tuple" if isinstance(value, tuple) else "list"
        if len(value) > 10_000:
            return {"t": "opaque", "type": tag, "repr": f"a {tag} of {len(value)} items"}
        return {"t": tag, "items": [encode(v, callables, depth + 1) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value) and len(value) <= 1000:
        return {"t": "dict", "items": [[k, encode(v, callables, depth + 1)] for k, v in value.items()]}
    if callable(value) and callables is not None:
        callables.append(value)
        return {"t": "callable", "id": len(callables) - 1}
    try:
        text = repr(value)[:200]
    except BaseException:  # noqa: BLE001 - a hostile __repr__
        text = "(no repr)"
    return {"t": "opaque", "type": type(value).__name__[:40], "repr": text}


def decode(obj: Any, make_callable=None, depth: int = 0) -> Any:
    """The value of tagged JSON ``obj``; ``make_callable(id)`` builds the stand-in of a callable."""
    if depth > _MAX_DEPTH or not isinstance(obj, dict):
        raise WireError("malformed value")
    t = obj.get("t")
    if t == "none":
        return None
    if t == "ellipsis":
        return Ellipsis
    if t == "bool":
        return bool(obj["v"])
    if t == "int":
        text = str(obj["v"])
        if len(text) > 102:
            raise WireError("int too large")
        return int(text)
    if t == "float":
        return float.fromhex(str(obj["v"]))
    if t == "complex":
        return complex(float.fromhex(str(obj["re"])), float.fromhex(str(obj["im"])))
    if t in ("array", "scalar"):
        dtype = np.dtype(str(obj["dtype"]))
        if dtype.kind not in _KINDS:
            raise WireError(f"dtype {dtype} is not allowed")
        shape = tuple(int(s) for s in obj["shape"])
        if any(s < 0 for s in shape) or int(np.prod(shape, dtype=np.int64)) > MAX_ELEMENTS:
            raise WireError("array too large")
        raw = base64.b64decode(str(obj["data"]), validate=True)
        arr = np.frombuffer(raw, dtype=dtype).copy()
        if arr.size != int(np.prod(shape, dtype=np.int64)):
            raise WireError("array data does not match its shape")
        arr = arr.reshape(shape)
        return arr if t == "array" else arr[()]
    if t in ("tuple", "list"):
        items = [decode(v, make_callable, depth + 1) for v in obj["items"]]
        return tuple(items) if t == "tuple" else items
    if t == "dict":
        return {str(k): decode(v, make_callable, depth + 1) for k, v in obj["items"]}
    if t == "callable" and make_callable is not None:
        return make_callable(int(obj["id"]))
    if t == "opaque":
        return _opaque(str(obj.get("type", "object")), str(obj.get("repr", ""))[:200])
    raise WireError(f"unknown tag {t!r}")


def send(stream: BinaryIO, message: dict) -> None:
    """Write one frame."""
    data = json.dumps(message, separators=(",", ":")).encode()
    if len(data) > MAX_FRAME:
        raise WireError(f"a frame of {len(data)} bytes is larger than {MAX_FRAME}")
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


def parse(data: bytes) -> dict:
    """One frame's JSON (after its length prefix); a :class:`WireError` for anything but an object."""
    try:
        message = json.loads(data.decode())
    except (ValueError, RecursionError) as exc:  # bad UTF-8 or JSON, a number too long, nesting too deep
        raise WireError(f"malformed frame: {str(exc)[:200]}") from None
    if not isinstance(message, dict):
        raise WireError("a frame must hold a JSON object")
    return message


def recv(stream: BinaryIO) -> dict:
    """Read one frame (blocking); :class:`EOFError` at the end of the stream."""
    head = _read_exactly(stream, 4)
    (size,) = struct.unpack(">I", head)
    if size > MAX_FRAME:
        raise WireError(f"a frame of {size} bytes is larger than {MAX_FRAME}")
    return parse(_read_exactly(stream, size))


def _read_exactly(stream: BinaryIO, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)
