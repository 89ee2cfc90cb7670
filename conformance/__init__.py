"""chatconform: a black-box conformance harness for classroom chat protocols."""

__version__ = "0.1.0"
# what a protocol is: protocol.py (the descriptor) and protocols.py (the registry)
