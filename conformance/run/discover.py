"""Finding the program a student meant, for one protocol and role, in a submission laid out as the
student liked: the course's layouts at any depth, `python -m package` layouts of any package name,
and files of any name found by what they do (a client parses --address/--port/…, connects, or opens a
window and runs its loop; a server binds and listens). Several fit: the one with the most evidence
is chosen, and the choice says why. None fits: it says what was looked at, relative to the submission.

Evidence comes from reading the code (its syntax tree), never from running it."""
from __future__ import annotations

import ast
import dataclasses
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from .. import sources
from ..harness.programs import Layout, Program

NOT_PROGRAMS = re.compile(r"^(setup|conftest|test_.*|.*_test|tests?)\.py$")

# Option names that mean the same to a person: a program that takes `--host` is given the address there
ALIASES = [
    {"--address", "--addr", "--host", "--target", "--server", "--ip", "--hostname", "-a", "-t", "-H", "-s", "-i"},
    {"--port", "-p", "-P"},
    {"--username", "--user", "--name", "--nick", "--nickname", "-u", "-n", "-U"},
]
CLIENT_OPTIONS = set().union(*ALIASES)


@dataclass
class Facts:
    """What one file (or package) does, as its code shows it."""
    options: list = field(default_factory=list)   # option-string groups of add_argument() calls
    argv: bool = False          # reads sys.argv itself
    entry: bool = False         # runs as a program: `if __name__ == "__main__"` or a __main__.py
    connects: bool = False
    listens: bool = False
    window: bool = False        # creates Tk() / QApplication()
    loop: bool = False          # runs mainloop() / exec_()
    test_code: bool = False     # a checker or a test (pexpect, pytest, unittest)
    unreadable: str = ""
    words: set = field(default_factory=set)   # upper-case words of its strings (a protocol's headers)

    def merge(self, other: "Facts") -> None:
        self.options += other.options
        self.words |= other.words
        for name in ("argv", "connects", "listens", "window", "loop", "test_code"):
            setattr(self, name, getattr(self, name) or getattr(other, name))

    @property
    def option_strings(self) -> set:
        return {s for group in self.options for s in group}


CONNECT_CALLS = {"connect", "create_connection", "open_connection", "connectToHost", "connect_ex"}
LISTEN_CALLS = {"listen", "serve_forever", "start_server", "create_server", "serve"}
WINDOW_CALLS = {"Tk", "QApplication", "QCoreApplication"}
LOOP_CALLS = {"mainloop", "exec_", "exec"}
TEST_MODULES = {"pexpect", "pytest", "unittest"}


def _name_of(func: ast.AST) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _is_main_guard(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "__name__" in ast.unparse(node.test) and "__main__" in ast.unparse(node.test)


MAX_WORDS = 500


def facts_of(path: Path) -> Facts:
    facts = Facts(entry=path.name == "__main__.py")
    source = sources.read(path)
    text, tree = source.text, source.tree
    if tree is None:
        facts.unreadable = f"cannot be read as Python ({source.error})"
        return facts
    bound = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _name_of(node.func)
            if name == "add_argument":
                group = tuple(a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
                              and a.value.startswith("-"))
                if group:
                    facts.options.append(group)
            elif name in CONNECT_CALLS:
                facts.connects = True
            elif name in LISTEN_CALLS:
                facts.listens = True
            elif name == "bind":
                bound = True
            elif name in WINDOW_CALLS:
                facts.window = True
            elif name in LOOP_CALLS:
                facts.loop = True
        elif isinstance(node, ast.Attribute) and node.attr == "argv" and _name_of(node.value) == "sys":
            facts.argv = True
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            facts.test_code |= any(n.split(".")[0] in TEST_MODULES for n in names)
        elif isinstance(node, ast.ClassDef) and any(_name_of(b) in ("BaseRequestHandler", "StreamRequestHandler",
                                                                    "QTcpServer", "TCPServer") for b in node.bases):
            facts.listens = True
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(facts.words) < MAX_WORDS:
            facts.words.update(re.findall(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*", node.value[:200]))
        facts.entry |= _is_main_guard(node)
    facts.listens = facts.listens and (bound or "start_server" in text or "serve_forever" in text
                                       or "create_server" in text or "QTcpServer" in text)
    return facts


@dataclass
class Candidate:
    path: Path          # relative to the submission: a .py file, or a package folder run with -m
    package: bool
    facts: Facts
    layout: Layout | None = None   # the course layout it matches, if any (set per role by find)

    @property
    def shown(self) -> str:
        return f"{self.path.as_posix()}/" if self.package and self.path.parts else \
            "the submission folder itself (a package)" if self.package else self.path.as_posix()


@dataclass
class Choice:
    program: Program | None
    why: str              # how it was chosen, or what was looked at when nothing fits


def _package_facts(package: Path) -> Facts:
    facts = facts_of(package / "__main__.py")
    for path in sorted(package.glob("*.py")):
        if path.name != "__main__.py":
            facts.merge(facts_of(path))
    return facts


def role_evidence(facts: Facts, role: str, gui: bool) -> list:
    """What makes this code the role's program (empty: it is not)."""
    if facts.test_code or facts.unreadable:
        return []
    found = []
    if role == "server":
        if facts.listens:
            found.append("binds and listens")
    elif facts.listens:
        return []   # a server is not a client, whatever options it takes
    elif gui:
        if facts.window and facts.loop:
            found.append("opens a window and runs its event loop")
    else:
        options = sorted(facts.option_strings & CLIENT_OPTIONS)
        if options:
            found.append("parses " + "/".join(options))
        if facts.connects:
            found.append("connects")
    return found


ADDRESS_OPTIONS = ALIASES[0] | ALIASES[1]
# An option of another name for the same thing (`--server_ip`, `--server-port`, `--user_name`): by the
# words in its long name, the address's words only where no port or user word is there too.
WORDS = [re.compile(r"(?i)host|addr|(^|[-_])ip($|[-_])|target|server"), re.compile(r"(?i)port"),
         re.compile(r"(?i)user|name|nick")]


def named_like(options: list, group: set) -> list:
    if group not in ALIASES:
        return []
    index = ALIASES.index(group)
    others = [WORDS[i] for i in {0: (1, 2), 1: (), 2: (1,)}[index]]   # "port" is specific; "server" is not
    return [g for g in options if any(o.startswith("--") and WORDS[index].search(o.lstrip("-"))
                                      and not any(w.search(o.lstrip("-")) for w in others) for o in g)]


def adapt_arguments(args: list, facts: Facts, dropped: list | None = None) -> list:
    """The layout's arguments, with each option renamed to the program's own name for it (a program
    that takes `--host` gets the address there). An address or port option the program's argparse
    does not know at all is left out with its value (listed in `dropped`): the harness serves where
    the assignment's tests do, so such a program is judged on everything else, and the one test that
    serves elsewhere judges its arguments. Programs without argparse options are left as they are."""
    own = facts.option_strings
    if not own:
        return args
    out, skip = [], False
    for part in args:
        if skip:
            skip = False
            continue
        if part.startswith("-") and part not in own:
            group = next((g for g in ALIASES if part in g), set())
            mine = [g for g in facts.options if set(g) & group] or named_like(facts.options, group)
            if mine:
                part = max(mine[0], key=len)
            elif part in ADDRESS_OPTIONS and dropped is not None:
                dropped.append(part)
                skip = True
                continue
        out.append(part)
    return out


def without_address(args: list) -> list:
    out, skip = [], False
    for part in args:
        if skip:
            skip = False
        elif part in ADDRESS_OPTIONS:
            skip = True   # and its value
        else:
            out.append(part)
    return out


def _arguments(layouts: list, package: bool) -> list:
    """The arguments the course's layout gives its program (for a file or a package, as its layout says)."""
    for layout in layouts:
        parts = shlex.split(layout.template)
        if package == ("-m" in parts):
            start = parts.index("-m") + 2 if package else 2
            return parts[start:]
    parts = shlex.split(layouts[0].template) if layouts else ["{python}", "x.py"]
    return parts[parts.index("-m") + 2:] if "-m" in parts else parts[2:]


def command(parts: list) -> str:
    """A command template: each part quoted as the shell needs, placeholders ({host}) left as they are."""
    return " ".join(p if re.fullmatch(r"\{\w+\}", p) else shlex.quote(p) for p in parts)


def program_for(candidate: Candidate, folder: Path, role: str, layouts: list, dropped: list | None = None) -> Program:
    args = adapt_arguments(_arguments(layouts, candidate.package), candidate.facts, dropped)
    if role == "server" and not candidate.facts.options and not candidate.facts.argv:
        # a server that reads no arguments (`PORT = 5378` in its code) listens where its code says: started
        # without an address, it is expected on the protocol's default port, not waited for on another
        args = without_address(args)
    where = folder / candidate.path
    if candidate.package:
        return Program(role, command(["{python}", "-m", where.name, *args]), where.parent)
    return Program(role, command(["{python}", where.name, *args]), where.parent)


def survey(folder: Path) -> list:
    """Every program the submission could hold, with what its code does: each package, and each .py
    file outside one (a package's modules are judged as the package). Read once for all roles."""
    files, packages = sources.walk(folder)
    found = [Candidate(package.relative_to(folder), True, _package_facts(package)) for package in packages]
    package_paths = [c.path for c in found]
    for path in files:
        rel = path.relative_to(folder)
        if not NOT_PROGRAMS.match(path.name) and not any(p in rel.parents for p in package_paths):
            found.append(Candidate(rel, False, facts_of(path)))
    return found


def find(folder: Path, role: str, layouts: list, gui: bool, by_behaviour: bool = True,
         surveyed: list | None = None, words: tuple = ()) -> Choice:
    """The role's program in the submission folder. `layouts`: the course's layouts (exact names);
    `gui`: the client opens a window; `by_behaviour`: files of any name count (for the roles the
    students write); `surveyed`: the folder's survey(), when the caller has it already. For a role
    the students do not write, a file of the layout's name counts only if its strings hold one of the
    protocol's `words` (a `server.py` of another assignment is not the course's chat server)."""
    names: dict = {}
    for layout in layouts:
        names.setdefault(Path(layout.path).name, layout)
    candidates = [dataclasses.replace(c, layout=names.get((folder / c.path).name))
                  for c in (survey(folder) if surveyed is None else surveyed)]
    ranked = []
    for c in candidates:
        evidence = role_evidence(c.facts, role, gui)
        if not by_behaviour and (c.layout is None or (words and not c.facts.words & set(words))):
            continue
        if not evidence and c.layout is None:
            continue
        entry = c.facts.entry or (not gui and role == "client" and c.facts.argv)
        score = (len(evidence) * 3 + (2 if entry else 0) + (3 if c.layout else 0)
                 + (1 if role in c.path.name.lower() else 0) - len(c.path.parts))
        ranked.append((bool(evidence), score, c, evidence, entry))
    ranked.sort(key=lambda r: (r[0], r[1]), reverse=True)
    if not ranked or (not ranked[0][0] and not any(r[2].layout for r in ranked)):
        return Choice(None, _looked_at(folder, role, layouts, candidates, gui))
    has_evidence, _, best, evidence, entry = ranked[0]
    reasons = []
    if best.layout is not None:
        reasons.append(f"the course's name ({best.layout.path})")
    reasons += evidence
    if entry:
        reasons.append("runs as a program (__main__)" if not best.package else "runs with python -m")
    if not has_evidence:
        reasons.append("nothing in its code shows what it does; started as the layout says")
    others = [f"{c.shown} ({'; '.join(ev) or 'no evidence'})" for ok, _, c, ev, _ in ranked[1:4] if ok]
    why = f"{best.shown}: {', '.join(reasons)}" + (f"; chosen over {', '.join(others)}" if others else "")
    dropped: list = []
    program = program_for(best, folder, role, layouts, dropped)
    if dropped:
        why += (f"; started without {' and '.join(dropped)}: its command line has no such option (" +
                ("it is served where the assignment's tests serve; the test that serves elsewhere judges its arguments)"
                 if role == "client" else "it is expected on the protocol's default port; the port test judges it)"))
    return Choice(program, why)


def _looked_at(folder: Path, role: str, layouts: list, candidates: list, gui: bool) -> str:
    what = {"client": "a client (opens a window and runs its loop under __main__)" if gui else
            "a client (parses --address/--port or connects)", "server": "a server (binds and listens)"}[role]
    seen = [c.shown + (f" ({c.facts.unreadable})" if c.facts.unreadable else "") for c in candidates][:12]
    more = len(candidates) - len(seen)
    return (f"looked for {what}: the course's layouts {', '.join(layout.path for layout in layouts) or '(none)'} at "
            f"any depth, and every .py file and package: "
            + (", ".join(seen) + (f" and {more} more" if more > 0 else "") if seen else "none found") + "; none fits")
