"""The GUI probe, harness side: a virtual screen (Xvfb), the control-socket client, and finding
widgets in a layout the suite has never seen (by kind, then caption text, then reading order).

The candidate runs with conformance/harness/inject/gui_probe on its PYTHONPATH; its probe listens on
a Unix socket once the toolkit's root window exists. Nothing here knows Tk from Qt: the probe
normalises widget kinds (window, dialog, button, entry, text, list, label, …)."""
from .app import GUI_POLL, GuiApp, new_lines, poll
from .probe import Probe, holders
from .screen import VirtualScreen, screenshot_dir
from .widgets import (CONFIRM, LOGIN, USERNAME, Widgets, area, captions, captions_shown, describe_tree, inside,
                      nearest_label, reachable, reading_order, same_page)

__all__ = ["CONFIRM", "GUI_POLL", "GuiApp", "LOGIN", "Probe", "USERNAME", "VirtualScreen", "Widgets", "area", "captions",
           "captions_shown", "describe_tree", "holders", "inside", "nearest_label", "new_lines", "poll", "reachable",
           "reading_order", "same_page", "screenshot_dir"]
