"""Guided calibration screen: live feedback while the wearer holds still (and optionally bends)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, Static

from dorsal.dashboard.calibration import CalibrationFlow
from dorsal.dashboard.live import LiveView


class CalibrationScreen(Screen[None]):
    BINDINGS = [
        Binding("f", "bend", "add forward bend"),
        Binding("enter", "finish", "finish"),
        Binding("escape", "cancel", "cancel"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.flow = CalibrationFlow()

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="calibration", classes="box"):
            yield Static("Calibration sets your neutral posture: the angles are measured against it.",
                         classes="caption")
            yield Static(self.flow.hint, id="hint")
            yield ProgressBar(total=100, show_eta=False, id="hold-bar")
            yield Static("", id="live")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#calibration").border_title = "calibrate"
        self.ready = True

    ready = False

    def feed(self, samples) -> None:  # type: ignore[no-untyped-def]
        if not self.ready:
            return
        self.flow.feed(samples)
        self.query_one("#hint", Static).update(self.flow.hint)
        self.query_one("#hold-bar", ProgressBar).update(progress=100 * self.flow.progress)
        if self.flow.step == "done":
            self._save()

    def show_live(self, view: LiveView) -> None:
        if not self.ready:
            return
        self.query_one("#live", Static).update(
            f"now: flexion {view.flexion_deg:+.1f}°  side {view.lateral_deg:+.1f}°  twist {view.rotation_deg:+.1f}°")

    def action_bend(self) -> None:
        self.flow.start_bend()
        self.query_one("#hint", Static).update(self.flow.hint)

    def action_finish(self) -> None:
        self.flow.finish()
        if self.flow.step == "done":
            self._save()

    def _save(self) -> None:
        result = self.flow.result()
        if result is not None and not getattr(self, "_saved", False):
            self._saved = True
            self.app.apply_calibration(result)  # type: ignore[attr-defined]
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
