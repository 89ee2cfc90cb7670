"""Which protocol a submission is written for, from what its programs must contain on the wire or in
the GUI (the report says which evidence decided)."""
from __future__ import annotations

import re
from pathlib import Path

# protocol: [(pattern, what it shows)]; every pattern found scores one
EVIDENCE = {
    "brace": [(r"\{REGISTER\}|[\"']REGISTER[\"']", "the {REGISTER} header"), (r"\bPyQt5\b", "PyQt5"),
              (r"\{QUIT\}|\{CLIENTS\}|[\"']CLIENTS[\"']", "the {QUIT}/{CLIENTS} headers")],
    "chat10": [(r"CHAT/1\.0", "the CHAT/1.0 start line"), (r"Msg-len", "the Msg-len header"),
               (r"\btkinter\b", "tkinter")],
    "cnlab": [(r"HELLO-FROM", "the HELLO-FROM handshake"), (r"DELIVERY|SEND-OK|BAD-DEST-USER", "cnlab replies"),
              (r"--address", "the --address option")],
    "jsonl": [(r"[\"']type[\"']\s*:", "JSON objects with a \"type\""), (r"\bjson\b", "the json module"),
              (r"setname|[\"']history[\"']", "the setname/history commands")],
    "sendto": [(r"\bstruct\b", "the struct module"), (r"0x8[123]|\\x8[123]", "response types 0x81-0x83"),
               (r"\bsendto\b.*|\blogout\b", "the sendto/logout commands")],
}


def sources(folder: Path, limit: int = 2_000_000) -> str:
    text, total = [], 0
    for path in sorted(folder.rglob("*.py")):
        if total > limit:
            break
        try:
            chunk = path.read_text(errors="replace")[:500_000]
        except OSError:
            continue
        text.append(chunk)
        total += len(chunk)
    return "\n".join(text)


def detect(folder: Path) -> tuple[str | None, str]:
    """(protocol or None, how it was decided)."""
    code = sources(folder)
    if not code:
        return None, "no .py file"
    scores = {}
    for protocol, patterns in EVIDENCE.items():
        found = [what for pattern, what in patterns if re.search(pattern, code)]
        scores[protocol] = found
    best = max(scores, key=lambda p: len(scores[p]))
    ranked = sorted((len(v) for v in scores.values()), reverse=True)
    if not scores[best] or (len(ranked) > 1 and ranked[0] == ranked[1]):
        tied = [p for p in scores if len(scores[p]) == ranked[0]]
        return None, "undecided: " + (", ".join(f"{p} ({', '.join(scores[p])})" for p in tied) if ranked[0]
                                      else "no protocol's markers found")
    return best, f"detected from the code: {', '.join(scores[best])}"
