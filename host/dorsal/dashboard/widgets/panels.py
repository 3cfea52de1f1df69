"""The main screen's panels: posture numbers, twist, sitting, history, alerts, today, device."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, ProgressBar, Sparkline, Static

from dorsal.coach.limits import zone_of
from dorsal.dashboard.alerts import Level
from dorsal.dashboard.feed import STATE_TEXT, LinkStats
from dorsal.dashboard.live import NEUTRAL_TEXT, LiveView

FLEXION_STEP_DEG = 2.0
TWIST_STEP_DEG = 5.0
ZONE_STYLE = {"green": "green", "amber": "yellow", "red": "bold red"}
#: the core's activities; "unknown" until a sit-down or stand-up has been seen
ACTIVITY_TEXT = {"unknown": "not known yet (waits for a sit-down or stand-up)"}


def duration_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h {m:02d}m" if h else f"{m}m {s:02d}s"


def flexion_zone(flexion_deg: float, slouch_deg: float, extension_limit_deg: float) -> str:
    if flexion_deg < 0:
        return zone_of(-flexion_deg, extension_limit_deg).value
    if flexion_deg > slouch_deg:
        return "red" if flexion_deg > 1.5 * slouch_deg else "amber"
    return "green"


class AnglesPanel(Static):
    """Flexion/extension, lateral bend and twist, coloured by zone.

    This panel and the others updated with every batch have sizes fixed by the layout (dorsal.tcss), so
    they repaint without a new layout of the screen (a layout per update cost a sixth of the CPU)."""

    def show(self, view: LiveView, slouch_deg: float) -> None:
        fz = flexion_zone(view.flexion_deg, slouch_deg, view.extension_limit_deg)
        lz = "green" if abs(view.lateral_deg) < 10 else ("amber" if abs(view.lateral_deg) < 20 else "red")
        tz = "green" if abs(view.rotation_deg) < 15 else ("amber" if abs(view.rotation_deg) < 30 else "red")
        word = "flexion" if view.flexion_deg >= 0 else "extension"
        t = Text()
        t.append(f"{word:<10}", style="bold")
        t.append(f"{abs(view.flexion_deg):5.1f}°", style=ZONE_STYLE[fz])
        t.append("\n")
        side = "right" if view.lateral_deg >= 0 else "left"
        t.append(f"{'side bend':<10}", style="bold")
        t.append(f"{abs(view.lateral_deg):5.1f}° {side}\n", style=ZONE_STYLE[lz])
        turn = "right" if view.rotation_deg >= 0 else "left"
        t.append(f"{'twist':<10}", style="bold")
        t.append(f"{abs(view.rotation_deg):5.1f}° {turn}\n", style=ZONE_STYLE[tz])
        t.append(f"limits: slouch {slouch_deg:.0f}°, back {view.extension_limit_deg:.0f}°\n", style="dim")
        t.append("neutral: " + NEUTRAL_TEXT.get(view.neutral, view.neutral),
                 style="bold yellow" if view.neutral == "estimating" else "dim")
        self.update(t, layout=False)
        self.set_class(fz != "green", f"-{fz}")


class TwistIndicator(Static):
    """Top view of the shoulders' turn: a marker on a -45..+45 degree scale."""

    def show(self, rotation_deg: float) -> None:
        width = 31
        pos = int(round((max(-45.0, min(45.0, rotation_deg)) + 45) / 90 * (width - 1)))
        bar = ["─"] * width
        bar[width // 2] = "┼"
        bar[pos] = "◆"
        style = "green" if abs(rotation_deg) < 15 else ("yellow" if abs(rotation_deg) < 30 else "bold red")
        if (pos, style) == getattr(self, "_shown", None):
            return  # the same picture: nothing to repaint
        self._shown = (pos, style)
        t = Text("L ", style="dim")
        t.append("".join(bar), style=style)
        t.append(" R", style="dim")
        self.update(t, layout=False)


class SittingPanel(Vertical):
    def compose(self) -> ComposeResult:
        yield Label("", id="activity")
        yield ProgressBar(total=100, show_eta=False, show_percentage=True, id="bout-bar")
        yield Label("", id="bout-text")

    def show(self, view: LiveView) -> None:
        self.query_one("#activity", Label).update(Text.assemble(("now: ", "bold"), ACTIVITY_TEXT.get(
            view.activity, view.activity) if view.neutral != "estimating" else
            "estimating your neutral… (up to 2 min)"))
        bar = self.query_one("#bout-bar", ProgressBar)
        bar.update(total=view.sitting_limit_s, progress=min(view.sitting_bout_s, view.sitting_limit_s))
        self.set_class(view.sitting_bout_s >= view.sitting_limit_s, "-over")
        self.query_one("#bout-text", Label).update(
            f"sitting bout {duration_text(view.sitting_bout_s)} of {duration_text(view.sitting_limit_s)}\n"
            f"since last break {duration_text(view.since_break_s)}   breaks today {view.today.breaks}"
        )


class HistoryPanel(Vertical):
    def compose(self) -> ComposeResult:
        yield Label("flexion (+) / extension (−), last 5 min", classes="caption", id="caption-flexion")
        yield Sparkline([], id="spark-flexion")
        yield Label("twist, last 5 min", classes="caption", id="caption-twist")
        yield Sparkline([], id="spark-twist")

    def show(self, view: LiveView) -> None:
        flex = view.history_flexion_deg
        if not flex:
            return
        # a sparkline scales to its own min..max: steps of a few degrees keep sensor noise flat
        low = min(flex)
        self.query_one("#spark-flexion", Sparkline).data = [round((v - low) / FLEXION_STEP_DEG) for v in flex]
        self.query_one("#spark-twist", Sparkline).data = [round(abs(v) / TWIST_STEP_DEG)
                                                          for v in view.history_rotation_deg]
        twist_peak = max(abs(v) for v in view.history_rotation_deg)
        self.query_one("#caption-flexion", Label).update(
            f"flexion (+)/extension (−), 5 min: {low:+.0f}°…{max(flex):+.0f}°")
        self.query_one("#caption-twist", Label).update(f"twist, 5 min: up to {twist_peak:.0f}°")


class AlertPanel(Static):
    """The most urgent alert, its level and what to do; calm text when there is none."""

    def show(self, view: LiveView) -> None:
        t = Text()
        if not view.alerts:
            t.append("No alerts. ", style="green")
            t.append("Keep it up." if not view.snoozed else "Alerts are snoozed.", style="dim")
            self.set_class(False, "-active")
        else:
            top = view.alerts[0]
            marks = {Level.NOTICE: "notice", Level.BELL: "notice + bell", Level.BUZZ: "notice + bell + buzz"}
            t.append(f"{top.title}", style="bold")
            t.append(f"  ({marks[top.level]})\n", style="dim")
            t.append(top.what_to_do + "\n")
            others = ", ".join(a.title.lower() for a in view.alerts[1:])
            if others:
                t.append(f"also: {others}\n", style="dim")
            t.append("z snooze 15 min" if not view.snoozed else "snoozed", style="dim")
            self.set_class(True, "-active")
        self.update(t, layout=False)


class TodayPanel(Static):
    def show(self, view: LiveView) -> None:
        d = view.today
        t = Text()
        t.append("sitting ", style="bold")
        t.append(f"{duration_text(d.sitting_s)}  ")
        t.append("longest bout ", style="bold")
        t.append(f"{duration_text(d.longest_bout_s)}\n")
        t.append("slouched ", style="bold")
        t.append(f"{d.slouched_share * 100:.0f}% of seated time\n")
        t.append("stretches ", style="bold")
        t.append(f"{d.stretches_seen} seen, {d.stretches_done} with the coach\n")
        t.append("twists ", style="bold")
        t.append(f"{d.twists} of {d.twist_limit} a day (heuristic)",
                 style="bold red" if d.twists > d.twist_limit else None)
        self.update(t, layout=False)


class DevicePanel(Static):
    def show(self, state: str, stats: LinkStats, device: str | None, simulated: bool) -> None:
        t = Text()
        if simulated:
            t.append("SIMULATION ", style="reverse bold")
            t.append("virtual wearable, no hardware\n", style="dim")
        t.append(f"{device or 'wearable'}: ", style="bold")
        t.append(STATE_TEXT.get(state, state) + "\n",
                 style="green" if state == "streaming" else ("yellow" if state != "ended" else "dim"))
        battery = f"{stats.battery_percent}%" if stats.battery_percent is not None else "?"
        signal = f"{stats.rssi_dbm} dBm" if stats.rssi_dbm is not None else "?"
        t.append(f"battery {battery}  signal {signal}  rate {stats.rate_hz:.0f} Hz\n")
        t.append(f"samples {stats.samples}  lost {stats.samples_lost}  recovered {stats.samples_recovered}")
        self.update(t, layout=False)
        for s in ("searching", "connecting", "reconnecting", "no-data", "ended"):
            self.set_class(state.replace(" ", "-") == s, f"-{s}")
