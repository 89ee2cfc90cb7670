"""Which protocol a submission is written for, from what its programs must contain on the wire or in
the GUI (the report says which evidence decided)."""
from __future__ import annotations

import re
from pathlib import Path

from .. import protocols
from .. import sources as read_sources


def sources(folder: Path, limit: int = 2_000_000) -> str:
    """The submission's code as one text (each file's first 500,000 characters, 2,000,000 in all)."""
    text, total = [], 0
    for path in sorted(read_sources.walk(folder)[0]):
        if total > limit:
            break
        chunk = read_sources.read(path).text[:500_000]
        text.append(chunk)
        total += len(chunk)
    return "\n".join(text)


def detect(folder: Path) -> tuple[str | None, str]:
    """(protocol or None, how it was decided)."""
    code = sources(folder)
    if not code:
        return None, "no .py file"
    scores = {}
    # every pattern of a protocol's detection evidence that is found scores one; a tie is listed by name
    for protocol in sorted(protocols.every(), key=lambda p: p.name):
        scores[protocol.name] = [what for pattern, what in protocol.detection if re.search(pattern, code)]
    best = max(scores, key=lambda p: len(scores[p]))
    ranked = sorted((len(v) for v in scores.values()), reverse=True)
    if not scores[best] or (len(ranked) > 1 and ranked[0] == ranked[1]):
        tied = [p for p in scores if len(scores[p]) == ranked[0]]
        return None, "undecided: " + (", ".join(f"{p} ({', '.join(scores[p])})" for p in tied) if ranked[0]
                                      else "no protocol's markers found")
    return best, f"detected from the code: {', '.join(scores[best])}"
