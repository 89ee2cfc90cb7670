"""chat10's knowledge for diagnoses (see conformance/cnlab/diagnose.py)."""
from ..diagnose.engine import rules

HEADERS = ("CHAT/1.0", "CHAT/1.0 JOIN", "CHAT/1.0 TEXT", "CHAT/1.0 LEAVE", "JOIN", "TEXT", "LEAVE", "Msg-len",
           "Username", b"CHAT/1.0", b"JOIN", b"TEXT", b"LEAVE")

NON_ASCII = r"(?=.*(?:[^\x00-\x7f]|\\x[c-f][0-9a-f]))"

RULES = rules(
    # only a message with a non-ASCII character (as itself or as a \xNN escape of a UTF-8 lead byte)
    ("chars-not-bytes", "CC3", NON_ASCII, {"fact": True, "confidence": 0.75}),
    ("chars-not-bytes", "CC3", NON_ASCII + r"Expected: 'Msg-len: (\d+) .*Actual:.*Msg-len: (?!\1\b)\d+",
     {"confidence": 0.75}),
    ("wrong-wire-format", "CC3", r"no blank line after the headers", {"confidence": 0.8}),
    ("getsizeof-length", "CC3", r"", {"fact": True, "confidence": 0.8}),
    ("wrong-wire-format", "CC3", r"in any form from the candidate", {"confidence": 0.6}),
    ("drops-input", "CC9", r"sent right after the first", {"confidence": 0.7}),
    ("message-not-shown", "CC4 CC5 CC6", r"did not show", {"confidence": 0.7}),
    ("message-not-sent", "CC2 CC10", r"Expected the (JOIN|LEAVE) sent", {"confidence": 0.75}),
    ("substring-header", "CC8", r"", {"fact": True, "confidence": 0.75}),
    ("input-validation", "CC8", r"Something was displayed for the invalid", {"confidence": 0.7}),
    ("missing-option", "CC1 CS1", r"version number|usage", {"confidence": 0.92}),
    ("cut-through", "CS6", r"interleaved TEXTs", {"confidence": 0.7}),
    ("cut-through", "CS6", r"forwarded the start of .* before the whole of it had come", {"confidence": 0.9}),
    ("uncaught-exception", "CS9", r"still served after .* connection was closed", {"confidence": 0.6}),
    ("message-not-sent", "CS4 CS8", r"Expected (CHAT/1.0 LEAVE|a LEAVE for)", {"confidence": 0.7}),
    ("wrong-recipients", "CS2 CS3", r"sent \w+'s own \w+ back to it", {"confidence": 0.8}),
    ("input-validation", "CS5", r"payload or Msg-len of a TEXT", {"confidence": 0.65}),
    ("frames-by-content", "CS3", r"Wrong message", {"fact": True, "confidence": 0.75}),
    ("no-limit", "CS9", r"more than \d+ bytes came without", {"confidence": 0.75}),
    ("stale-state", "CS6", r"again after (her|his|its) connection was reset", {"confidence": 0.7}),
)
