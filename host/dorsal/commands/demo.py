"""`dorsal demo`: the whole product on the virtual wearable, no hardware, no set-up.

Without options the "tour" scenario runs at 20x: within a few minutes it shows
every kind of alert (slouch with its escalation, twisting too often, a long
sitting bout, leaning back past the limit) and the stretch coach's limits;
stretches play at no more than 2x so they can be followed. The screen says it
is a simulation.
"""

from __future__ import annotations

import argparse
from typing import Any

from dorsal.errors import DorsalError

DEFAULT_SPEED = 20.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--speed", type=float, default=DEFAULT_SPEED,
                        help=f"simulated seconds per real second (1 = real time; default {DEFAULT_SPEED:g})")
    parser.add_argument("--scenario", default="tour", help="what the virtual wearer does (default: tour)")
    parser.add_argument("--link", choices=("direct", "ble", "serial"), default="direct",
                        help="how the host reaches the virtual wearable (default: direct, in-process)")
    parser.add_argument("--no-store", action="store_true", help="do not write to the history store")


def open_demo_link(scenario: str, speed: float, link: str) -> Any:
    """The scripted wearable in-process; over the virtual radio or a virtual board through dorsal.links."""
    from dorsal.dashboard.script import SCENARIOS, ScriptLink

    if speed < 0:
        raise DorsalError("--speed must be 0 or more")
    if link == "direct" and scenario in SCENARIOS:
        return ScriptLink(scenario, speed=speed)
    if link == "direct":
        from dorsal.sim import SCENARIOS as SIM_SCENARIOS

        if scenario not in SIM_SCENARIOS:
            known = ", ".join([*SCENARIOS, *SIM_SCENARIOS])
            raise DorsalError(f"no scenario {scenario!r}; known: {known}")
        from dorsal.dashboard.simsource import SimWearableLink

        return SimWearableLink(scenario, speed=speed)
    try:
        from dorsal.links import open_link
    except ImportError as exc:
        known = ", ".join(SCENARIOS)
        raise DorsalError(f"--link {link} or scenario {scenario!r} needs the links package (dorsal.links), "
                          f"which is not installed here ({exc}); the built-in scenarios are: {known}") from None
    return open_link(argparse.Namespace(sim=scenario, link=link, speed=speed, ble=None, serial=None, replay=None,
                                        record=None))


def run(args: argparse.Namespace) -> int:
    from dorsal.dashboard import run_dashboard

    link = open_demo_link(args.scenario, args.speed, args.link)
    # the simulated wearer's board sits a little askew (as a real one does): without a stored
    # calibration the core estimates the neutral from the first quiet upright seconds
    return run_dashboard(link, simulated=True, auto_coach=True, use_store=not args.no_store)
