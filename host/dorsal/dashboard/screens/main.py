"""The main screen: posture, sitting, history, alerts, today and the device, at a glance."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from dorsal.dashboard.feed import LinkStats
from dorsal.dashboard.live import LiveView
from dorsal.dashboard.widgets.panels import (
    AlertPanel, AnglesPanel, DevicePanel, HistoryPanel, SittingPanel, TodayPanel, TwistIndicator, flexion_zone,
)
from dorsal.dashboard.widgets.spine import SpineView


class MainScreen(Screen[None]):
    #: set once the panels exist (a live update can arrive between push and mount)
    ready = False
    _slow_second = -1
    _alerts_key: object = None
    _link_state = ""
    _link_drawn_s = float("-inf")
    _link_timer = False
    _link_pending: tuple[str, LinkStats, str | None] | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="top"):
            with Vertical(id="posture", classes="box"):
                yield SpineView(id="spine")
            with Vertical(id="numbers", classes="box"):
                yield AnglesPanel("waiting for data…", id="angles")
                yield Static("twist (top view)", classes="caption")
                yield TwistIndicator("", id="twist")
            with Vertical(id="device-box", classes="box"):
                yield DevicePanel("", id="device")
        with Horizontal(id="middle"):
            yield SittingPanel(id="sitting", classes="box")
            yield HistoryPanel(id="history", classes="box")
        with Horizontal(id="bottom"):
            yield AlertPanel("No alerts.", id="alerts", classes="box")
            yield TodayPanel("", id="today", classes="box")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#posture").border_title = "side view"
        self.query_one("#numbers").border_title = "posture"
        self.query_one("#device-box").border_title = "device"
        self.query_one("#sitting").border_title = "activity and sitting"
        self.query_one("#history").border_title = "recent"
        self.query_one("#alerts").border_title = "alerts"
        self.query_one("#today").border_title = "today"
        self.ready = True
        app = self.app
        view = getattr(app, "last_view", None)
        if view is not None:
            self.show_live(view)
        self.show_link(getattr(app, "link_state", "connecting"), getattr(app, "link_stats", LinkStats()),
                       getattr(app, "device_name", None))

    def on_screen_resume(self) -> None:
        """Back from another screen: show the newest picture at once."""
        view = getattr(self.app, "last_view", None)
        if view is not None:
            self._slow_second = -1
            self.show_live(view)

    def show_live(self, view: LiveView) -> None:
        if not self.ready:
            return
        slouch_deg = view.slouch_threshold_deg
        self.query_one(SpineView).show(view.flexion_deg,
                                       flexion_zone(view.flexion_deg, slouch_deg, view.extension_limit_deg))
        self.query_one(AnglesPanel).show(view, slouch_deg)
        self.query_one(TwistIndicator).show(view.rotation_deg)
        # the slow panels change once a second at most (their figures are whole seconds):
        # redrawing them with every batch would only cost CPU
        alerts_key = (tuple((a.kind, a.level) for a in view.alerts), view.snoozed)
        if int(view.t_s) != self._slow_second or alerts_key != self._alerts_key:
            self._slow_second, self._alerts_key = int(view.t_s), alerts_key
            self.query_one(SittingPanel).show(view)
            self.query_one(HistoryPanel).show(view)
            self.query_one(AlertPanel).show(view)
            self.query_one(TodayPanel).show(view)

    def show_link(self, state: str, stats: LinkStats, device: str | None) -> None:
        if not self.ready:
            return
        # a new state at once; the counters (which change with every batch) at most once a second, the
        # newest ones always shown in the end
        self._link_pending = (state, stats, device)
        wait_s = 1.0 - (time.monotonic() - self._link_drawn_s)
        if state == self._link_state and wait_s > 0:
            if not self._link_timer:
                self._link_timer = True
                self.set_timer(wait_s, self._draw_link)
            return
        self._draw_link()

    def _draw_link(self) -> None:
        self._link_timer = False
        if self._link_pending is None or not self.is_mounted:
            return
        state, stats, device = self._link_pending
        self._link_state, self._link_drawn_s = state, time.monotonic()
        self.query_one(DevicePanel).show(state, stats, device, bool(getattr(self.app, "simulated", False)))
