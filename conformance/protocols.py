"""The registry: every protocol chatconform knows, in one place. A protocol is a package
`conformance/<name>/` whose `__init__.py` exports `PROTOCOL` (conformance/protocol.py); adding one is
adding its package here (tests/test_registry.py builds a sixth and shows that nothing else is edited).

The names are known without importing a package (the command line lists them at start-up); a
descriptor is imported on first use."""
from __future__ import annotations

import functools
import importlib

PACKAGES = (
    "conformance.cnlab",
    "conformance.jsonl",
    "conformance.sendto",
    "conformance.chat10",
    "conformance.brace",
)
NAMES = tuple(package.rpartition(".")[2] for package in PACKAGES)


@functools.lru_cache(maxsize=None)
def get(name: str):
    """The descriptor of a registered protocol (a KeyError names the known ones)."""
    if name not in NAMES:
        raise KeyError(f"unknown protocol {name!r} (known: {', '.join(NAMES)})")
    protocol = importlib.import_module(PACKAGES[NAMES.index(name)]).PROTOCOL
    if protocol.name != name:
        raise ValueError(f"{PACKAGES[NAMES.index(name)]} describes {protocol.name!r}, registered as {name!r}")
    return protocol


def every() -> list:
    """Every descriptor, in the registry's order."""
    return [get(name) for name in NAMES]
