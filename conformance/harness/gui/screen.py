"""The virtual screen the GUI candidates draw on (a session-wide Xvfb), and this run's folder for
screenshots."""
from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


ATTEMPTS = 3


class VirtualScreen:
    """A session-wide Xvfb on a free display (Xvfb picks it and writes it to -displayfd)."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.display: str | None = None

    @staticmethod
    def missing() -> str | None:
        """Why GUI tests cannot run here, or None."""
        if os.environ.get("CHATCONFORM_DISPLAY"):
            return None
        if shutil.which("Xvfb") is None:
            return "Xvfb is not installed (Debian: apt-get install xvfb), so GUI tests cannot run"
        return None

    def start(self) -> str:
        if os.environ.get("CHATCONFORM_DISPLAY"):       # an X server the user provides
            self.display = os.environ["CHATCONFORM_DISPLAY"]
            return self.display
        for _ in range(ATTEMPTS):
            read, write = os.pipe()
            self.proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x900x24",
                                          "-nolisten", "tcp", "-noreset"], pass_fds=(write,),
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            os.close(write)
            with os.fdopen(read) as pipe:
                number = pipe.readline().strip()    # Xvfb writes the display number once it is ready
            if number:
                self.display = f":{number}"
                return self.display
            # two Xvfbs started at once (matrix cells, test workers) can pick the same free display: the
            # one that loses its lock exits without a number; the next attempt picks another
            self.stop()
        raise RuntimeError(f"Xvfb did not start ({ATTEMPTS} attempts)")

    def screenshot(self, path: Path) -> Path | None:
        try:
            from PIL import ImageGrab
            ImageGrab.grab(xdisplay=self.display).save(path)
            return path
        except Exception:   # a report without a picture is still a report
            return None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@functools.lru_cache(maxsize=None)
def screenshot_dir() -> Path:
    """This run's own folder (one per harness process): two runs never overwrite each other's. Kept
    for the reports that name its screenshots; removed at exit when no screenshot was saved in it."""
    folder = Path(tempfile.mkdtemp(prefix="chatconform-screens-"))
    atexit.register(_remove_if_empty, folder)
    return folder


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()
