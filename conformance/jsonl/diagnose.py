"""jsonl's knowledge for diagnoses (see conformance/cnlab/diagnose.py)."""
from ..diagnose.engine import rules

HEADERS = ('"type"', "message", "setname", "history", "users", "{", "}")

RULES = rules(
    ("wrong-wire-format", "JC2 JC3 JC4 JC5", r"Wrong message on wire|did not reach it as a set-name request"),
    ("wrong-wire-format", "JC11", r"""Actual:\s+'\{"type": "(?!message")"""),
    ("input-validation", "JC11", r"""must not be sent.*Actual:\s+'\{"type": "message", "data": "/"""),
    ("frames-by-content", "JC6 JC10", r"", {"fact": True, "confidence": 0.75}),
    ("message-not-shown", "JC8", r"program exited|Server disconnected", {"confidence": 0.7}),
    ("missing-option", "JC1 JS1", r"usage", {"confidence": 0.92}),
    ("wrong-recipients", "JS3 JS4", r"Expected .*from the candidate on wire#\d+, but nothing", {"confidence": 0.65}),
    ("wrong-recipients", "JS5 JS6", r"nothing else was due before it", {"confidence": 0.75}),
    ("wrong-order", "JS5", r"oldest first", {"confidence": 0.75}),
    ("message-not-sent", "JS10", r"Expected announcing that .* left", {"confidence": 0.7}),
    ("message-not-sent", "JS9", r"notice .* that the chat is full .* connection was closed", {"confidence": 0.7}),
)
