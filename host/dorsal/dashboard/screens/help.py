"""Keys, what the numbers mean, and the safety notes (the product's own words, no medical claims)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HELP_TEXT = """\
[b]Keys[/b]
  c  calibrate: sit or stand tall and hold still to set your neutral posture
  s  stretch coach: pick a stretch and follow it step by step
  p  pain: note that your back hurts now (kept in your history)
  z  snooze alerts for 15 minutes
  r  report: today and this week from your history (t today, w week)
  ?  this help        q  quit

[b]What you see[/b]
  Angles are measured against your neutral posture: flexion is leaning forward,
  extension leaning back. Green is fine, amber is close to a limit, red is past it.
  Alerts start as a notice, then ring the terminal bell, then buzz the wearable.

[b]Looking after your back[/b]
  Stop any stretch at once if it hurts.
  Lean back only as far as is comfortable; the coach learns your comfortable limit.
  Prefer stretching to twisting or cracking your back: doing that often can
  over-stretch the muscles around the spine.
  If you feel the urge to twist often, or back pain keeps coming back or lasts more
  than a few weeks, see a doctor. dorsal is not a medical device.

Press escape to close."""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(HELP_TEXT, id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)
