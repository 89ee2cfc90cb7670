"""Programs whose widgets shadow toolkit methods with attributes of another type (`self.layout =
QVBoxLayout(self)`, `self.title = "Chat"`), for proving that the GUI probe reads every widget through
the toolkit's own classes.

Which names: every method name the probe's adapter calls (read from its code, so a new call is
covered without editing this file) and the names students are known to shadow, kept where the
toolkit's widget classes have such a method. A name the toolkit's own Python code calls on its
widgets (tkinter's `self.after(...)` inside `after_idle`) breaks the program whoever reads it, so it
is left out, with that reason.

How: the program's source is rewritten so that its own calls of those names go through the class
(`w.text()` -> `_shadow_call(w, "text")`), and a preamble shadows the names on every widget, again
and again as widgets appear (a Qt timer, a Tk `after` loop)."""
from __future__ import annotations

import ast
import inspect
import re
import shutil
from pathlib import Path

from conformance.harness.programs import INJECT_DIR

PROBE_DIR = INJECT_DIR / "gui_probe"
ADAPTERS = {"qt": PROBE_DIR / "chatconform_probe_qt.py", "tk": PROBE_DIR / "chatconform_probe_tk.py"}

# What students and the probe's earlier versions are known to shadow or call
KNOWN = ("layout", "text", "children", "show", "close", "update", "title", "config", "configure", "send", "get",
         "insert", "delete", "cget", "winfo_children", "winfo_class", "winfo_viewable", "focus_force", "focus_set",
         "event_generate", "tab", "tabs", "select", "invoke", "icursor", "mark_set", "tag_remove",
         "selection_clear", "update_idletasks", "wm_title", "wm_transient", "protocol", "destroy", "setText",
         "toPlainText", "windowTitle", "isVisible", "isEnabled", "parentWidget", "findChildren", "width", "height",
         "currentText", "count", "itemText", "model", "setFocus", "grab", "buddy", "toolTip", "mapToGlobal")


def called_in(path: Path) -> set:
    """The attribute names the file calls: `x.name(...)` and `Class.name(w, ...)` alike."""
    tree = ast.parse(path.read_text())
    return {node.func.attr for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}


def widget_classes(toolkit: str) -> list:
    if toolkit == "qt":
        from PyQt5 import QtWidgets
        return [c for c in vars(QtWidgets).values() if isinstance(c, type) and issubclass(c, QtWidgets.QWidget)]
    import tkinter
    from tkinter import scrolledtext, ttk
    return [c for module in (tkinter, ttk, scrolledtext) for c in vars(module).values()
            if isinstance(c, type) and issubclass(c, tkinter.Misc)]


def toolkit_calls_on_itself(toolkit: str, program: str) -> dict:
    """Names the toolkit's own Python code calls on a widget of a class the program uses
    (`self.after(...)` in tkinter's `after_idle`, `self.title(root.title())` in `Toplevel()`), with
    where: shadowing one of them breaks the program itself. Qt's widgets are C++ (no such calls)."""
    if toolkit == "qt":
        return {}
    used = {node.attr if isinstance(node, ast.Attribute) else node.id for node in ast.walk(ast.parse(program))
            if isinstance(node, (ast.Attribute, ast.Name))}
    calls = {}
    for cls in widget_classes(toolkit):
        if cls.__name__ not in used:
            continue
        for klass in cls.__mro__:
            if klass.__module__.startswith("tkinter"):
                for who, name in re.findall(r"\b(self|c|w)\.(\w+)\(", inspect.getsource(klass)):
                    calls.setdefault(name, f"tkinter's {klass.__name__} calls {who}.{name}() on a widget")
    return calls


def shadowable(toolkit: str, program: str) -> tuple:
    """(names to shadow, {name left out: why}) for a program's source."""
    methods = {name for cls in widget_classes(toolkit) for name in dir(cls)
               if not name.startswith("_") and callable(getattr(cls, name, None))}
    wanted = (called_in(ADAPTERS[toolkit]) | set(KNOWN)) & methods
    itself = toolkit_calls_on_itself(toolkit, program)
    left_out = {name: itself[name] for name in wanted if name in itself}
    return tuple(sorted(wanted - set(left_out))), left_out


class _ClassStyle(ast.NodeTransformer):
    """`x.name(...)` -> `_shadow_call(x, "name", ...)` and `x.name` -> `_shadow_get(x, "name")` for the
    shadowed names (never `super().name`, never an assignment's target)."""

    def __init__(self, names):
        self.names = set(names)

    @staticmethod
    def on_super(node: ast.Attribute) -> bool:
        value = node.value
        return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super"

    def visit_Call(self, node):
        self.generic_visit(node)
        f = node.func
        if isinstance(f, ast.Call) and isinstance(f.func, ast.Name) and f.func.id == "_shadow_get":
            target, name = f.args
            return ast.copy_location(ast.Call(ast.Name("_shadow_call", ast.Load()), [target, name, *node.args],
                                              node.keywords), node)
        return node

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if node.attr in self.names and isinstance(node.ctx, ast.Load) and not self.on_super(node):
            return ast.copy_location(ast.Call(ast.Name("_shadow_get", ast.Load()),
                                              [node.value, ast.Constant(node.attr)], []), node)
        return node


PREAMBLE = '''
# --- written by tests/shadowing.py: every widget shadows {names!r} with an attribute of another type
class _Shadow:
    __slots__ = ("name",)
    def __init__(self, name):
        self.name = name
    def __repr__(self):
        return f"<shadowing {{self.name}}>"

_SHADOWED = {names!r}

def _shadow_get(obj, name):
    own = getattr(obj, "__dict__", {{}}).get(name)
    if own is not None and not isinstance(own, _Shadow):
        return own   # the program's own attribute of that name
    if not isinstance(obj, type):
        for klass in type(obj).__mro__:
            if name in vars(klass):
                attr = vars(klass)[name]
                return attr.__get__(obj, type(obj)) if hasattr(attr, "__get__") else attr
    return getattr(obj, name)

def _shadow_call(obj, name, *args, **kwargs):
    return _shadow_get(obj, name)(*args, **kwargs)

def _shadow(widget):
    try:
        own = widget.__dict__
    except AttributeError:
        return
    for name in _SHADOWED:
        if name not in own:
            own[name] = _Shadow(name)
'''

QT = '''
import PyQt5.QtWidgets as _qw
from PyQt5 import QtCore as _qc
_shadow_timers = []
_ShadowBase = _qw.QApplication

class _ShadowingApplication(_ShadowBase):
    def __init__(self, *args, **kwargs):
        _ShadowBase.__init__(self, *args, **kwargs)
        def tick():
            for widget in _qw.QApplication.allWidgets():
                _shadow(widget)
        timer = _qc.QTimer()
        timer.timeout.connect(tick)
        timer.start(5)
        _shadow_timers.append(timer)
        tick()

_qw.QApplication = _ShadowingApplication
# --- the program
'''

TK = '''
import tkinter as _tk
_shadow_init = _tk.Tk.__init__

def _shadowing_init(self, *args, **kwargs):
    _shadow_init(self, *args, **kwargs)
    def tick():
        stack = [self]
        while stack:
            widget = stack.pop()
            _shadow(widget)
            stack.extend(_tk.Misc.winfo_children(widget))
        try:
            _tk.Misc.after(self, 5, tick)
        except _tk.TclError:
            pass
    tick()

_tk.Tk.__init__ = _shadowing_init
# --- the program
'''


def shadowing(source: str, names, toolkit: str) -> str:
    """The program's source, its calls of `names` made through the class, with the shadowing preamble."""
    tree = ast.fix_missing_locations(_ClassStyle(names).visit(ast.parse(source)))
    body = ast.unparse(tree)
    future = [line for line in body.splitlines() if line.startswith("from __future__")]
    rest = "\n".join(line for line in body.splitlines() if not line.startswith("from __future__"))
    return "\n".join(future) + PREAMBLE.format(names=tuple(names)) + (QT if toolkit == "qt" else TK) + rest + "\n"


def shadowing_copy(source_dir: Path, dest: Path, program: str, names, toolkit: str) -> Path:
    """A copy of a program's folder whose `program` file shadows `names` on every widget."""
    shutil.copytree(source_dir, dest, ignore=shutil.ignore_patterns("__pycache__"))
    path = dest / program
    path.write_text(shadowing(path.read_text(), names, toolkit))
    return dest
