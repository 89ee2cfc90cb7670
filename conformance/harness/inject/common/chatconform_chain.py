"""Shared by chatconform's injected sitecustomize modules: import the next sitecustomize on the path
(the candidate environment's own, or another injection's), so that none of them hides another."""
import os
import sys


def import_next_sitecustomize(this_file: str) -> None:
    here = os.path.dirname(os.path.abspath(this_file))
    this = sys.modules.pop("sitecustomize", None)
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    try:
        import sitecustomize  # noqa: F401
    except ImportError:
        pass
    finally:
        sys.path[:] = saved
        if this is not None:
            sys.modules["sitecustomize"] = this   # the import system expects to find this module
