"""sendto's knowledge for diagnoses (see conformance/cnlab/diagnose.py)."""
from ..diagnose.engine import rules

HEADERS = (0x01, 0x02, 0x03, 0x04, 0x81, 0x82, 0x83, 0x84, b"\x81", b"\x82", b"\x83", b"\x84")

RULES = rules(
    ("wrong-wire-format", "", r"is the length 4 bytes big-endian", {"confidence": 0.8}),
    ("own-wording", "SC2 SC7", r"Expected: '(Success|Failure)'.*Actual:.*\b(OK|Error)\b", {"confidence": 0.7}),
    ("connection-handling", "SC5", r"already exited|connection was closed", {"confidence": 0.7}),
    ("input-validation", "SC2", r"login packet for|must send nothing", {"confidence": 0.65}),
    ("message-not-shown", "SC8", r"Not every name", {"confidence": 0.7}),
    ("message-not-shown", "SC3 SC5 SC6 SC11", r"print a line after '", {"confidence": 0.65}),
    ("substring-header", "SC9", r"", {"fact": True, "confidence": 0.75}),
    ("wrong-order", "SS4", r"RESPONSE ok first", {"confidence": 0.75}),
    ("wrong-order", "SS1 SS3 SS8", r"order|first", {"confidence": 0.6}),
    ("connection-handling", "SS2 SS5 SS7 SS9", r"but the connection was closed", {"confidence": 0.75}),
    ("stale-state", "SS6", r"not free again", {"confidence": 0.75}),
    ("input-validation", "SS2", r"second name|logged in again|login twice|already logged", {"confidence": 0.65}),
    ("no-limit", "SS10", r"connection \d+ of at most \d+", {"confidence": 0.8}),
    ("wrong-recipients", "SS4", r"nobody else may get it", {"confidence": 0.75}),
)
