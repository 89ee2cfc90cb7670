"""Finding widgets in a layout the suite has never seen, as a person does: by kind, then caption
text, then reading order. Pure: the probe's widget tree in, widgets and descriptions out."""
from __future__ import annotations

import re


USERNAME = re.compile(r"(?i)user|name|nick|login|handle")   # a username field's caption
LOGIN = re.compile(r"(?i)\b(ok|log ?in|sign ?in|enter|join|connect|start|continue|chat|go)\b")   # a login button


def reading_order(widget: dict) -> tuple:
    x, y, _, _ = widget["geometry"]
    return (y, x)


def area(widget: dict) -> int:
    return widget["geometry"][2] * widget["geometry"][3]


def reachable(w: dict) -> bool:
    """Shown, or on another tab a person can click (the tab is enabled)."""
    tab = w.get("tab")
    return w["visible"] or bool(tab and not tab["current"] and tab["enabled"])


def same_page(a: dict, b: dict) -> bool:
    """On the same tab of the same tab widget (or neither on a tab): only then can one label the other."""
    ta, tb = a.get("tab"), b.get("tab")
    return (ta and (ta["tabs"], ta["index"])) == (tb and (tb["tabs"], tb["index"]))


def nearest_label(field: dict, labels: list) -> str:
    """The label a person reads for a field: the nearest on its left in the same row, or just above it."""
    x, y, w, h = field["geometry"]
    best, distance = "", None
    for label in labels:
        if not same_page(label, field):
            continue
        lx, ly, lw, lh = label["geometry"]
        same_row = abs((ly + lh / 2) - (y + h / 2)) < max(h, lh) / 2 + 2 and lx + lw <= x + 2
        above = 0 <= y - (ly + lh) <= 40 and lx < x + w and lx + lw > x
        if same_row or above:
            d = (x - (lx + lw)) if same_row else (y - (ly + lh)) + 1000
            if distance is None or d < distance:
                best, distance = label["text"] or "", d
    return best


def captions(field: dict, labels: list) -> list:
    """What a person reads as a field's label, the most specific first: its form row's or buddy's
    label, the nearest label beside or above it, its placeholder, the title of the box it sits in,
    its tooltip."""
    found = (field.get("label"), nearest_label(field, labels), field.get("placeholder"), field.get("box"),
             field.get("tooltip"))
    return [c for c in found if c]


class Widgets:
    """A free-form layout, read: the chat display, the message input and the send button. What is
    shown counts first; a widget on another tab (a notebook page not in front) when nothing shown fits."""

    SEND = re.compile(r"(?i)\bsend\b|^\s*(ok|post|submit|→|>)\s*$")

    def __init__(self, tree: list, pool: list | None = None):
        self.all = pool if pool is not None else [w for w in tree if w["visible"]]
        if pool is None and (self.display() is None or self.input() is None):
            behind = Widgets(tree, [w for w in tree if reachable(w)])
            if behind.display() is not None and behind.input() is not None:
                self.all = behind.all

    def of_kind(self, *kinds: str) -> list:
        return sorted((w for w in self.all if w["kind"] in kinds), key=reading_order)

    def display(self) -> dict | None:
        """The largest text or list widget that is not the input."""
        candidates = [w for w in self.of_kind("text", "list") if w is not self.input()]
        return max(candidates, key=area, default=None)

    def input(self) -> dict | None:
        """An editable entry (the last in reading order); else the smallest editable text widget,
        when there are two or more text widgets (the larger one is then the display)."""
        entries = [w for w in self.of_kind("entry") if w["editable"]]
        if entries:
            return entries[-1]
        texts = [w for w in self.of_kind("text") if w["editable"]]
        if len(self.of_kind("text", "list")) >= 2 and texts:
            return min(texts, key=area)
        return None

    def send_button(self) -> dict | None:
        buttons = [w for w in self.of_kind("button") if w["enabled"]]
        captioned = [b for b in buttons if self.SEND.search(b["text"] or "")]
        return (captioned or buttons or [None])[0]


CONFIRM = re.compile(r"(?i)^\W*(yes|ok|quit|exit|close|leave)\b")   # "really quit?": the answer that means it


def inside(tree: list, top: dict) -> list:
    """The widgets drawn inside `top` (the tree lists a window's widgets after it, deeper)."""
    start = tree.index(top)
    out = []
    for w in tree[start + 1:]:
        if w["depth"] <= top["depth"]:
            break
        out.append(w)
    return out


def describe_tree(tree: list) -> str:
    lines = []
    for w in tree:
        text = (w["text"] or "").replace("\n", "⏎")
        flags = "".join(f for f, on in ((" hidden", not w["visible"]), (" disabled", not w["enabled"]),
                                        (" editable", w["editable"])) if on)
        lines.append(f"{'  ' * w['depth']}{w['kind']} ({w['class']}{flags}) {w['id']} {text[:80]!r}"
                     + captions_shown(w))
    return "\n".join(lines)


def captions_shown(w: dict) -> str:
    """The captions a person reads around a widget, as the probe saw them (label, box, tab, …)."""
    parts = [f"{key} {w[key]!r}" for key in ("label", "placeholder", "box", "tooltip", "button_role") if w.get(key)]
    tab = w.get("tab")
    if tab:
        parts.append(f"tab {tab['title']!r}" + ("" if tab["current"] else " (not in front)")
                     + ("" if tab["enabled"] else " (disabled)"))
    if w.get("tabs"):
        parts.append("tabs " + ", ".join(repr(t["title"]) + ("*" if t["current"] else "") for t in w["tabs"]))
    return f"  [{'; '.join(parts)}]" if parts else ""
