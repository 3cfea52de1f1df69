"""`dorsal watch` with the dashboard on the real links (dorsal.links, as the CLI opens them from its arguments):
a replayed recording, a virtual board's serial port through a pty (unplugged and plugged in again), and the
simulated wearer on the virtual Bluetooth radio. Pilot reads what the screen shows."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

from dorsal.commands import watch
from dorsal.dashboard.app import make_app
from dorsal.dashboard.script import Segment
from dorsal.links import open_link
from dorsal.recording import read_recording

sys.path.insert(0, str(Path(__file__).parents[1] / "links"))
from linkrig import UsbCable, cable  # noqa: E402,F401 (cable: the virtual board's fixture)

SIZE = (100, 30)


def watch_app(*argv: str, **options: Any) -> tuple[Any, Any]:
    """The link and the dashboard `dorsal watch ARGV` runs (without taking the terminal)."""
    parser = argparse.ArgumentParser()
    watch.add_arguments(parser)
    args = parser.parse_args(argv)
    link = open_link(args)
    return link, make_app(link, **{**watch.dashboard_options(args), **options})


def device_panel(app: Any) -> str:
    from dorsal.dashboard.widgets.panels import DevicePanel

    return " ".join(str(app.screen.query_one(DevicePanel).render()).split())  # words, however they wrap


def test_watch_replay_shows_the_recording_then_that_it_ended(recording, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    path = recording([Segment(10, "standing", 0), Segment(40, "sitting", 3)],
                     device={"name": "dorsal-1a2b", "imu": "mpu6050"})  # as `watch --record` writes it
    asyncio.run(_watch_replay(path, screen_text, wait_for))


async def _watch_replay(path: Path, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    link, app = watch_app("--replay", str(path), "--speed", "8")
    n = len(read_recording(path).samples)
    seen_streaming = False
    async with app.run_test(size=SIZE) as pilot:
        def streaming_then_ended() -> bool:
            nonlocal seen_streaming
            seen_streaming = seen_streaming or (app.link_state == "streaming" and "Streaming." in device_panel(app))
            return app.link_state == "ended"

        await wait_for(pilot, streaming_then_ended, timeout_s=60)
        await pilot.pause(0.2)
        text = screen_text(app)
        assert seen_streaming
        panel = device_panel(app)
        assert "The source has ended." in panel and "dorsal-1a2b" in panel
        assert app.tracker.samples == n and f"samples {n}" in panel
        assert "now: sitting" in text and "neutral: estimated" in text
    assert app.tracker.history is None  # a replay is not a day of the wearer's


def test_watch_serial_on_a_virtual_board_shows_streaming_reconnecting_and_recovered_samples(
        cable: UsbCable, dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_watch_serial(cable, screen_text, wait_for))


async def _watch_serial(cable: UsbCable, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    link, app = watch_app("--serial", str(cable.path))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.tracker.samples > 300 and "Streaming." in device_panel(app), timeout_s=60)
        panel = device_panel(app)
        assert "rate 100 Hz" in panel and "lost 0" in panel
        cable.unplug()
        await wait_for(pilot, lambda: "reconnecting" in device_panel(app), timeout_s=30)
        assert "Connection lost: reconnecting" in device_panel(app)
        before = app.tracker.samples
        await asyncio.sleep(1.0)
        cable.plug()
        await wait_for(pilot, lambda: app.link_stats.samples_recovered > 0 and "Streaming." in device_panel(app)
                       and app.tracker.samples > before + 200, timeout_s=60)
        await pilot.pause(0.1)
        panel = device_panel(app)
        assert f"recovered {app.link_stats.samples_recovered}" in panel and "lost 0" in panel
    # a wearable on a cable is the wearer's own session: it went to the history
    from dorsal.store.store import Store

    with Store() as store:
        assert [s.source for s in store.sessions()] == ["live"]


def test_watch_sim_over_the_virtual_radio_shows_the_simulated_wearable(dorsal_home, screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_watch_radio(screen_text, wait_for))


async def _watch_radio(screen_text, wait_for) -> None:  # type: ignore[no-untyped-def]
    link, app = watch_app("--sim", "desk-day", "--link", "ble", "--speed", "4")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.tracker.samples > 400 and "Streaming." in device_panel(app), timeout_s=90)
        await pilot.pause(0.1)
        text = screen_text(app)
        panel = device_panel(app)
        # the name the wearable gives in its hello; battery from its messages, signal from the radio
        assert "SIMULATION" in text and app.device_name.startswith("dorsal-") and f"{app.device_name}: " in panel
        assert "rate 100 Hz" in panel and "lost 0" in panel and "battery ?" not in panel and " dBm" in panel
        assert app.tracker.analyzer is not None  # the core is fed: its state is on the screen
        assert ("now: " in text) and ("estimating your neutral" in text or app.tracker.neutral != "estimating")
    assert app.tracker.history is None


def test_watch_ble_for_a_wearable_out_of_reach_says_it_is_searching(dorsal_home, wait_for) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_watch_ble_searching(wait_for))


async def _watch_ble_searching(wait_for) -> None:  # type: ignore[no-untyped-def]
    # `watch --ble dorsal-none` on the virtual radio, where only another wearable advertises
    from dorsal.links.ble import BleLink
    from dorsal.virtual_radio import LinkModel, Radio
    from dorsal.virtual_radio.wearable import make_wearable

    radio = Radio(LinkModel(interval_ms=30))
    other = await make_wearable(radio)
    link = BleLink("dorsal-none", scanner_backend=radio.scanner_backend(), client_backend=radio.client_backend(),
                   scan_timeout_s=0.5)
    app = make_app(link, keep_history=True)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: "Searching for the wearable" in device_panel(app), timeout_s=30)
            await pilot.pause(1.0)
            assert app.link_state == "searching" and app.tracker.samples == 0
            assert "waiting for data" in str(app.screen.query_one("#angles").render())
    finally:
        await other.stop()
