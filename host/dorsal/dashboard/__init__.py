"""The desk dashboard (Textual): ``make_app`` for tests, ``run_dashboard(link, ...)`` for the CLI."""

from __future__ import annotations

from typing import Any


def make_app(link: Any, **options: Any) -> Any:
    from dorsal.dashboard.app import make_app as _make_app

    return _make_app(link, **options)


def run_dashboard(link: Any, simulated: bool = False, **options: Any) -> int:
    from dorsal.dashboard.app import run_dashboard as _run

    return _run(link, simulated=simulated, **options)


__all__ = ["make_app", "run_dashboard"]
