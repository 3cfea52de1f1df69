"""The scenario library: each scenario is data, a sequence of activity steps.

A step names an activity of the choreographer (``sit``, ``stand``, ``walk``,
``stairs``, ``pick_up``, ``twist``, ``fidget``, ``lie``, ``stretch``), how long
it lasts (seconds, or a (lo, hi) range drawn with the run's seed), its
parameters (numbers, (lo, hi) ranges or [choices]) and the probability that
it happens at all in one pass. A looping scenario repeats its steps until
the requested duration is filled; the others play once and the wearer then
stands quietly.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dorsal.sim.body import Plan
from dorsal.sim.choreography import FLOOR_M, STRETCH_IDS, Choreographer, draw

MIN = 60.0
HOUR = 3600.0


@dataclass(frozen=True)
class Step:
    kind: str
    duration_s: float | tuple[float, float] = 0.0
    params: dict[str, Any] = field(default_factory=dict)
    p: float = 1.0


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    steps: tuple[Step, ...]
    default_duration_s: float
    loop: bool = False


def _stretch_scenario(stretch_id: str, what: str, before: str = "stand", **params: Any) -> Scenario:
    return Scenario(
        stretch_id, what,
        (Step(before, (15, 25)), Step("stretch", params={"id": stretch_id, **params}), Step("stand", (15, 25))),
        default_duration_s=6 * MIN,
    )


_DESK_BLOCK = (
    Step("sit", (12 * MIN, 55 * MIN)),  # about half the bouts pass 30 min
    Step("stand", (20, 90)),
    Step("walk", (60, 240), p=0.6),
    Step("pick_up", p=0.15),
    Step("stretch", params={"id": ["standing-bends", "standing-bends", "standing-back-lean", "chair-back-extension"]},
         p=0.25),
    Step("twist", p=0.1),
    Step("stand", (20, 60)),
)

SCENARIOS: dict[str, Scenario] = {s.name: s for s in [
    Scenario("desk-day", "hours of desk work: sitting bouts (some past 30 min), slouch drift and corrections, "
             "breaks, short walks, reaching, leaning back in the chair, a few stretches",
             _DESK_BLOCK, default_duration_s=8 * HOUR, loop=True),
    _stretch_scenario("standing-back-lean", "standing, hands on the spine, leaning back a few times"),
    _stretch_scenario("chair-back-extension", "on the front edge of a low chair, leaning back over the chair back",
                      before="sit"),
    _stretch_scenario("side-lying-knees-to-chest", "on the floor on one side, knees to chest then legs out; "
                      "then the other side"),
    _stretch_scenario("assisted-prone-press", "face down; a helper presses between the shoulder blades on "
                      "each breath out, a little more each time"),
    _stretch_scenario("ball-rollout", "lying back over an exercise ball, then rolling it along the back"),
    _stretch_scenario("seated-twist", "on the floor, legs out, one knee crossed: turning toward it, both sides"),
    _stretch_scenario("bed-edge-extension", "lying on a bed with the shoulder blades past the edge, sinking "
                      "and lifting, further out each time"),
    _stretch_scenario("rocking", "on the back hugging the knees, rolling back and forth"),
    _stretch_scenario("supine-chin-tuck", "on the back, knees bent, pulling the chin to the chest"),
    _stretch_scenario("standing-bends", "standing: forward and back bends, then side to side"),
    Scenario("unsafe-deep-back-lean", "standing back lean taken far past a comfortable extension",
             (Step("stand", (15, 25)), Step("stretch", params={"id": "standing-back-lean", "extension_deg": (28, 38)}),
              Step("stand", (15, 25))), default_duration_s=4 * MIN),
    Scenario("unsafe-deep-chair-extension", "chair back extension leaning much too far back",
             (Step("sit", (15, 25)), Step("stretch", params={"id": "chair-back-extension", "extension_deg": (28, 38)}),
              Step("stand", (15, 25))), default_duration_s=4 * MIN),
    Scenario("unsafe-frequent-twists", "desk work with the back twisted to crack it many times",
             (Step("sit", (8 * MIN, 20 * MIN), {"twist_per_h": 4.0}), Step("twist"), Step("stand", (20, 60))),
             default_duration_s=2 * HOUR, loop=True),
    Scenario("unsafe-long-sitting", "one long sitting bout with no break at all",
             (Step("sit", (100 * MIN, 140 * MIN)), Step("stand", (30, 60))), default_duration_s=150 * MIN),
    Scenario("trap-fidgeting", "restless sitting: many small turns and leans, no twist, no slouch",
             (Step("sit", (15 * MIN, 20 * MIN), {"fidget_per_h": 90.0, "reach_per_h": 30.0, "slouch_deg": (4, 8)}),
              Step("stand", 60)), default_duration_s=20 * MIN, loop=True),
    Scenario("trap-floor-pickup", "standing and walking, picking things up from the floor",
             (Step("stand", (20, 40)), Step("pick_up"), Step("walk", (20, 40)), Step("pick_up"), Step("stand", (10, 30))),
             default_duration_s=10 * MIN, loop=True),
    Scenario("trap-lying-rest", "lying down on a bed to rest, on the back then on a side",
             (Step("stand", (20, 40)), Step("lie", (4 * MIN, 8 * MIN), {"how": "supine"}),
              Step("lie", (3 * MIN, 6 * MIN), {"how": ["left", "right"]}), Step("stand", (20, 40))),
             default_duration_s=15 * MIN),
    Scenario("trap-stairs", "walking, up two flights of stairs, walking, down again",
             (Step("walk", (30, 60)), Step("stairs", (10, 14), {"direction": 1}), Step("walk", (5, 10)),
              Step("stairs", (10, 14), {"direction": 1}), Step("walk", (30, 60)),
              Step("stairs", (10, 14), {"direction": -1}), Step("walk", (5, 10)),
              Step("stairs", (10, 14), {"direction": -1}), Step("stand", (20, 40))),
             default_duration_s=6 * MIN),
    Scenario("trap-chair-lean-back", "sitting and often leaning back in a reclining office chair (not a stretch)",
             (Step("sit", (10 * MIN, 15 * MIN), {"lean_back_per_h": 30.0}), Step("stand", 60)),
             default_duration_s=15 * MIN, loop=True),
    Scenario("sit-stand", "sitting down and standing up again every 20-30 s (transitions for the detectors)",
             (Step("sit", (20, 30), {"fidget_per_h": 0, "reach_per_h": 0, "lean_back_per_h": 0}), Step("stand", (20, 30))),
             default_duration_s=5 * MIN, loop=True),
    Scenario("walking", "walking up and down a corridor, with short stops",
             (Step("walk", (40, 90)), Step("stand", (5, 15))), default_duration_s=5 * MIN, loop=True),
]}

assert all(s in SCENARIOS for s in STRETCH_IDS)


def scenario_named(name: str) -> Scenario:
    return SCENARIOS[name]


def _run_step(ch: Choreographer, step: Step, duration_s: float, params: dict[str, Any]) -> None:
    kind = step.kind
    if kind == "sit":
        ch.sit(duration_s, **params)
    elif kind == "stand":
        ch.stand(duration_s)
    elif kind == "walk":
        ch.walk(duration_s, cadence_spm=ch.u(95, 115), speed_mps=ch.u(1.1, 1.4))
    elif kind == "stairs":
        direction = int(params.get("direction", 1))
        ch.walk(duration_s, cadence_spm=ch.u(80, 95), speed_mps=ch.u(0.35, 0.5), stairs=direction, turn=False)
    elif kind == "pick_up":
        ch.pick_up()
    elif kind == "twist":
        ch.twist()
    elif kind == "fidget":
        ch.fidget()
    elif kind == "lie":
        ch.lie(duration_s, how=params.get("how", "supine"), surface_m=params.get("surface_m", 0.55))
    elif kind == "lie_floor":
        ch.lie(duration_s, how=params.get("how", "supine"), surface_m=FLOOR_M)
    elif kind == "stretch":
        rest = {k: v for k, v in params.items() if k != "id"}
        ch.stretch(params["id"], **rest)
    else:
        raise ValueError(f"unknown activity {kind!r}")


def compile_plan(scenario: Scenario, seed: int, duration_s: float, start_still_s: float | None = None) -> Plan:
    """The whole run as closed-form channels (deterministic for a scenario, seed and duration).

    ``start_still_s``: the wearer stands still this long while the device starts (to calibrate, as the
    dashboard asks) instead of the drawn 3-6 s; the rest of the run keeps its seed's draws.
    """
    rng = np.random.default_rng([seed, zlib.crc32(scenario.name.encode())])
    plan = Plan(duration_s)
    plan.heading_deg.initial = float(rng.uniform(0, 360))
    plan.breath_hz = float(rng.uniform(0.2, 0.3))
    plan.breath_deg = float(rng.uniform(0.3, 0.6))
    plan.sway_freq_hz = rng.uniform(0.05, 0.6, (3, 3))
    plan.sway_phase_rad = rng.uniform(0, 2 * np.pi, (3, 3))
    ch = Choreographer(plan, rng)
    still_s = float(rng.uniform(3, 6))  # the wearer stands still while the device starts
    ch.hold(still_s if start_still_s is None else float(start_still_s))
    while ch.t < duration_s:
        for step in scenario.steps:
            if ch.t >= duration_s:
                break
            if step.p < 1.0 and rng.random() >= step.p:
                continue
            params = {k: (draw(rng, v) if isinstance(v, list) else v) for k, v in step.params.items()}
            length = draw(rng, step.duration_s) if isinstance(step.duration_s, tuple) else float(step.duration_s)
            _run_step(ch, step, float(length), params)
        if not scenario.loop:
            break
    ch.stand(max(0.0, duration_s - ch.t) + 1.0)
    return plan
