"""Pilot tests: every screen and key of the dashboard, driven by replayed recordings of real wire frames.

Each test drives the app inside asyncio.run (the project does not use an asyncio pytest plugin)."""

from __future__ import annotations

import asyncio

from dorsal.dashboard.app import make_app
from dorsal.core import Settings
from dorsal.dashboard.screens.calibrate import CalibrationScreen
from dorsal.dashboard.screens.coach import CoachMenuScreen, CoachRunScreen
from dorsal.dashboard.screens.help import HelpScreen
from dorsal.dashboard.screens.main import MainScreen
from dorsal.dashboard.script import Segment
from dorsal.protocol import wire
from dorsal.store.store import Store

SIZE = (100, 30)


def test_main_screen_shows_the_replayed_posture(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_main_screen_shows_the_replayed_posture(recording, replay, dorsal_home, screen_text, wait_for))


async def _main_screen_shows_the_replayed_posture(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    link = replay(recording([Segment(10, "standing", 0), Segment(20, "sitting", 3), Segment(20, "sitting", 8, ramp_s=2)]))
    app = make_app(link)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: link.finished and app.last_view is not None and app.last_view.t_s > 49.9)
        await pilot.pause(0.1)
        text = screen_text(app)
        assert isinstance(app.screen, MainScreen)
        assert "flexion" in text and "8." in text  # the last pose: 8 deg forward
        assert "now: sitting" in text
        assert "dorsal-test" in text and "Streaming." in text
        assert "No alerts." in text
        assert "calibrate" in text and "stretch coach" in text and "quit" in text  # footer keys
        assert "SIMULATION" not in text


def test_reconnecting_state_is_explained(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_reconnecting_state_is_explained(recording, replay, dorsal_home, screen_text, wait_for))


async def _reconnecting_state_is_explained(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    link = replay(recording([Segment(10, "sitting", 3)]), states={5.0: "reconnecting"})
    app = make_app(link)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: link.finished and app.link_state == "reconnecting")
        await pilot.pause(0.1)
        assert "reconnecting" in screen_text(app)


def test_slouch_alert_escalates_to_bell_and_device_buzz(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_slouch_alert_escalates_to_bell_and_device_buzz(recording, replay, dorsal_home, screen_text, wait_for))


async def _slouch_alert_escalates_to_bell_and_device_buzz(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    link = replay(recording([Segment(10, "standing", 0), Segment(10, "sitting", 2), Segment(200, "sitting", 22)]))
    app = make_app(link)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: link.finished and len(app.escalations) >= 3)
        await pilot.pause(0.2)
        assert app.escalations == [("slouch", 1), ("slouch", 2), ("slouch", 3)]
        assert (wire.CMD_BUZZ, (wire.BUZZ_DOUBLE, 1)) in link.commands
        text = screen_text(app)
        assert "Slouching" in text and "notice + bell + buzz" in text and "Sit back" in text
        await pilot.press("z")
        await pilot.pause(0.1)
        assert app.tracker.alerts.snoozed(app.tracker.t_s)
        assert "snoozed" in screen_text(app)


def test_sitting_alert_says_what_to_do(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_sitting_alert_says_what_to_do(recording, replay, dorsal_home, screen_text, wait_for))


async def _sitting_alert_says_what_to_do(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    link = replay(recording([Segment(10, "standing", 0), Segment(130, "sitting", 3)]))
    app = make_app(link, settings=Settings(sitting_bout_max_s=120.0))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: link.finished and app.escalations)
        await pilot.pause(0.1)
        text = screen_text(app)
        assert "Long sitting bout" in text and "Stand up" in text


def test_help_opens_and_closes(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_help_opens_and_closes(recording, replay, dorsal_home, screen_text, wait_for))


async def _help_opens_and_closes(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    app = make_app(replay(recording([Segment(5, "sitting", 3)])))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "Stop any stretch at once if it hurts" in text and "not a medical device" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


def test_pain_key_logs_pain_in_the_store(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_pain_key_logs_pain_in_the_store(recording, replay, dorsal_home, screen_text, wait_for))


async def _pain_key_logs_pain_in_the_store(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    app = make_app(replay(recording([Segment(5, "sitting", 3)])))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        await pilot.press("p")
        await pilot.pause(0.1)
        assert app.pain_log and app.pain_log[0]["where"] == "dashboard"
    with Store() as store:
        reports = store.pain_reports()
    assert len(reports) == 1 and reports[0].context["where"] == "dashboard"


def test_coach_menu_suggests_standing_bends_after_many_twists(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_coach_menu_suggests_standing_bends_after_many_twists(recording, replay, dorsal_home, screen_text, wait_for))


async def _coach_menu_suggests_standing_bends_after_many_twists(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    segs = [Segment(10, "standing", 0), Segment(10, "sitting", 2)]
    for _ in range(3):
        segs += [Segment(3, "sitting", 2, 0, 40, ramp_s=1), Segment(10, "sitting", 2, 0, 0, ramp_s=1)]
    link = replay(recording(segs))
    app = make_app(link)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: link.finished and app.tracker.twists == 3)
        await pilot.pause(0.1)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, CoachMenuScreen)
        text = screen_text(app)
        assert "twisted your back 3 times" in text
        assert text.index("Standing bends") < text.index("Standing back lean")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


def test_coach_routine_red_zone_and_it_hurts(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_coach_routine_red_zone_and_it_hurts(recording, replay, dorsal_home, screen_text, wait_for))


async def _coach_routine_red_zone_and_it_hurts(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    # standing, then leaning back 20 deg: past the default 15 deg limit
    link = replay(recording([Segment(6, "standing", 0), Segment(120, "standing", -20, ramp_s=1)]), speed=4.0)
    app = make_app(link)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("enter")  # the first stretch in the menu: standing back lean
        await pilot.pause()
        assert isinstance(app.screen, CoachRunScreen)
        run = app.screen
        assert run.routine.stretch_id == "standing-back-lean"
        # the first step (5 s upright) passes by itself, then the lean step watches the extension;
        # the test ends as soon as it shows red, the long recording only leaves room for a busy machine
        await wait_for(pilot, lambda: run.session.status().zone.value == "red", timeout_s=30)
        await pilot.pause(0.1)
        text = screen_text(app)
        assert "past your limit" in text and "limit 15°" in text and "breathing" in text
        await pilot.press("h")
        await pilot.pause(0.1)
        assert run.session.stopped_for_pain and "Stopped" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.tracker.settings.extension_limit_deg < 15.0
    with Store() as store:
        reports = store.pain_reports()
        limit = store.get_setting("coach.extension_limit")
    assert reports[0].context["stretch_id"] == "standing-back-lean"
    assert limit["limit_deg"] < 15.0


def test_finishing_a_stretch_counts_it(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_finishing_a_stretch_counts_it(recording, replay, dorsal_home, screen_text, wait_for))


async def _finishing_a_stretch_counts_it(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    app = make_app(replay(recording([Segment(5, "standing", 0)])))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        for _ in range(3):
            await pilot.press("n")
        await pilot.pause(0.1)
        assert app.screen.session.finished  # type: ignore[attr-defined]
        assert "Done." in screen_text(app)
        assert app.tracker.stretches_done == 1


def test_calibration_captures_a_still_neutral_and_stores_it(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_calibration_captures_a_still_neutral_and_stores_it(recording, replay, dorsal_home, screen_text, wait_for))


async def _calibration_captures_a_still_neutral_and_stores_it(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    # the wearer sits slightly bent (6 deg) and still: that becomes the neutral
    link = replay(recording([Segment(12, "sitting", 6, ramp_s=0.5)]), speed=8.0)
    app = make_app(link)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CalibrationScreen)
        assert "Calibration sets your neutral posture" in screen_text(app)
        await wait_for(pilot, lambda: app.screen.flow.step == "bend?", timeout_s=10)  # type: ignore[attr-defined]
        await pilot.pause(0.05)
        assert "Neutral captured" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, MainScreen)
        assert app.calibration is not None and app.tracker.calibrated
        await pilot.pause(0.1)
        assert abs(app.tracker.flexion_deg) < 1.5  # measured against the new neutral now
        assert "neutral: calibrated" in screen_text(app)
    with Store() as store:
        saved = store.latest_calibration("dorsal-test")
    assert saved is not None and saved["source"] == "calibrated" and len(saved["neutral"]) == 4


def test_quit_key_ends_the_app(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_quit_key_ends_the_app(recording, replay, dorsal_home, screen_text, wait_for))


async def _quit_key_ends_the_app(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    link = replay(recording([Segment(5, "sitting", 3)]))
    app = make_app(link)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert link.closed and app.return_code in (0, None)


def test_simulator_wearable_shows_a_deep_back_lean(dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_simulator_wearable_shows_a_deep_back_lean(dorsal_home, screen_text, wait_for))


async def _simulator_wearable_shows_a_deep_back_lean(dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    """dorsal.sim's virtual wearable (its board sits askew, as a real one does), neutral estimated."""
    from dorsal.dashboard.simsource import SimWearableLink

    link = SimWearableLink("unsafe-deep-back-lean", speed=0)
    app = make_app(link, simulated=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: ("excessive_extension", 1) in app.escalations, timeout_s=20)
        await pilot.pause(0.1)
        assert app.tracker.neutral == "estimated"  # by the core, from the quiet standing before the lean
        assert "SIMULATION" in screen_text(app)


def test_demo_script_opens_the_coach_and_reaches_the_red_zone(dorsal_home, wait_for) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_demo_script_opens_the_coach(dorsal_home, wait_for))


async def _demo_script_opens_the_coach(dorsal_home, wait_for) -> None:  # type: ignore[no-untyped-def]
    from dorsal.dashboard.script import ScriptLink

    link = ScriptLink("stretch", speed=0, loop=False)
    app = make_app(link, simulated=True, auto_coach=True)
    zones: set[str] = set()
    async with app.run_test(size=SIZE) as pilot:
        async def seen_red() -> None:
            while "red" not in zones:
                if isinstance(app.screen, CoachRunScreen):
                    zones.add(app.screen.session.status().zone.value)
                await pilot.pause(0.01)

        await asyncio.wait_for(seen_red(), timeout=20)
        assert app.screen.routine.stretch_id == "standing-back-lean"  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), timeout_s=20)  # closes itself after


def test_a_stored_calibration_is_given_to_the_core_at_the_start(recording, replay, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_stored_calibration(recording, replay, screen_text, wait_for))


async def _stored_calibration(recording, replay, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    from dorsal.core import Calibration

    with Store() as store:
        store.save_calibration("dorsal-test", Calibration(source="calibrated").to_dict())
    # walking from the first second: without the stored neutral the core would still be estimating
    link = replay(recording([Segment(20, "walking", 2)]))
    app = make_app(link)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: link.finished and app.last_view is not None and app.last_view.t_s > 19)
        await pilot.pause(0.1)
        assert app.tracker.analyzer is not None and app.tracker.analyzer.calibration is not None
        assert app.tracker.analyzer.calibration.source == "calibrated"
        text = screen_text(app)
        assert "neutral: calibrated" in text and "now: walking" in text
