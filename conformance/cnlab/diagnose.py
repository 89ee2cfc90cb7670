"""cnlab's knowledge for diagnoses: its header words (a code fact looks for them matched by
substring) and the failed checks that name a cause (engine.Rule)."""
from ..diagnose.engine import rules
from . import spec

HEADERS = spec.HEADERS

RULES = rules(
    ("wrong-wire-format", "RI7 RC2 RI11 RT4", r"Wrong bytes from the candidate"),
    ("wrong-wire-format", "SV6", r"LIST must be answered"),
    ("ignores-send-count", "RT4", r"", {"fact": True, "confidence": 0.75}),
    ("input-validation", "SV8 SV9", r"Wrong bytes from the candidate.*Actual:\s+b'SEND-OK", {"confidence": 0.65}),
    ("input-validation", "SV7", r"Actual:\s+b'DELIVERY \S+ {2,}|Actual:\s+b'DELIVERY .* \\n'", {"confidence": 0.65}),
    ("message-not-sent", "SV10", r"Expected b'BAD-RQST-HDR.*but nothing", {"confidence": 0.65}),
    ("stale-state", "SV12", r"should be free again|connection was closed"),
    ("login-flow", "RA2 RA3 RA4 RA5 RA6 RA8", r"", {"confidence": 0.75}),
    ("own-wording", "RI11", r"user list is not printed as"),
    # (not RT7: an unexpected bare BUSY or IN-USE is handled alike whether its header is matched whole or not)
    ("substring-header", "RI10", r"", {"fact": True, "confidence": 0.75}),
)
