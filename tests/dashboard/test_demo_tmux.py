"""`dorsal demo` in a real terminal: tmux runs it at 100x30, we read the screen, press keys and quit.

tmux is installed by the project's own set-up (`make setup` installs the Debian package when missing).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from dorsal.paths import ROOT

pytestmark = pytest.mark.slow


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def __call__(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20)
        return out.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "demo")

    def wait_for(self, *texts: str, timeout_s: float = 30.0) -> str:
        """The screen once every text is on it at the same time (a frame can be caught half drawn)."""
        end = time.monotonic() + timeout_s
        screen = ""
        while time.monotonic() < end:
            screen = self.screen()
            if all(text in screen for text in texts):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{texts!r} did not all appear on the screen:\n{screen}")

    def wait_gone(self, text: str, timeout_s: float = 15.0) -> str:
        end = time.monotonic() + timeout_s
        screen = self.screen()
        while text in screen:
            if time.monotonic() > end:
                raise AssertionError(f"{text!r} is still on the screen:\n{screen}")
            time.sleep(0.2)
            screen = self.screen()
        return screen


@pytest.fixture
def tmux(tmp_path: Path):  # type: ignore[no-untyped-def]
    if shutil.which("tmux") is None:
        pytest.fail("tmux is missing: `make setup` installs it (Debian package tmux)")
    t = Tmux(f"dorsal-test-{uuid.uuid4().hex[:8]}")
    yield t
    t("kill-server")


def test_demo_in_a_real_terminal(tmux: Tmux, tmp_path: Path) -> None:
    # COLUMNS/LINES from the calling shell would override the terminal size the app asks tmux for
    env = f"env -u COLUMNS -u LINES DORSAL_HOME={shlex.quote(str(tmp_path / 'home'))} TERM=xterm-256color"
    cmd = f"{env} {shlex.quote(sys.executable)} -m dorsal.cli demo; echo \"dorsal exited $?\"; sleep 60"
    tmux("new-session", "-d", "-s", "demo", "-x", "100", "-y", "30", "-c", str(ROOT), cmd)
    screen = tmux.wait_for("SIMULATION", "posture", "device", "stretch coach", "Streaming.")
    width = max(len(line) for line in screen.splitlines())
    assert width == 100, f"the terminal is {width} columns wide, not 100"
    # the tour shows the first alert (slouching) within seconds at the default speed
    tmux.wait_for("Slouching", "Sit back", timeout_s=40)
    tmux("send-keys", "-t", "demo", "?")
    tmux.wait_for("Keys", "Looking after your back")
    tmux("send-keys", "-t", "demo", "Escape")
    tmux.wait_gone("Looking after your back")
    tmux("send-keys", "-t", "demo", "r")
    tmux.wait_for("report: today", "dorsal report:")
    tmux("send-keys", "-t", "demo", "w")
    tmux.wait_for("report: this week", "the week ending")
    tmux("send-keys", "-t", "demo", "Escape")
    tmux.wait_gone("the week ending")
    tmux("send-keys", "-t", "demo", "s")
    tmux.wait_for("Choose a stretch", "Standing back lean")
    tmux("send-keys", "-t", "demo", "Escape")
    tmux.wait_gone("Choose a stretch")
    tmux("send-keys", "-t", "demo", "q")
    screen = tmux.wait_for("dorsal exited", timeout_s=15)
    assert "dorsal exited 0" in screen
    assert "Traceback" not in screen
