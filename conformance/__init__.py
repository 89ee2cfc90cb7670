"""chatconform: a black-box conformance harness for classroom chat protocols."""

__version__ = "0.1.0"
PROTOCOLS = ("cnlab", "jsonl", "sendto", "chat10", "brace")


def spec_of(protocol: str):
    """The protocol's spec module (requirement table, layouts, fixed addresses)."""
    import importlib
    return importlib.import_module(f"conformance.{protocol}.spec")


def fixed_address(protocol: str) -> tuple | None:
    """Where the protocol's clients connect whatever they are told (brace: 127.0.0.1:33002), or None."""
    return getattr(spec_of(protocol), "CLIENT_ADDRESS", None)
