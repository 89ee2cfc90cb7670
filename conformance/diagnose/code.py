"""Code facts: a read of the submission's syntax tree that points at lines likely at fault.

A fact never makes a verdict nor, alone, a diagnosis: it locates a cause that a failure's evidence
already supports (`where`), and makes it more likely. Each fact: its name, the file, the line, the
line's text. The program is parsed, never run or imported.
"""
from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from .. import sources


@dataclass(frozen=True)
class Fact:
    name: str
    file: str   # relative to the submission
    line: int
    text: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


# fact -> the causes it can locate
FACT_CAUSES = {
    "decode-per-recv": ("decode-per-chunk",),
    "recv-no-buffer": ("one-recv-one-message",),
    "substring-header": ("substring-header", "frames-by-content"),
    "curly-brace-framing": ("frames-by-content",),
    "sendall": ("sendall", "one-client-stalls-all", "io-in-gui-thread"),
    "send-result-unused": ("ignores-send-count",),
    "len-of-text": ("chars-not-bytes",),
    "getsizeof": ("getsizeof-length",),
    "input-and-recv": ("blocking-input",),
    "widget-from-thread": ("gui-from-thread",),
    "tk-in-thread": ("gui-from-thread",),
    "non-daemon-thread": ("keeps-running",),
    "os-exit": ("os-exit",),
    "setsid": ("escapes-process-group",),
    "sleep-after-recv": ("slow-to-answer",),
    "recv-loop-no-eof": ("busy-loop",),
    "get-nowait": ("busy-loop",),
    "send-under-lock": ("one-client-stalls-all",),
    "send-to-each": ("one-client-stalls-all",),
    "bind-localhost": ("localhost-only",),
    "encode-ascii": ("uncaught-exception",),
}

WIDGET_CALLS = {"insert", "delete", "config", "configure", "see", "setText", "setPlainText", "insertPlainText",
                "appendPlainText", "addItem", "addItems", "clear", "setEnabled", "itemconfig", "yview"}
TEXTY = re.compile(r"text|log|chat|view|edit|display|box|list|label|status|message", re.I)


def _name(node) -> str:
    """`sock.recv` -> 'recv', `input` -> 'input'."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _calls(tree) -> list:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)]


def _called(tree, *names) -> list:
    return [c for c in _calls(tree) if _name(c.func) in names]


def _thread_targets(tree) -> set:
    """Names of functions started as threads (`Thread(target=self.listen)`)."""
    out = set()
    for call in _called(tree, "Thread"):
        for kw in call.keywords:
            if kw.arg == "target":
                out.add(_name(kw.value))
    return out


def _functions(tree) -> list:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _has_eof_check(func) -> bool:
    """`if not data`, `data == b''`, `len(data) == 0`, `break` after a recv: the loop can end."""
    for node in ast.walk(func):
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return True
        if isinstance(node, ast.Compare) and any(isinstance(c, ast.Constant) and c.value in (b"", "", 0)
                                                 for c in node.comparators):
            return True
    return False


def facts_of_tree(tree, file: str, lines: list, headers: tuple) -> list:
    found: list = []

    def add(name, node):
        line = getattr(node, "lineno", 0)
        text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        found.append(Fact(name, file, line, text[:160]))

    targets = _thread_targets(tree)
    constants = _constants(tree)
    uses_select = bool(_called(tree, "select", "poll", "epoll", "DefaultSelector", "register"))
    for call in _calls(tree):
        name = _name(call.func)
        if name == "decode" and isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Call) \
                and _name(call.func.value.func) in ("recv", "recvfrom"):
            add("decode-per-recv", call)
        elif name == "sendall":
            add("sendall", call)
        elif name in ("connect", "create_connection") and call.args:
            dialled = _address(call.args[0], constants)
            if dialled:   # the text of a dials fact is the address its code dials, host:port
                found.append(Fact("dials", file, call.lineno, f"{dialled[0]}:{dialled[1]}"))
        elif name == "getsizeof":
            add("getsizeof", call)
        elif name == "_exit" and isinstance(call.func, ast.Attribute) and _name(call.func.value) == "os":
            add("os-exit", call)
        elif name in ("setsid", "fork", "daemon") and isinstance(call.func, ast.Attribute) and \
                _name(call.func.value) == "os":
            add("setsid", call)
        elif name == "get_nowait" or (name == "get" and any(kw.arg == "block" and isinstance(kw.value, ast.Constant)
                                                             and kw.value.value is False for kw in call.keywords)):
            add("get-nowait", call)
        elif name == "encode" and call.args and isinstance(call.args[0], ast.Constant) and \
                str(call.args[0].value).lower() in ("ascii", "us-ascii"):
            add("encode-ascii", call)
        elif name == "count" and call.args and isinstance(call.args[0], ast.Constant) and call.args[0].value in ("{", "}", b"{", b"}"):
            add("curly-brace-framing", call)
        elif name == "bind" and call.args and isinstance(call.args[0], ast.Tuple) and call.args[0].elts and \
                isinstance(call.args[0].elts[0], ast.Constant) and call.args[0].elts[0].value in ("localhost", "127.0.0.1"):
            add("bind-localhost", call)
        elif name == "Thread" and not any(kw.arg == "daemon" for kw in call.keywords):
            add("non-daemon-thread", call)
    if any(f.name == "non-daemon-thread" for f in found) and re.search(r"\.daemon\s*=\s*True|setDaemon\(True\)",
                                                                    "\n".join(lines)):
        found = [f for f in found if f.name != "non-daemon-thread"]
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and _name(node.value.func) == "send" \
                and isinstance(node.value.func, ast.Attribute):
            add("send-result-unused", node)
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops) and \
                any(isinstance(c, ast.Constant) and c.value in ("{", "}", b"{", b"}", 123, 125)
                    for c in [node.left, *node.comparators]):
            add("curly-brace-framing", node)
        if isinstance(node, ast.Compare) and any(isinstance(op, ast.In) for op in node.ops) and \
                isinstance(node.left, ast.Constant) and isinstance(node.left.value, (str, bytes, int)) and \
                _is_header(node.left.value, headers):
            add("substring-header", node)
        # line.find(HEADER), line.index(HEADER), re.search(HEADER, line): the header first in each
        if isinstance(node, ast.Call) and _name(node.func) in ("find", "index", "search") and node.args and \
                isinstance(node.args[0], ast.Constant) and _is_header(node.args[0].value, headers):
            add("substring-header", node)
        if isinstance(node, ast.With) and any("lock" in ast.unparse(item.context_expr).lower() for item in node.items):
            if _called(node, "sendall", "recv"):
                add("send-under-lock", node)
        if isinstance(node, ast.For):
            body = ast.Module(body=node.body, type_ignores=[])
            if _called(body, "sendall"):
                add("send-to-each", node)
    for func in _functions(tree):
        recvs = _called(func, "recv", "recvfrom", "read", "readline")
        sock_recvs = _called(func, "recv", "recvfrom")
        if sock_recvs and _called(func, "input") and not uses_select:
            add("input-and-recv", waiting_input(func))
        if sock_recvs and _called(func, "sleep"):
            add("sleep-after-recv", _called(func, "sleep")[0])
        if sock_recvs and not any(isinstance(n, ast.AugAssign) for n in ast.walk(func)) and \
                not _called(func, "extend", "feed", "add", "append", "receive_data") and \
                (_called(func, "split", "splitlines", "decode", "loads", "unpack")):
            add("recv-no-buffer", sock_recvs[0])
        if recvs and any(isinstance(n, ast.While) for n in ast.walk(func)) and not _has_eof_check(func):
            add("recv-loop-no-eof", recvs[0])
        if func.name in targets:
            for call in _calls(func):
                name = _name(call.func)
                owner = ast.unparse(call.func.value) if isinstance(call.func, ast.Attribute) else ""
                if name in ("Tk", "mainloop", "QApplication"):
                    add("tk-in-thread", call)
                elif name in WIDGET_CALLS and owner and TEXTY.search(owner) and "queue" not in owner.lower() \
                        and "sock" not in owner.lower():
                    add("widget-from-thread", call)
                elif name == "append" and owner and TEXTY.search(owner) and re.search(r"self\.\w*(view|edit|browser|display|log)", owner, re.I):
                    add("widget-from-thread", call)
        source = ast.unparse(func)
        for node in ast.walk(func):
            # len() of a str that the same function encodes: its characters, where a length counts bytes
            if isinstance(node, ast.Call) and _name(node.func) == "len" and node.args and isinstance(node.args[0], ast.Name):
                arg = node.args[0].id
                if re.search(rf"\b{re.escape(arg)}\.encode\(", source):
                    add("len-of-text", node)
    return found


def _constants(tree) -> dict:
    """name -> value of every `NAME = constant` (or a tuple of constants) assigned once in the file."""
    seen: dict = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            if isinstance(value, ast.Constant) or isinstance(value, ast.Tuple) and \
                    all(isinstance(e, ast.Constant) for e in value.elts):
                seen.setdefault(node.targets[0].id, []).append(value)
    return {name: values[0] for name, values in seen.items() if len(values) == 1}


def _address(node, constants: dict) -> tuple | None:
    """(host, port) that a connect() argument stands for, where the file's constants say it alone."""
    if isinstance(node, ast.Name):
        node = constants.get(node.id)
    if not isinstance(node, ast.Tuple) or len(node.elts) != 2:
        return None
    parts = [constants.get(e.id) if isinstance(e, ast.Name) else e for e in node.elts]
    if not all(isinstance(p, ast.Constant) for p in parts):
        return None
    host, port = (p.value for p in parts)
    return (host, port) if isinstance(host, str) and isinstance(port, int) and not isinstance(port, bool) else None


def _unique(found: list) -> list:
    return list(dict.fromkeys(found))   # a nested function is walked with its parent too


def _is_header(value, headers: tuple) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return value in headers
    if isinstance(value, bytes):
        return any(value == h if isinstance(h, bytes) else False for h in headers)
    return any(isinstance(h, str) and value.strip() == h for h in headers)


@functools.lru_cache(maxsize=8)
def facts(folder: str, headers: tuple = ()) -> tuple:
    """Every fact in the submission's .py files (sources.py: which files, and how much of each)."""
    root = Path(folder)
    found: list = []
    for path in sorted(sources.walk(root)[0]):
        source = sources.read(path)
        if source.tree is not None:
            found += facts_of_tree(source.tree, str(path.relative_to(root)), source.text.splitlines(), headers)
    return tuple(_unique(found))


def entry_file(template: str, cwd: Path) -> Path | None:
    """The .py file a program's command runs (`{python} client.py …`, `{python} -m pkg`), if any."""
    words = template.split()
    for i, word in enumerate(words):
        if word.endswith(".py"):
            return cwd / word.strip("'\"")
        if word == "-m" and i + 1 < len(words):
            base = cwd / words[i + 1].replace(".", "/")
            return base / "__main__.py" if base.is_dir() else base.with_suffix(".py")
    return None


def imported_files(folder: str, entry: Path) -> set:
    """The files (relative to `folder`) that `entry` runs: itself and the submission's modules it
    imports, directly or through each other (by name, looked up beside the importing file and at the
    top of the submission). A fact in a file the program never imports cannot be where it goes wrong."""
    root, entry = Path(folder).resolve(), entry.resolve()
    files = sources.imported_files(root, [entry], places=lambda path: (path.parent, root, entry.parent))
    return {str(p.relative_to(root)) for p in files}


def waiting_input(func):
    """The input() a program waits in while messages pile up: the last one inside a loop (the chat's
    main loop comes after the login's), else the last one; never simply the first (a login prompt)."""
    inputs = _called(func, "input")
    loops = [n for n in ast.walk(func) if isinstance(n, (ast.While, ast.For))]
    looped = [call for call in inputs if any(call is inner for loop in loops for inner in ast.walk(loop))]
    return (looped or inputs)[-1]


def locating(all_facts, cause: str, role: str | None = None) -> list:
    """The facts that can locate `cause`; where the submission has both programs, only those in the
    failed role's files (a name with 'client' or 'server' in it) when there are any."""
    out = [f for f in all_facts if cause in FACT_CAUSES.get(f.name, ())]
    other = {"client": "server", "server": "client"}.get(role or "")
    if other:
        own = [f for f in out if other not in f.file.lower()]
        out = own
    return sorted(out, key=lambda f: (role is not None and role not in f.file.lower(), f.file, f.line))
