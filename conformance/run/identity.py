"""Which tests run and what they are called: stable ids, requirement IDs, the rerun command."""
from __future__ import annotations

import gc
import os
import shlex
from pathlib import Path

import pytest

from .. import stash
from ..protocol import suite_role
from ..check_options import repeated


NONE_MATCHED = pytest.StashKey[str]()   # why no --test id was run, for the --json document


def test_identity(item) -> tuple[str, str, str, list] | None:
    """(protocol, role, stable id, requirement IDs) of a suite test, from its file and marker."""
    marker = item.get_closest_marker("requirement")
    path = Path(str(item.fspath))
    if marker is None or path.parent.parent != Path(__file__).parent.parent:
        return None
    protocol, role = path.parent.name, suite_role(path)
    name = marker.kwargs.get("name") or item.originalname.removeprefix("test_")
    ids = list(marker.args)
    stable = f"{protocol}/{role}/{ids[0]}-{name}"
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        stable += f"[{callspec.id}]"
    return protocol, role, stable, ids


def pytest_itemcollected(item):
    """-k matches a test's requirement IDs and stable id too (`-k RI4`, `-k in-use`), not only its function name."""
    identity = test_identity(item)
    if identity is not None:
        item.extra_keyword_matches.update([identity[2], *identity[3]])


def pytest_collection_modifyitems(config, items):
    ctx = stash.context(config)
    if ctx is None:
        return
    keep, drop = [], []
    only = set(config.option.chatconform_tests)
    for item in items:
        identity = test_identity(item)
        if identity is None:
            drop.append(item)
            continue
        protocol, role, stable, ids = identity
        if protocol != ctx.protocol or (role == "interop") != bool(ctx.partner) or \
                (role != "interop" and role not in ctx.programs) or (only and stable not in only):
            drop.append(item)
            continue
        stash.record(item).identity = (stable, role, ids)
        for req in ids:
            item.user_properties.append(("requirement", req))
        keep.append(item)
    if only and not keep and not hasattr(config, "workerinput"):   # (-j N: the controller says it, once)
        config.stash[NONE_MATCHED] = unknown_tests(only)
        raise pytest.UsageError(config.stash[NONE_MATCHED])
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep


def unknown_tests(only) -> str:
    return f"no test with id {', '.join(sorted(only))}"


def rerun_command(config, stable: str) -> str:
    ctx = stash.context(config)
    opt = config.option
    parts = shlex.split(opt.rerun_prefix) + [ctx.protocol, opt.shown_as or os.path.relpath(ctx.submission), "--test", stable,
                                             "--seed", str(ctx.seed)]
    return shlex.join(parts + repeated(opt))


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    """What the run holds from here on (pytest, the suite, the harness) is never garbage: frozen, the
    collector stops walking it again and again while the tests run (the harness's own collections in
    a cnlab check: 105 ms before, 47 ms after)."""
    gc.collect()
    gc.freeze()
