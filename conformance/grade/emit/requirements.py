"""What every platform file is made of: one entry per requirement, with what its failed tests said."""
from __future__ import annotations


def per_requirement(document: dict, scored: dict) -> list:
    """(ID, its score record, the failure messages and transcripts of its tests) in spec order."""
    out = []
    for req, record in scored["requirements"].items():
        tests = [t for t in document.get("tests", []) if req in (t.get("failed_requirements") or [])
                 and t["outcome"] in ("failed", "error")]
        text = "\n\n".join(f"{t['id']} ({t['outcome']})\n{t['message'].strip()}\n"
                           + (f"\nTranscript:\n{t['transcript']}" if t.get("transcript") else "")
                           + (f"\nRerun: {t['rerun']}" if t.get("rerun") else "") for t in tests)
        out.append((req, record, text))
    return out
