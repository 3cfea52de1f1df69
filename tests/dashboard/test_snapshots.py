"""Snapshots of the main screen in its important states, at 100x30 (pytest-textual-snapshot).

Each app replays a recording made of real wire frames at full speed, keeps the
link open after the last sample, and the picture is taken once everything is
shown. Update with `pytest tests/dashboard/test_snapshots.py --snapshot-update`
after checking the new pictures by eye.
"""

from __future__ import annotations

from dorsal.dashboard.app import make_app
from dorsal.core import Settings
from dorsal.dashboard.script import Segment

SIZE = (100, 30)


def settle(app, link, extra=None):  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        import time

        end = time.monotonic() + 60
        while not (link.finished and app.last_view is not None and app.last_view.samples == len(link.recording.samples)):
            assert time.monotonic() < end, "the replay did not finish"
            await pilot.pause(0.02)
        if extra is not None:
            await extra(pilot)
        app.clear_notifications()  # toasts time out: keep them out of the picture
        await pilot.pause(1.1)  # the device panel's counters are redrawn once a second

    return run_before


def test_normal(snap_compare, recording, replay, dorsal_home) -> None:  # type: ignore[no-untyped-def]
    link = replay(recording([Segment(10, "standing", 0), Segment(60, "sitting", 3)]))
    app = make_app(link)
    assert snap_compare(app, terminal_size=SIZE, run_before=settle(app, link))


def test_slouch_alert(snap_compare, recording, replay, dorsal_home) -> None:  # type: ignore[no-untyped-def]
    link = replay(recording([Segment(10, "standing", 0), Segment(10, "sitting", 2), Segment(90, "sitting", 21)]))
    app = make_app(link)
    assert snap_compare(app, terminal_size=SIZE, run_before=settle(app, link))


def test_sitting_alert(snap_compare, recording, replay, dorsal_home) -> None:  # type: ignore[no-untyped-def]
    link = replay(recording([Segment(10, "standing", 0), Segment(125, "sitting", 4)]))
    app = make_app(link, settings=Settings(sitting_bout_max_s=120.0))
    assert snap_compare(app, terminal_size=SIZE, run_before=settle(app, link))


def test_reconnecting(snap_compare, recording, replay, dorsal_home) -> None:  # type: ignore[no-untyped-def]
    link = replay(recording([Segment(10, "standing", 0), Segment(30, "sitting", 3)]), states={30.0: "reconnecting"})
    app = make_app(link)
    assert snap_compare(app, terminal_size=SIZE, run_before=settle(app, link))


def test_stretch_coach_red_zone(snap_compare, recording, replay, dorsal_home) -> None:  # type: ignore[no-untyped-def]
    link = replay(recording([Segment(8, "standing", 0), Segment(6, "standing", -20, ramp_s=1)]), speed=0)
    app = make_app(link)

    async def open_coach(pilot) -> None:  # type: ignore[no-untyped-def]
        from dorsal.coach import routine
        from dorsal.dashboard.screens.coach import CoachRunScreen

        screen = CoachRunScreen(routine("standing-back-lean"), app.extension_limit)
        await app.push_screen(screen)
        screen.session.next_step()  # on to the lean
        screen.show_live(app.last_view)
        await pilot.pause(0.05)
        assert screen.session.status().zone.value == "red"

    assert snap_compare(app, terminal_size=SIZE, run_before=settle(app, link, open_coach))


def test_estimating_the_neutral(snap_compare, recording, replay, dorsal_home) -> None:  # type: ignore[no-untyped-def]
    # walking gives no quiet upright second: the core is still looking for the neutral
    link = replay(recording([Segment(30, "walking", 2)]))
    app = make_app(link)
    assert snap_compare(app, terminal_size=SIZE, run_before=settle(app, link))
