"""The history report inside the dashboard: today and this week, from the store (dorsal.report)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

TITLES = {"day": "report: today", "week": "report: this week"}


def report_of(store_path: Path | None, kind: str) -> Text:
    """The report `dorsal report` prints (``--week`` for "week"), coloured, from the store at store_path."""
    from dorsal.report import report_text
    from dorsal.store.store import Store

    with Store(store_path) as store:
        return Text.from_ansi(report_text(store, kind, color=True))


class ReportScreen(Screen[None]):
    BINDINGS = [
        Binding("t", "show('day')", "today"),
        Binding("w", "show('week')", "this week"),
        Binding("escape", "app.pop_screen", "back"),
    ]

    def __init__(self, store_path: Path | None, use_store: bool = True, kind: str = "day",
                 writer: Any = None) -> None:
        super().__init__()
        self.store_path = store_path
        #: the dashboard's BackgroundWriter: what it has queued is committed before the report is read
        self.writer = writer
        self.use_store = use_store
        self.kind = kind
        #: the kind shown now (None while it loads)
        self.shown: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="report", classes="box"):
            yield Static("Reading your history…", id="report-text")
        yield Footer()

    def on_mount(self) -> None:
        self.action_show(self.kind)

    def action_show(self, kind: str) -> None:
        self.kind = kind
        self.query_one("#report").border_title = TITLES[kind]
        if not self.use_store:
            self.query_one("#report-text", Static).update(
                "History is off for this session (--no-store): nothing is kept, so there is no report.")
            self.shown = kind
            return
        self.shown = None
        self._load(kind)

    @work(thread=True, exclusive=True, group="report")
    def _load(self, kind: str) -> None:
        """The store is read in a thread: a long history must not stall the live screen."""
        if self.writer is not None:
            self.writer.flush()
        text = report_of(self.store_path, kind)
        self.app.call_from_thread(self._show, kind, text)

    def _show(self, kind: str, text: Text) -> None:
        if kind != self.kind or not self.is_mounted:
            return
        self.query_one("#report-text", Static).update(text)
        self.shown = kind
