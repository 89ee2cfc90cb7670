"""chatconform: a black-box conformance harness for classroom chat protocols."""

__version__ = "0.1.0"
PROTOCOLS = ("cnlab", "jsonl", "sendto", "chat10", "brace")
