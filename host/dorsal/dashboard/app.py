"""The dashboard application: reads a link in a worker, keeps the live picture, routes it to the screens."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from textual.app import App
from textual.binding import Binding
from textual.css.query import NoMatches

from dorsal.coach import ExtensionLimit, Routine
from dorsal.coach.session import CoachStatus
from dorsal.core import Calibration, Settings
from dorsal.dashboard.alerts import KINDS, Level
from dorsal.dashboard.feed import FeedBatch, Link, LinkStats
from dorsal.dashboard.live import LiveTracker, LiveView
from dorsal.dashboard.messages import AlertEscalated, LinkChanged, LiveUpdated
from dorsal.dashboard.screens.calibrate import CalibrationScreen
from dorsal.dashboard.screens.coach import CoachMenuScreen, CoachRunScreen
from dorsal.dashboard.screens.help import HelpScreen
from dorsal.dashboard.screens.main import MainScreen
from dorsal.protocol import wire

LIMIT_SETTING = "coach.extension_limit"


class DorsalApp(App[int]):
    CSS_PATH = "dorsal.tcss"
    TITLE = "dorsal"
    BINDINGS = [
        Binding("c", "calibrate", "calibrate"),
        Binding("s", "coach", "stretch coach"),
        Binding("p", "pain", "pain"),
        Binding("z", "snooze", "snooze"),
        Binding("r", "report", "report"),
        Binding("question_mark", "help", "help", key_display="?"),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, link: Link, simulated: bool = False, store_path: Path | None = None,
                 use_store: bool = True, settings: Settings | None = None, auto_coach: bool = False,
                 device: str | None = None, calibrate_only: bool = False, keep_history: bool = False) -> None:
        super().__init__()
        #: a live wearable: the session's figures and events go to the history store as they come
        #: (a replay or a simulation is not a day of the wearer's)
        self.keep_history = keep_history and use_store
        #: `dorsal calibrate`: only the calibration screen, the app exits once it is saved
        self.calibrate_only = calibrate_only
        self.link = link
        self.simulated = simulated
        self.auto_coach = auto_coach
        #: the core's settings; the extension limit is the user's own (the coach learns it)
        self.tracker = LiveTracker(settings)
        # a link that records (`watch --record`) notes the analysis' calibration and settings changes with it
        self.tracker.record = getattr(link, "record_note", None)
        self.extension_limit = ExtensionLimit()
        self.last_view: LiveView | None = None
        self.link_state = "connecting"
        self.link_stats = LinkStats()
        self.device_name = device
        self.pain_log: list[dict[str, Any]] = []
        self.escalations: list[tuple[str, int]] = []
        self.live_updates = 0
        self._store_path = store_path
        self._writer: Any = None
        self._use_store = use_store
        self._calibration_loaded = False
        self.calibration: Calibration | None = None
        if simulated:
            self.sub_title = "SIMULATION: virtual wearable"

    # -- start and stop ------------------------------------------------------------

    def on_mount(self) -> None:
        if self._use_store:
            from dorsal.store.store import Store
            from dorsal.store.writer import BackgroundWriter

            with Store(self._store_path) as store:
                self.extension_limit = ExtensionLimit.from_dict(store.get_setting(LIMIT_SETTING))
            self._writer = BackgroundWriter(self._store_path)
        self.tracker.set_extension_limit(self.extension_limit.limit_deg)
        changes = getattr(self.link, "analysis_changes", None)
        if changes is not None:
            # a replayed recording that holds its analysis' changes: they, not the store, set the calibration and
            # settings, at the device times they were made, so the replay shows what the live session showed
            self.tracker.replay(changes)
            self._calibration_loaded = True
        self.push_screen(MainScreen())
        if self.calibrate_only:
            self.push_screen(CalibrationScreen(), callback=lambda _: self.exit(0))
        self.run_worker(self._read_link(), name="link", exclusive=True)

    async def on_unmount(self) -> None:
        await self.link.close()
        self.tracker.close()
        if self._writer is not None:
            self._writer.close()

    async def _read_link(self) -> None:
        """Reads batches; only posts messages (the screens draw on the UI's own turn)."""
        async for raw in self.link.batches():
            batch = FeedBatch.of(raw)
            # one per batch; a queued one with the same state is replaced, so the panel never lags
            self.post_message(LinkChanged(batch.state, batch.stats, batch.device))
            if len(batch.samples) == 0:
                continue
            if self.tracker.analyzer is None and not self._calibration_loaded:
                # the core takes its calibration when it starts: the stored one for this wearable
                self._load_calibration(batch.device or self.device_name)
                if self.keep_history and self._writer is not None:
                    from dorsal.dashboard.history import SessionHistory

                    st = self.tracker.settings
                    self.tracker.history = SessionHistory(self._writer, batch.device or self.device_name,
                                                          st.sitting_bout_max_s, st.twists_per_day_max)
            for esc in self.tracker.feed(batch.samples):
                self.post_message(AlertEscalated(esc))
            gyro = np.sqrt(batch.samples["gx_rps"].astype(float) ** 2 + batch.samples["gy_rps"] ** 2
                           + batch.samples["gz_rps"] ** 2)
            q = batch.samples[-1]
            self.post_message(LiveUpdated(self.tracker.view(), (float(q["qw"]), float(q["qx"]), float(q["qy"]),
                                                                float(q["qz"])), float(np.mean(gyro)),
                                          batch.samples, batch.stretch_id))

    # -- messages --------------------------------------------------------------------

    def on_live_updated(self, message: LiveUpdated) -> None:
        if not self.screen_stack:  # closing: nothing left to draw on
            return
        self.live_updates += 1
        self.last_view = message.view
        screen = self.screen
        if self.auto_coach:
            self._auto_coach(message.stretch_id)
            screen = self.screen
        show = getattr(screen, "show_live", None)
        if show is not None:
            try:
                if isinstance(screen, CalibrationScreen):
                    screen.feed(message.samples)
                show(message.view)
            except NoMatches:
                # the screen's widgets are already gone: the app is closing
                return

    def on_link_changed(self, message: LinkChanged) -> None:
        if not self.screen_stack:
            return
        self.link_state, self.link_stats = message.state, message.stats
        if message.device:
            self.device_name = message.device
        show = getattr(self.screen, "show_link", None)
        if show is not None:
            try:
                show(message.state, message.stats, self.device_name)
            except NoMatches:
                return

    def on_alert_escalated(self, message: AlertEscalated) -> None:
        esc = message.escalation
        self.escalations.append((esc.kind, int(esc.level)))
        kind = KINDS[esc.kind]
        if esc.level >= Level.NOTICE:
            self.notify(kind.what_to_do, title=kind.title, severity="warning", timeout=8)
        if esc.level >= Level.BELL:
            self.bell()
        if esc.level >= Level.BUZZ:
            # the method, not a coroutine made now: a worker that never starts (the app exits) awaits nothing
            self.run_worker(self._buzz, name="buzz", group="buzz")

    async def _buzz(self) -> None:
        try:
            await self.link.command(wire.CMD_BUZZ, (wire.BUZZ_DOUBLE, 1))
        except Exception as exc:  # a lost link must not end the dashboard: say it instead
            self.notify(f"Could not buzz the wearable: {exc}", severity="error")

    def _auto_coach(self, stretch_id: str | None) -> None:
        from dorsal.coach import routine

        screen = self.screen
        if stretch_id and isinstance(screen, MainScreen):
            self.push_screen(CoachRunScreen(routine(stretch_id), self.extension_limit, automatic=True))
        elif not stretch_id and isinstance(screen, CoachRunScreen) and screen.automatic:
            self.pop_screen()

    # -- store -----------------------------------------------------------------------

    def _load_calibration(self, device: str | None) -> None:
        self._calibration_loaded = True
        if not device or not self._use_store:
            return
        from dorsal.store.store import Store

        with Store(self._store_path) as store:
            saved = store.latest_calibration(device)
        if saved and "neutral" in saved:
            self.calibration = Calibration.from_dict(saved)
            self.tracker.set_calibration(self.calibration)

    def apply_calibration(self, calibration: Calibration) -> None:
        self.tracker.set_calibration(calibration)
        if self._writer is not None:
            self._writer.save_calibration(self.device_name or "unknown", calibration.to_dict())
        self.calibration = calibration
        self.last_view = self.tracker.view()
        self.notify("Neutral posture saved for this wearable.", title="Calibrated")

    def log_pain(self, context: dict[str, Any]) -> None:
        entry = {**context, "flexion_deg": round(self.tracker.flexion_deg, 1), "device": self.device_name}
        self.pain_log.append(entry)
        if self._writer is not None:
            self._writer.log_pain(time.time(), entry)
            self._writer.set_setting(LIMIT_SETTING, self.extension_limit.to_dict())
        self.tracker.set_extension_limit(self.extension_limit.limit_deg)

    def stretch_finished(self, routine: Routine, status: CoachStatus) -> None:
        self.tracker.stretches_done += 1
        self.tracker.set_extension_limit(self.extension_limit.limit_deg)
        if self._writer is not None:
            self._writer.set_setting(LIMIT_SETTING, self.extension_limit.to_dict())
        self.notify(f"{routine.title} done.", title="Stretch coach")

    # -- keys ------------------------------------------------------------------------

    def action_calibrate(self) -> None:
        if not isinstance(self.screen, CalibrationScreen):
            self.push_screen(CalibrationScreen())

    def action_coach(self) -> None:
        if isinstance(self.screen, MainScreen):
            self.push_screen(CoachMenuScreen())

    def action_pain(self) -> None:
        if isinstance(self.screen, CoachRunScreen):
            self.screen.action_hurts()
            return
        self.log_pain({"where": "dashboard", "activity": self.tracker.activity})
        self.notify("Noted. Rest and stop anything that hurts. If back pain keeps coming back or lasts more "
                    "than a few weeks, see a doctor.", title="Pain noted", timeout=10)

    def action_snooze(self) -> None:
        self.tracker.alerts.snooze(self.tracker.t_s)
        self.notify("Alerts snoozed for 15 minutes.", timeout=4)
        if self.last_view is not None and isinstance(self.screen, MainScreen):
            self.last_view = self.tracker.view()
            self.screen.show_live(self.last_view)

    def action_report(self) -> None:
        from dorsal.dashboard.screens.report import ReportScreen

        if isinstance(self.screen, MainScreen):
            if self.tracker.history is not None:
                self.tracker.history.flush()  # today's report includes this session up to now
            self.push_screen(ReportScreen(self._store_path, self._use_store, writer=self._writer))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def make_app(link: Link, **options: Any) -> DorsalApp:
    """The app for a link; tests pass a replayed recording or the scripted wearable."""
    return DorsalApp(link, **options)


def run_dashboard(link: Link, simulated: bool = False, **options: Any) -> int:
    """Runs the dashboard in this terminal until the user quits; returns an exit code."""
    app = make_app(link, simulated=simulated, **options)
    app.run()
    return int(app.return_code or 0)
