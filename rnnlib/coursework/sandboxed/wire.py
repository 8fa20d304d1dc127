"""Plain data across the sandbox's wall: JSON frames, arrays as raw bytes, never pickle.

Values: ``None``, ``bool``, ``int``, ``float`` (NaN and infinities too), ``str``, ``list``,
``tuple``, ``dict`` (any keys of these kinds), numpy arrays of numbers or booleans, numpy
scalars, numpy ``Generator`` objects (their state) and *handles* (numbered references to
objects that stay on the side that owns them). Decoding checks every node and caps the
size, the depth and the number of nodes; anything else is a :class:`WireError`.
"""

from __future__ import annotations

import base64
import json
import math
import struct

MAX_FRAME = 64 * 2 ** 20        # bytes of one message
MAX_DEPTH = 40
MAX_NODES = 2_000_000
MAX_STR = 1_000_000
MAX_INT_DIGITS = 400
ARRAY_KINDS = "biufc"


class WireError(ValueError):
    """A value that cannot cross (encoding) or a message that is not valid (decoding)."""


def _np():
    import numpy
    return numpy


# ------------------------------------------------------------------ encoding
def encode(value, handle=None):
    """``value`` as a JSON-ready structure; ``handle(obj) -> int`` for other objects (else
    :class:`WireError`)."""
    np = _np()
    counter = [0]

    def enc(v, depth):
        counter[0] += 1
        if depth > MAX_DEPTH or counter[0] > MAX_NODES:
            raise WireError("a value nested too deeply or too large to send")
        if v is None or isinstance(v, (bool, str)):
            if isinstance(v, str) and len(v) > MAX_STR:
                raise WireError("a string too long to send")
            return v
        if isinstance(v, int) and not isinstance(v, bool):
            if abs(v) >= 10 ** MAX_INT_DIGITS:
                raise WireError("an integer too large to send")
            return v
        if isinstance(v, float):
            return v if math.isfinite(v) else {"__f__": repr(v)}
        if isinstance(v, np.ndarray):
            if v.dtype.kind not in ARRAY_KINDS:
                raise WireError(f"an array of dtype {v.dtype} (only numbers and booleans cross)")
            data = np.ascontiguousarray(v)
            return {"__nd__": [data.dtype.str, list(data.shape),
                               base64.b64encode(data.tobytes()).decode("ascii")]}
        if isinstance(v, np.generic):
            if v.dtype.kind not in ARRAY_KINDS:
                raise WireError(f"a numpy scalar of dtype {v.dtype}")
            return {"__np__": [v.dtype.str, base64.b64encode(np.asarray(v).tobytes()).decode("ascii")]}
        if isinstance(v, list):
            return [enc(x, depth + 1) for x in v]
        if isinstance(v, tuple):
            return {"__tuple__": [enc(x, depth + 1) for x in v]}
        if isinstance(v, dict):
            return {"__dict__": [[enc(k, depth + 1), enc(x, depth + 1)] for k, x in v.items()]}
        if isinstance(v, np.random.Generator) and type(v.bit_generator).__name__ == "PCG64":
            return {"__rng__": enc(v.bit_generator.state, depth + 1)}
        if handle is not None:
            return {"__handle__": int(handle(v))}
        raise WireError(f"a {type(v).__name__} (only plain data crosses)")

    return enc(value, 0)


def decode(data, handle=None):
    """The value ``data`` (from :func:`encode`) stands for; ``handle(int) -> object`` for
    handles (else :class:`WireError`). Checks every node."""
    np = _np()
    counter = [0]

    def dec(d, depth):
        counter[0] += 1
        if depth > MAX_DEPTH or counter[0] > MAX_NODES:
            raise WireError("a value nested too deeply or too large")
        if d is None or isinstance(d, (bool, str, float)):
            return d
        if isinstance(d, int):
            if abs(d) >= 10 ** MAX_INT_DIGITS:
                raise WireError("an integer too large")
            return d
        if isinstance(d, list):
            return [dec(x, depth + 1) for x in d]
        if not isinstance(d, dict) or len(d) != 1:
            raise WireError("not a wire value")
        (tag, body), = d.items()
        if tag == "__f__":
            if body not in ("nan", "inf", "-inf"):
                raise WireError("not a float")
            return float(body)
        if tag == "__tuple__" and isinstance(body, list):
            return tuple(dec(x, depth + 1) for x in body)
        if tag == "__dict__" and isinstance(body, list):
            out = {}
            for pair in body:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise WireError("not a dict item")
                key = dec(pair[0], depth + 1)
                try:
                    out[key] = dec(pair[1], depth + 1)
                except TypeError:
                    raise WireError("an unhashable dict key") from None
            return out
        if tag == "__nd__" and isinstance(body, list) and len(body) == 3:
            dtype, shape, raw = body
            dt = _dtype(np, dtype)
            if not (isinstance(shape, list) and len(shape) <= 32
                    and all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n for n in shape)):
                raise WireError("not an array shape")
            if not isinstance(raw, str):
                raise WireError("not array data")
            size = math.prod(shape) * dt.itemsize
            buf = base64.b64decode(raw.encode("ascii"), validate=True)
            if len(buf) != size:
                raise WireError("array data of the wrong size")
            return np.frombuffer(buf, dtype=dt).reshape(shape).copy()
        if tag == "__np__" and isinstance(body, list) and len(body) == 2:
            dt = _dtype(np, body[0])
            buf = base64.b64decode(str(body[1]).encode("ascii"), validate=True)
            if len(buf) != dt.itemsize:
                raise WireError("scalar data of the wrong size")
            return np.frombuffer(buf, dtype=dt)[0]
        if tag == "__rng__":
            state = dec(body, depth + 1)
            try:
                gen = np.random.Generator(np.random.PCG64())
                gen.bit_generator.state = state
            except (TypeError, ValueError, KeyError):
                raise WireError("not a random generator state") from None
            return gen
        if tag == "__handle__" and isinstance(body, int) and handle is not None:
            return handle(body)
        raise WireError("not a wire value")

    return dec(data, 0)


def _dtype(np, text):
    if not isinstance(text, str) or len(text) > 8:
        raise WireError("not a dtype")
    try:
        dt = np.dtype(text)
    except TypeError:
        raise WireError("not a dtype") from None
    if dt.kind not in ARRAY_KINDS or dt.hasobject:
        raise WireError(f"an array of dtype {dt}")
    return dt


# ------------------------------------------------------------------ frames
def write_frame(fd: int, message: dict) -> None:
    """One message: a 4-byte length, then JSON."""
    import os

    data = json.dumps(message, allow_nan=False, separators=(",", ":")).encode("utf-8")
    if len(data) > MAX_FRAME:
        raise WireError(f"a message of {len(data):,} bytes (at most {MAX_FRAME:,})")
    view = memoryview(struct.pack(">I", len(data)) + data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def parse_frame(data: bytes) -> dict:
    try:
        message = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise WireError("a message that is not JSON") from None
    if not isinstance(message, dict):
        raise WireError("a message that is not a JSON object")
    return message


def read_exact(fd: int, n: int) -> bytes:
    import os

    parts, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def read_frame(fd: int) -> dict:
    (size,) = struct.unpack(">I", read_exact(fd, 4))
    if size > MAX_FRAME:
        raise WireError(f"a message of {size:,} bytes (at most {MAX_FRAME:,})")
    return parse_frame(read_exact(fd, size))
