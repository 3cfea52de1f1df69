"""The stretch coach: choose a stretch, then follow it with the live extension against your limit."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from dorsal.coach import CoachSession, CoachStatus, ExtensionLimit, Routine, routines_in_order
from dorsal.coach.routines import STOP_ON_PAIN, Position
from dorsal.dashboard.live import LiveView

ZONE_STYLE = {"green": "green", "amber": "yellow", "red": "bold red"}


class CoachMenuScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "back")]

    def compose(self) -> ComposeResult:
        app = self.app
        view: LiveView | None = getattr(app, "last_view", None)
        twists = view.today.twists if view else 0
        limit = view.today.twist_limit if view else 4
        items = routines_in_order(twists, limit)
        yield Header()
        with Vertical(id="coach-menu", classes="box"):
            if twists * 2 >= limit:
                yield Static(f"You have twisted your back {twists} times today. Try the standing bends first: "
                             "they loosen the back without twisting.", id="twist-note")
            yield Static("Choose a stretch (enter). " + STOP_ON_PAIN, classes="caption")
            yield OptionList(*[Option(f"{r.title}  [dim]{r.setup}[/dim]", id=r.stretch_id) for r in items],
                             id="stretches")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#coach-menu").border_title = "stretch coach"
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        from dorsal.coach import routine

        self.app.switch_screen(CoachRunScreen(routine(str(event.option.id)),
                                              self.app.extension_limit))  # type: ignore[attr-defined]


def extension_bar(status: CoachStatus, width: int = 40) -> Text:
    """The live extension on a 0..1.5x-limit scale with the limit marked."""
    scale_deg = max(1.0, status.limit_deg * 1.5)
    filled = int(round(min(status.extension_deg, scale_deg) / scale_deg * width))
    mark = int(round(status.limit_deg / scale_deg * width))
    t = Text()
    for i in range(width):
        if i == mark:
            t.append("│", style="bold")
        elif i < filled:
            t.append("█", style=ZONE_STYLE[status.zone.value])
        else:
            t.append("░", style="dim")
    return t


class CoachRunScreen(Screen[None]):
    BINDINGS = [
        Binding("h", "hurts", "it hurts (stop)"),
        Binding("n", "next_step", "next step"),
        Binding("escape", "leave", "back"),
    ]

    def __init__(self, routine: Routine, limit: ExtensionLimit, automatic: bool = False) -> None:
        super().__init__()
        self.routine = routine
        #: opened by the demo's script: closes itself when the scripted stretch ends
        self.automatic = automatic
        self.session = CoachSession(routine, limit)
        self.pain_context: dict[str, object] | None = None
        self._counted = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="coach-run", classes="box"):
            yield Static(Text(self.routine.setup, style="bold"), id="setup")
            yield Static("", id="step")
            yield Static("", id="breathing")
            yield Static("", id="position")
            yield Static("", id="extension")
            yield Static("", id="hold")
            yield Static(Text(self.routine.caution + " " + STOP_ON_PAIN, style="dim"), id="caution")
        yield Footer()

    ready = False

    def on_mount(self) -> None:
        self.ready = True
        self.query_one("#coach-run").border_title = f"stretch coach: {self.routine.title}"
        self.app.tracker.in_stretch = True  # type: ignore[attr-defined]
        self.render_status(self.session.status())

    def on_unmount(self) -> None:
        self.app.tracker.in_stretch = False  # type: ignore[attr-defined]

    def show_live(self, view: LiveView) -> None:
        if not self.ready:
            return
        status = self.session.update(view.t_s, view.flexion_deg, view.lateral_deg, view.inclination_deg)
        self.render_status(status)
        if status.finished and not self._counted:
            self._counted = True
            self.app.stretch_finished(self.routine, status)  # type: ignore[attr-defined]

    def render_status(self, status: CoachStatus) -> None:
        n = len(self.routine.steps)
        step = status.step
        if status.stopped_for_pain:
            self.query_one("#step", Static).update(Text(
                "Stopped. Your pain is noted. Rest, and do not repeat this stretch today. "
                "If pain keeps coming back or lasts more than a few weeks, see a doctor.", style="bold"))
        elif status.finished:
            self.query_one("#step", Static).update(Text(
                f"Done. Peak extension {status.peak_extension_deg:.0f}°; your limit is now "
                f"{status.limit_deg:.0f}°. Press escape to go back.", style="bold green"))
        else:
            self.query_one("#step", Static).update(Text.assemble((f"Step {status.step_index + 1} of {n}: ", "bold"),
                                                                 step.text))
        self.query_one("#breathing", Static).update(
            Text.assemble(("breathing: ", "bold"), step.breathing) if step.breathing else "")
        if step.position is Position.ANY:
            self.query_one("#position", Static).update("")
        else:
            ok = status.position_ok
            self.query_one("#position", Static).update(Text.assemble(
                ("position: ", "bold"),
                (f"{step.position.value} ✓" if ok else f"expected {step.position.value}: the timer waits",
                 "green" if ok else "yellow")))
        ext = self.query_one("#extension", Static)
        if step.watch_extension:
            label = {"green": "comfortable", "amber": "near your limit", "red": "past your limit: ease off"}
            ext.update(Text.assemble(("extension ", "bold"), extension_bar(status),
                                     (f" {status.extension_deg:4.1f}° / limit {status.limit_deg:.0f}°  ", ""),
                                     (label[status.zone.value], ZONE_STYLE[status.zone.value])))
        else:
            ext.update(Text(f"extension {status.extension_deg:4.1f}° (not limited in this step)", style="dim"))
        for zone in ("green", "amber", "red"):
            ext.set_class(step.watch_extension and status.zone.value == zone, f"-{zone}")
        self.query_one("#hold", Static).update(
            Text.assemble(("hold ", "bold"), f"{status.hold_left_s:4.1f} s left" if not status.finished else "—"))

    def action_hurts(self) -> None:
        if self.session.stopped_for_pain:
            return
        self.pain_context = self.session.hurts()
        self.app.log_pain(self.pain_context)  # type: ignore[attr-defined]
        self.render_status(self.session.status())

    def action_next_step(self) -> None:
        self.session.next_step()
        status = self.session.status()
        self.render_status(status)
        if status.finished and not self._counted:
            self._counted = True
            self.app.stretch_finished(self.routine, status)  # type: ignore[attr-defined]

    def action_leave(self) -> None:
        self.app.pop_screen()
