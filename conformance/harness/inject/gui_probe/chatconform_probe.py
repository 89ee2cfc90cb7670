"""The GUI probe's toolkit-independent half, running inside the candidate's process.

It serves a control socket (JSON lines over the Unix socket named by CHATCONFORM_PROBE_SOCKET). A
reader thread per connection answers `ping` and `exceptions` at once, off the GUI thread, so a
frozen GUI can be told from a dead process; every other command is queued for the toolkit adapter,
which runs it on the GUI thread (Tk: an `after` loop; Qt: a QTimer) and writes the answer back.
It also records the candidate's uncaught exceptions, in any thread, and (Qt) every widget touched
from a thread other than the GUI thread. The toolkit adapters hook in when the candidate imports its
toolkit (tkinter, PyQt5.QtWidgets), so a program pays only for the toolkit it uses.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import json
import os
import queue
import socket
import sys
import threading
import time
import traceback

_requests: queue.Queue = queue.Queue()
_exceptions: list = []
_thread_touches: list = []    # widgets used off the GUI thread, a GUI created off the main thread
_deferred: list = []
_state = {"adapter": None, "last_pump": None, "started": False, "pumping": False, "after_uncaught": None,
          "gui_gone": False}   # gui_gone: the GUI's event loop has ended (its root or application is gone)


class NotThere(Exception):
    """A command asked for something the program's window does not have (a combo box item): the
    program's doing, answered with `fault: "program"`. Any other exception in a command is the
    probe's own fault (`fault: "probe"`): the harness makes the test an error, never a failure."""


class WidgetGone(NotThere):
    """The program deleted the widget a command names (its window closed)."""


def record_exception(kind, value, tb, where: str) -> None:
    text = "".join(traceback.format_exception(kind, value, tb))
    _exceptions.append({"where": where, "type": getattr(kind, "__name__", str(kind)), "traceback": text[-6000:]})


def _hook_exceptions() -> None:
    previous_sys, previous_thread = sys.excepthook, threading.excepthook

    def sys_hook(kind, value, tb):
        record_exception(kind, value, tb, "main thread")
        previous_sys(kind, value, tb)
        if previous_sys is sys.__excepthook__ and _state["after_uncaught"] is not None:
            _state["after_uncaught"]()   # what the toolkit does with the default hook (PyQt5: abort)

    def thread_hook(args):
        if args.exc_type is not SystemExit:
            name = args.thread.name if args.thread is not None else "?"
            record_exception(args.exc_type, args.exc_value, args.exc_traceback, f"thread {name}")
        previous_thread(args)

    sys.excepthook, threading.excepthook = sys_hook, thread_hook


def record_touch(call: str, drop: int = 2) -> None:
    """A widget used off the GUI thread (or a GUI made off the main thread): the call and its stack,
    less the probe's own `drop` innermost frames."""
    stack = "".join(traceback.format_stack(limit=5 + drop)[:-drop])
    _thread_touches.append({"call": call, "thread": threading.current_thread().name, "stack": stack[-2000:]})


def guard_methods(module, guarded: dict, wrap, own_only: bool = False) -> None:
    """Replace each listed method of the module's classes with wrap(class name, method name, original);
    `own_only`: only methods a class defines itself (Tk's are inherited from Misc, wrapped there once)."""
    for cls_name, names in guarded.items():
        cls = getattr(module, cls_name)
        for name in names:
            original = cls.__dict__.get(name) if own_only else getattr(cls, name, None)
            if original is not None:
                setattr(cls, name, wrap(cls_name, name, original))


def threads() -> list:
    """The candidate's threads: name, daemon or not, and where each waits (the innermost frame, and the
    innermost frame of the candidate's own code, with its line)."""
    frames = sys._current_frames()
    here = os.getcwd()

    def show(frame) -> str:   # file:line in function(): the line (the candidate's files relative to its folder)
        where = os.path.relpath(frame.filename, here) if frame.filename.startswith(here) else \
            os.path.basename(frame.filename)
        return f"{where}:{frame.lineno} in {frame.name}()" + (f": {frame.line.strip()}" if frame.line else "")

    out = []
    for thread in threading.enumerate():
        if thread.name.startswith("chatconform-probe"):
            continue
        frame = frames.get(thread.ident)
        stack = traceback.extract_stack(frame) if frame is not None else []
        own = [f for f in stack if f.filename.startswith(here) and "chatconform_probe" not in f.filename]
        out.append({"name": thread.name, "daemon": thread.daemon, "main": thread is threading.main_thread(),
                    "waits_in": show(stack[-1]) if stack else "", "own": show(own[-1]) if own else ""})
    return out


def _send(conn: socket.socket, lock: threading.Lock, answer: dict) -> None:
    data = (json.dumps(answer, ensure_ascii=False) + "\n").encode("utf-8")
    with lock:
        try:
            conn.sendall(data)
        except OSError:
            pass


def _serve_connection(conn: socket.socket) -> None:
    lock, buffer = threading.Lock(), b""
    while True:
        try:
            data = conn.recv(65536)
        except OSError:
            return
        if not data:
            return
        buffer += data
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            try:
                request = json.loads(line)
            except ValueError:
                _send(conn, lock, {"ok": False, "error": "not JSON"})
                continue
            command = request.get("cmd")
            if command == "ping":
                last = _state["last_pump"]
                _send(conn, lock, {"id": request.get("id"), "ok": True, "pid": os.getpid(),
                                   "adapter": _state["adapter"] and _state["adapter"].name,
                                   "gui_idle_s": None if last is None else round(time.monotonic() - last, 3)})
            elif command == "exceptions":
                _send(conn, lock, {"id": request.get("id"), "ok": True, "exceptions": list(_exceptions),
                                   "thread_touches": list(_thread_touches)})
            elif command == "threads":   # answered here: it explains a process whose GUI is gone or stuck
                _send(conn, lock, {"id": request.get("id"), "ok": True, "threads": threads(),
                                   "gui_gone": _state["gui_gone"]})
            else:
                _requests.put((request, lambda answer, c=conn, lk=lock: _send(c, lk, answer)))


def _listen(path: str) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        os.unlink(path)
    except OSError:
        pass
    server.bind(path + ".tmp")
    server.listen(8)
    os.rename(path + ".tmp", path)    # the harness sees the socket only once it accepts
    while True:
        conn, _ = server.accept()
        threading.Thread(target=_serve_connection, args=(conn,), daemon=True, name="chatconform-probe").start()


def pump(adapter) -> None:
    """Run queued commands; called on the GUI thread by the adapter's timer (not again from inside a
    command that runs a nested event loop)."""
    _state["last_pump"] = time.monotonic()
    if _state["pumping"] or _deferred:   # an action still to run comes before the next command
        return
    _state["pumping"] = True
    try:
        _pump(adapter)
    finally:
        _state["pumping"] = False


def defer(action) -> None:
    """An action the adapter runs from the event loop after its answer (a click whose handler may open
    a modal dialog, a close); no command runs before it: the harness's next command sees its effect."""
    _deferred.append(action)


def run_deferred() -> None:
    while _deferred:
        _deferred.pop(0)()


def _pump(adapter) -> None:
    while not _deferred:   # a deferred action runs before any command that came after it
        try:
            request, reply = _requests.get_nowait()
        except queue.Empty:
            return
        try:
            if request.get("cmd") == "tree" and os.environ.get("CHATCONFORM_INJECT_FAULT") == "probe":
                raise RuntimeError("a probe fault injected by the self-test")
            result = adapter.run(request)
            answer = {"id": request.get("id"), "ok": True, **result}
        except NotThere as exc:
            answer = {"id": request.get("id"), "ok": False, "error": str(exc), "fault": "program"}
        except Exception as exc:   # a probe command failing must never hurt the candidate
            answer = {"id": request.get("id"), "ok": False, "error": f"{type(exc).__name__}: {exc}", "fault": "probe",
                      "where": traceback.format_exc(limit=-2)[-1500:]}
        reply(answer)


def attach(adapter) -> None:
    """Called by an adapter when the candidate's GUI exists: start serving (once per process)."""
    _state["adapter"] = adapter
    if _state["started"]:
        return
    _state["started"] = True
    threading.Thread(target=_listen, args=(os.environ["CHATCONFORM_PROBE_SOCKET"],), daemon=True,
                     name="chatconform-probe-listener").start()


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs a hook on a module right after the candidate imports it (once)."""

    def __init__(self, hooks: dict):
        self.hooks = hooks   # module name -> function(module)

    def find_spec(self, name, path, target=None):
        hook = self.hooks.pop(name, None)
        if hook is None:
            return None
        spec = importlib.util.find_spec(name)   # the other finders' answer (this hook is spent)
        if spec is None or spec.loader is None:
            return spec
        original = spec.loader.exec_module

        def exec_module(module):
            original(module)
            try:
                hook(module)
            except Exception as exc:   # the probe must never break the candidate's import
                sys.stderr.write(f"chatconform probe: could not attach to {name}: {exc!r}\n")
                fault(f"could not attach to {name}: {type(exc).__name__}: {exc}")
        spec.loader.exec_module = exec_module
        return spec


def fault(what: str) -> None:
    """A fault of the probe's own outside any command (it could not attach): written beside the control
    socket, where the harness looks when no window shows, so the test is an error, not a failure."""
    try:
        with open(os.environ["CHATCONFORM_PROBE_SOCKET"] + ".fault", "a", encoding="utf-8") as f:
            f.write(what + "\n")
    except (OSError, KeyError):
        pass


def install() -> None:
    if not os.environ.get("CHATCONFORM_PROBE_SOCKET"):
        return
    _hook_exceptions()

    def tk(module):
        import chatconform_probe_tk
        chatconform_probe_tk.install(module)

    def qt(module):
        import chatconform_probe_qt
        chatconform_probe_qt.install(module)

    sys.meta_path.insert(0, _AfterImport({"tkinter": tk, "PyQt5.QtWidgets": qt}))
