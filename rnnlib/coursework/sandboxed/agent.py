"""The agent inside a submission's sandbox: runs its cells, calls its functions.

    python agent.py            (started by the grader, inside bubblewrap or not)

It speaks :mod:`wire` frames on the file descriptors it is given (requests on 0, replies
on 1, which it then points elsewhere so that nothing the student prints can reach the
channel). Requests:

- ``run``: execute one code cell in the notebook's namespace, with a time limit; reply with
  what it printed (capped) and, if it raised, the exception's type name and the lines of
  the student's own cells in its traceback (never the exception's message);
- ``call``: call one of the student's functions on inputs given as plain data; reply with
  the result as plain data (and the arguments after the call, which the function may have
  changed in place). Objects of the grader's that the function must use (an optimizer, a
  language model, a step function) arrive as handles: using them asks the grader;
- ``events``: what the agent saw (processes started, files it could not open, imports of
  the grading code, patched modules), for the instructor's flags.

This file decides nothing about grades: the grader checks every value it receives.
"""

from __future__ import annotations

import builtins
import linecache
import os
import signal
import sys
import traceback
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire  # noqa: E402  (next to this file, inside the sandbox and out)

OUTPUT_NOTE = "\n[output truncated by the grader after {:,} characters]\n"
WATCHED_MODULES = ("rnnlib", "numpy")
_REQ, _REP = None, None
EVENTS: list = []
_SEEN_EVENTS: set = set()
STATE = {"pid": None, "cell": 0, "output_limit": 100_000, "forbidden": (), "watched": {}}


class GraderTimeout(BaseException):
    """A cell or call out of time (not an Exception: ``except Exception`` cannot swallow it)."""


def _event(kind, detail=""):
    key = (kind, str(detail)[:200])
    if key not in _SEEN_EVENTS and len(EVENTS) < 200:
        _SEEN_EVENTS.add(key)
        EVENTS.append([kind, str(detail)[:200]])


def _audit(name, args):
    try:
        if name in ("subprocess.Popen", "os.system", "os.posix_spawn", "os.spawn", "os.exec",
                    "os.fork", "os.forkpty", "pty.spawn"):
            if _from_a_cell():     # not a library's own helper process (ldconfig, say)
                _event("process", name)
        elif name == "open" and args and isinstance(args[0], (str, bytes)):
            path = os.fsdecode(args[0])
            if any(path.startswith(p) for p in STATE["forbidden"]) and "__pycache__" not in path \
                    and not os.path.exists(path):
                _event("denied-file", path)
        elif name == "import" and args and isinstance(args[0], str):
            mod = args[0]
            if mod.startswith(("rnnlib.checks.", "rnnlib.coursework")) or mod in ("wire", "agent"):
                _event("import", mod)
    except BaseException:  # noqa: BLE001 - an audit hook must never fail
        pass


def _not_a_child():
    """A process the student's code forked must never answer the grader: it ends here."""
    if STATE["pid"] is not None and os.getpid() != STATE["pid"]:
        os._exit(0)


def _from_a_cell() -> bool:
    """Was the process started by the student's code itself (the first frame outside
    subprocess, os and pty is a cell's)?"""
    frame = sys._getframe(2)
    while frame is not None and os.path.basename(frame.f_code.co_filename) in (
            "subprocess.py", "os.py", "<frozen os>", "pty.py", "multiprocessing"):
        frame = frame.f_back
    return frame is not None and frame.f_code.co_filename.startswith("<cell ")


class _Capture:
    def __init__(self, limit):
        self.parts, self.size, self.limit, self.noted = [], 0, limit, False

    def write(self, text):
        if not isinstance(text, str):
            text = str(text)
        room = self.limit - self.size
        if room > 0:
            self.parts.append(text[:room])
            self.size += len(self.parts[-1])
        if len(text) > room and not self.noted:
            self.noted = True
            self.parts.append(OUTPUT_NOTE.format(self.limit))
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        pass

    def isatty(self):
        return False

    def fileno(self):
        raise OSError("no file descriptor")

    def getvalue(self):
        return "".join(self.parts)


def _alarm(seconds):
    def _raise(signum, frame):
        raise GraderTimeout()
    signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, max(0.05, float(seconds)))


def _no_alarm():
    signal.setitimer(signal.ITIMER_REAL, 0)


def _own_lines(tb) -> list:
    """The student's own lines of a traceback: ``code cell N, line L: source``."""
    lines = []
    for frame in traceback.extract_tb(tb):
        if frame.filename.startswith("<cell "):
            number = frame.filename[6:-1]
            text = (frame.line or "").strip()[:160]
            lines.append(f"code cell {number}, line {frame.lineno}: {text}")
    return lines[-8:]


def _error(exc) -> dict:
    status = "error"
    if isinstance(exc, GraderTimeout) or isinstance(exc, KeyboardInterrupt):
        status = "timeout"
    elif isinstance(exc, SystemExit):
        status = "exit"
    elif isinstance(exc, MemoryError):
        status = "memory"
    elif isinstance(exc, NotImplementedError):
        status = "not_implemented"
    try:
        ename = type(exc).__name__
    except BaseException:  # noqa: BLE001
        ename = "?"
    return {"status": status, "ename": str(ename)[:60], "lines": _own_lines(exc.__traceback__)}


# ------------------------------------------------------------------ handles of the grader's
class _Remote:
    """An object of the grader's: every use is a question to the grader."""

    __slots__ = ("_rnnlib_handle",)

    def __init__(self, number):
        object.__setattr__(self, "_rnnlib_handle", number)

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _ask({"op": "getattr", "handle": object.__getattribute__(self, "_rnnlib_handle"),
                     "attr": attr})

    def __call__(self, *args, **kwargs):
        return _ask_call(self, None, args, kwargs)

    def __len__(self):
        return _ask_call(self, "__len__", (), {})

    def __getitem__(self, key):
        return _ask_call(self, "__getitem__", (key,), {})

    def __contains__(self, key):
        return _ask_call(self, "__contains__", (key,), {})

    def __iter__(self):
        return iter(_ask_call(self, "__list__", (), {}))

    def __repr__(self):
        return "<an object of the grader's>"


def _to_handle(number):
    return _Remote(number)


def _ask_call(remote, attr, args, kwargs):
    number = object.__getattribute__(remote, "_rnnlib_handle")
    payload = [list(args), dict(kwargs)]
    reply = _ask({"op": "callback", "handle": number, "attr": attr,
                  "args": wire.encode(payload), "raw": True})
    after = reply.get("after")
    if after is not None:
        _write_back(payload, wire.decode(after, handle=_to_handle))
    return wire.decode(reply.get("result"), handle=_to_handle)


def _ask(message):
    """Ask the grader (during a call) and wait for its answer."""
    wire.write_frame(_REP, message)
    reply = wire.read_frame(_REQ)
    if reply.get("status") != "ok":
        name = str(reply.get("ename", "RuntimeError"))
        cls = getattr(builtins, name, None)
        if not (isinstance(cls, type) and issubclass(cls, Exception)):
            cls = RuntimeError
        raise cls(str(reply.get("message", ""))[:500])
    if message.get("raw"):
        return reply
    return wire.decode(reply.get("result"), handle=_to_handle)


def _write_back(original, new):
    """Make ``original`` equal ``new`` in place, where it can be (what a call changed)."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if np is not None and isinstance(original, np.ndarray) and isinstance(new, np.ndarray):
        if original.shape == new.shape and original.flags.writeable:
            original[...] = new
    elif isinstance(original, dict) and isinstance(new, dict):
        for k, v in new.items():
            if k in original and isinstance(original[k], (dict, list)) or (
                    np is not None and k in original and isinstance(original[k], np.ndarray)
                    and isinstance(v, np.ndarray) and original[k].shape == v.shape):
                _write_back(original[k], v)
            else:
                original[k] = v
        for k in [k for k in original if k not in new]:
            del original[k]
    elif isinstance(original, list) and isinstance(new, list):
        if len(original) == len(new):
            for i, v in enumerate(new):
                if isinstance(original[i], (dict, list)) or (
                        np is not None and isinstance(original[i], np.ndarray)):
                    _write_back(original[i], v)
                else:
                    original[i] = v
        else:
            original[:] = new
    elif np is not None and isinstance(original, np.random.Generator) \
            and isinstance(new, np.random.Generator):
        original.bit_generator.state = new.bit_generator.state


# ------------------------------------------------------------------ patched modules
def _snapshot():
    snap = {}
    for name, module in list(sys.modules.items()):
        if isinstance(module, types.ModuleType) and name.split(".")[0] in WATCHED_MODULES \
                and (name.count(".") == 0 or name.startswith("rnnlib")):
            try:
                snap[name] = {k: id(v) for k, v in vars(module).items()}
            except BaseException:  # noqa: BLE001
                pass
    return snap


def _patched(before):
    for name, attrs in _snapshot().items():
        old = before.get(name)
        if old is None:
            before[name] = attrs
            continue
        for k, v in attrs.items():
            if not k.startswith("__") and (k not in old or old[k] != v) and k in old:
                _event("patched-module", f"{name}.{k}")
        before[name] = {**old, **{k: v for k, v in attrs.items() if k not in old}}


# ------------------------------------------------------------------ requests
def _run(ns, msg, snapshot):
    STATE["cell"] += 1
    number = msg.get("number", STATE["cell"])
    filename = f"<cell {number}>"
    code = str(msg.get("code", ""))
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    capture = _Capture(int(STATE["output_limit"]))
    saved = sys.stdout, sys.stderr
    reply = {"status": "ok"}
    try:
        sys.stdout = sys.stderr = capture
        _alarm(msg.get("timeout", 60))
        try:
            exec(compile(code, filename, "exec"), ns)
        finally:
            _no_alarm()
    except BaseException as exc:  # noqa: BLE001 - whatever the student's code raised
        _not_a_child()
        reply = _error(exc)
    finally:
        sys.stdout, sys.stderr = saved
    _not_a_child()
    _patched(snapshot)
    reply["output"] = capture.getvalue()
    return reply


def _call(ns, msg, snapshot):
    name = msg.get("name")
    fn = ns.get(name)
    if fn is None:
        return {"status": "missing"}
    code = getattr(fn, "__code__", None)
    if not callable(fn):
        return {"status": "not_callable", "type": type(fn).__name__[:60]}
    if code is None or not str(code.co_filename).startswith("<cell "):
        module = str(getattr(fn, "__module__", "") or "")[:100]
        return {"status": "foreign", "module": module,
                "qualname": str(getattr(fn, "__qualname__", name))[:100]}
    try:
        args, kwargs = wire.decode(msg.get("args"), handle=_to_handle)
    except (wire.WireError, ValueError, TypeError):
        return {"status": "bad_request"}
    capture = _Capture(2_000)
    saved = sys.stdout, sys.stderr
    watched = STATE["watched"].get(name) or ()
    used = []

    def profile(frame, event, arg):
        if event == "call":
            co = frame.f_code
            if co.co_name in watched and "rnnlib" in co.co_filename:
                used.append(co.co_name)

    reply = None
    errstate = msg.get("errstate")
    allowed = {"ignore", "warn", "raise", "call", "print", "log"}
    if not (isinstance(errstate, dict) and set(errstate) <= {"divide", "over", "under", "invalid"}
            and all(v in allowed - {"call", "log"} for v in errstate.values())):
        errstate = {}
    try:
        import numpy as np
        rules = np.errstate(**errstate)
    except ImportError:  # pragma: no cover
        import contextlib
        rules = contextlib.nullcontext()
    try:
        sys.stdout = sys.stderr = capture
        if watched:
            sys.setprofile(profile)
        _alarm(msg.get("timeout", 60))
        try:
            with rules:
                result = fn(*args, **kwargs)
        finally:
            _no_alarm()
            sys.setprofile(None)
    except BaseException as exc:  # noqa: BLE001
        _not_a_child()
        reply = _error(exc)
    finally:
        sys.stdout, sys.stderr = saved
    _not_a_child()
    for n in sorted(set(used)):
        _event("wraps-rnnlib", f"{name} calls rnnlib's {n}")
    _patched(snapshot)
    if reply is not None:
        return reply
    try:
        return {"status": "ok", "result": wire.encode(result),
                "after": wire.encode([list(args), dict(kwargs)], handle=_handle_back)}
    except wire.WireError as error:
        return {"status": "unportable", "message": str(error)[:200]}
    except BaseException:  # noqa: BLE001 - a returned value whose methods misbehave
        return {"status": "unportable", "message": "the returned value could not be read"}


def _handle_back(obj):
    if isinstance(obj, _Remote):
        return object.__getattribute__(obj, "_rnnlib_handle")
    raise wire.WireError(f"a {type(obj).__name__}")


def main():
    global _REQ, _REP
    STATE["pid"] = os.getpid()
    _REQ, _REP = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)            # what C code prints goes to the grader's capped log
    os.close(null)
    sys.stdin = open(os.devnull)
    start = wire.read_frame(_REQ)
    STATE["output_limit"] = int(start.get("output_limit", 100_000))
    STATE["forbidden"] = tuple(str(p) for p in start.get("forbidden", []))
    watched = start.get("watched") or {}
    STATE["watched"] = {str(k): tuple(str(n) for n in v) for k, v in watched.items()
                        if isinstance(v, list)} if isinstance(watched, dict) else {}
    uid = start.get("uid")
    if isinstance(uid, int) and os.getuid() == 0:      # a root grader: run as nobody-like uid
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    try:
        import resource
        nproc = int(start.get("max_processes", 0))
        if nproc:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    except (ImportError, ValueError, OSError):
        pass
    if start.get("submission"):
        try:
            with open("submission.ipynb", "w", encoding="utf-8") as f:
                f.write(str(start["submission"]))
        except OSError:
            pass
    for name in ("MPLBACKEND",):
        os.environ.setdefault(name, "Agg")
    ns = {"__name__": "__main__", "__builtins__": builtins}
    try:
        import numpy  # noqa: F401 - the snapshot of patched modules starts with it loaded
        import rnnlib  # noqa: F401
    except BaseException:  # noqa: BLE001
        pass
    snapshot = _snapshot()
    sys.addaudithook(_audit)
    wire.write_frame(_REP, {"op": "ready", "pid": os.getpid()})
    while True:
        try:
            msg = wire.read_frame(_REQ)
        except EOFError:
            return
        op = msg.get("op")
        if op == "run":
            reply = _run(ns, msg, snapshot)
        elif op == "call":
            reply = _call(ns, msg, snapshot)
        elif op == "events":
            reply = {"status": "ok", "events": EVENTS[:200]}
        else:
            reply = {"status": "bad_request"}
        reply["op"], reply["id"] = "done", msg.get("id")
        wire.write_frame(_REP, reply)


if __name__ == "__main__":
    main()
