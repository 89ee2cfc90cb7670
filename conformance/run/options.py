"""The suite's command-line options (pytest's side of `chatconform check`), as check_options.py
declares them."""
from __future__ import annotations

from ..check_options import suite_options


def pytest_addoption(parser):
    group = parser.getgroup("chatconform")
    for option in suite_options():
        group.addoption(*option.flags, **option.declaration(suite=True))
