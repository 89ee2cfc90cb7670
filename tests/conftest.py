import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def reference_module(protocol: str, name: str):
    """Import reference/<protocol>/<name>.py under a unique name (each protocol has a codec.py)."""
    path = ROOT / "reference" / protocol / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"reference_{protocol}_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module
