"""brace's knowledge for diagnoses (see conformance/cnlab/diagnose.py)."""
from ..diagnose.engine import rules

HEADERS = ("{MSG}", "{CLIENTS}", "{ALL}", "{QUIT}", "{REGISTER}", b"{MSG}", b"{CLIENTS}")

RULES = rules(
    ("wrong-wire-format", "BC6", r"Expected \w+'s broadcast, relayed by the server", {"confidence": 0.65}),
    ("wrong-wire-format", "BC1", r"Wrong bytes from the client", {"confidence": 0.75}),
    ("shows-protocol-text", "BC4 BC5", r"list was shown in the chat window|shown with its header", {"confidence": 0.8}),
    ("stale-state", "BC3", r"combo box does not list", {"confidence": 0.7}),
    ("stale-state", "BC2", r"status label does not say", {"confidence": 0.7}),
    ("message-not-sent", "BC10", r"Expected the goodbye", {"confidence": 0.75}),
    ("html-unescaped", "BC13", r"Markup was rendered", {"confidence": 0.85}),
    ("one-recv-one-message", "BC9", r"delivered (bytewise|in pieces|in \w+ pieces)|byte-by-byte", {"confidence": 0.7}),
    ("wrong-recipients", "BC7", r"went to everyone", {"confidence": 0.8}),
    ("message-not-shown", "BC8", r"did not show \w+'s private message", {"confidence": 0.7}),
)
