"""Turns a scenario's steps into a Plan: what each activity does to the body.

Figures used here (rounded, for an adult; engineering choices, not norms):
hip height standing 0.95 m and on an office chair 0.50 m (so the sensor rises
~0.45 m on standing up, SEED_NOTES.md: 40-50 cm); a sit-to-stand lasts ~2-3 s
with ~30-40 deg of trunk lean (checked against UMAFall, see tests/sim);
walking cadence 95-115 steps/min at 1.1-1.4 m/s with ~2 cm vertical bounce
of the upper trunk; stairs 0.17 m per step at 80-95 steps/min; breathing
12-18 /min; upright desk sitting 2-6 deg of flexion, slouched 14-25 deg
(SEED_NOTES.md: ~12 deg habitual, 10 deg threshold).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dorsal.sim.body import ACTIVITY_CODE, Plan

STAND_M = 0.95
CHAIR_M = 0.50
LOW_CHAIR_M = 0.46
BED_M = 0.55
BALL_M = 0.55
FLOOR_M = 0.12
STEP_RISE_M = 0.17


def draw(rng: np.random.Generator, value: Any) -> Any:
    """A parameter value: (lo, hi) numbers -> uniform draw, a list -> one choice, else as is."""
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
        return float(rng.uniform(value[0], value[1]))
    if isinstance(value, list):
        return value[int(rng.integers(len(value)))]
    return value


class Choreographer:
    """Appends activities to a plan, keeping the body's state between them."""

    def __init__(self, plan: Plan, rng: np.random.Generator):
        self.plan = plan
        self.rng = rng
        self.t = 0.0
        self.posture = "standing"  # standing | sitting | floor | lying
        self.floor_m = 0.0  # storey height: changes on stairs
        self._in_bout = False
        self.activity("standing")

    # ------------------------------------------------------------ helpers
    def u(self, lo: float, hi: float) -> float:
        return float(self.rng.uniform(lo, hi))

    def activity(self, name: str, at_s: float | None = None) -> None:
        t = self.t if at_s is None else at_s
        changes = self.plan.activity_changes
        while changes and changes[-1][0] >= t:
            changes.pop()
        if not changes or changes[-1][1] != ACTIVITY_CODE[name]:
            changes.append((t, ACTIVITY_CODE[name]))

    def settle(self) -> None:
        """Advance the cursor past every motion already scheduled."""
        p = self.plan
        tracks = [p.heading_deg, p.base_pitch_deg, p.base_roll_deg, p.gesture_flexion_deg,
                  p.lateral_deg, p.rotation_deg, p.height_m, p.sway_gain]
        if not self._in_bout:  # inside a sitting bout the slow slouch drift runs under the gestures
            tracks.append(p.flexion_deg)
        self.t = max([self.t] + [tr.busy_until_s for tr in tracks])
        if p.path.t0:
            self.t = max(self.t, p.path.t0[-1] + p.path.dur[-1])

    def hold(self, duration_s: float) -> None:
        self.settle()
        self.t += max(0.0, duration_s)

    # ------------------------------------------------------------ posture changes
    def stand_up(self) -> None:
        if self.posture == "standing":
            return
        if self.posture == "lying":
            self.sit_up()
        p, t = self.plan, self.t
        low = self.posture == "floor"
        dur = self.u(2.0, 2.8) * (1.6 if low else 1.0)  # sit-to-stand
        lean = self.u(32, 55) if not low else self.u(45, 60)
        p.base_pitch_deg.move(t, 0.6, 0.0)
        p.flexion_deg.move(t, 0.8, self.u(-1, 2))
        p.gesture_flexion_deg.move(t, 0.32 * dur, lean)
        p.path.add(t + 0.1 * dur, 0.5 * dur, self.u(0.10, 0.16), np.radians(p.heading_deg.value), 0.5)
        p.height_m.move(t + 0.3 * dur, 0.6 * dur, self.floor_m + STAND_M)
        p.gesture_flexion_deg.move(t + 0.5 * dur, 0.5 * dur, 0.0)
        p.sway_gain.move(t, dur, 1.0)
        self.activity("standing", t + 0.5 * dur)
        self.posture = "standing"
        self.settle()

    def sit_down(self, seat_m: float = CHAIR_M) -> None:
        if self.posture == "sitting":
            return
        if self.posture == "lying":
            self.sit_up()
            return
        if self.posture == "floor":
            self.stand_up()
        p, t = self.plan, self.t
        low = seat_m < 0.3
        dur = self.u(2.2, 3.0) * (1.6 if low else 1.0)  # stand-to-sit: a little slower than rising
        lean = self.u(28, 50) if not low else self.u(45, 60)
        p.gesture_flexion_deg.move(t, 0.4 * dur, lean)
        p.path.add(t + 0.3 * dur, 0.5 * dur, -self.u(0.10, 0.16), np.radians(p.heading_deg.value), 0.5)
        p.height_m.move(t + 0.2 * dur, 0.6 * dur, self.floor_m + seat_m)
        p.gesture_flexion_deg.move(t + 0.6 * dur, 0.4 * dur, 0.0)
        p.flexion_deg.move(t + 0.6 * dur, 0.4 * dur, self.u(2, 6))
        p.sway_gain.move(t, dur, 0.4)
        self.activity("sitting", t + 0.5 * dur)
        self.posture = "floor" if low else "sitting"
        self.settle()

    def lie_down(self, how: str = "supine", surface_m: float = BED_M) -> None:
        """From sitting on the surface to lying: supine, prone, right or left side."""
        if self.posture == "lying":
            self.sit_up()
        self.sit_down(surface_m)
        p, t = self.plan, self.t
        dur = self.u(2.5, 3.5)
        p.flexion_deg.move(t, dur, 0.0)
        if how in ("right", "left"):
            p.base_roll_deg.move(t, dur, 90.0 if how == "right" else -90.0)
        else:
            p.base_pitch_deg.move(t, dur, -90.0 if how == "supine" else 90.0)
        p.sway_gain.move(t, dur, 0.1)
        self.activity("lying", t + 0.5 * dur)
        self.posture = "lying"
        self.settle()

    def sit_up(self) -> None:
        if self.posture != "lying":
            return
        p, t = self.plan, self.t
        dur = self.u(2.5, 3.5)
        p.gesture_flexion_deg.move(t, 0.5, 0.0)
        p.base_pitch_deg.move(t, dur, 0.0)
        p.base_roll_deg.move(t, dur, 0.0)
        p.flexion_deg.move(t, dur, self.u(2, 6))
        p.sway_gain.move(t, dur, 0.4)
        self.activity("sitting", t + 0.5 * dur)
        self.posture = "floor" if p.height_m.value - self.floor_m < 0.3 else "sitting"
        self.settle()

    # ------------------------------------------------------------ activities
    def stand(self, duration_s: float) -> None:
        self.stand_up()
        self.hold(duration_s)

    def walk(self, duration_s: float, cadence_spm: float = 110.0, speed_mps: float = 1.25,
             stairs: int = 0, turn: bool = True) -> None:
        """Level walking, or stairs (+1 up, -1 down) at the given step rate."""
        self.stand_up()
        p, t = self.plan, self.t
        duration_s = max(duration_s, 4.0)
        f_hz = cadence_spm / 60.0
        heading = p.heading_deg.value
        ramp_s = 1.0
        p.path.add(t, duration_s, speed_mps * (duration_s - ramp_s), np.radians(heading), min(0.5, ramp_s / duration_s))
        if stairs:
            # a flight is climbed at one step per step period; the landing shows in the height
            rise = stairs * STEP_RISE_M * f_hz * (duration_s - 2 * ramp_s)
            self.floor_m += rise
            p.height_m.move(t + ramp_s * 0.5, duration_s - ramp_s, self.floor_m + STAND_M, ramp_frac=0.1)
            p.gesture_flexion_deg.move(t, 1.0, self.u(5, 10) if stairs > 0 else self.u(0, 4))
            p.gesture_flexion_deg.move(t + duration_s - 1.0, 1.0, 0.0)
        bounce = self.u(0.016, 0.022) * (0.8 if stairs else 1.0)
        p.walking.add(t, t + duration_s, f_hz, ramp_s, bounce_m=bounce, bounce_h2=self.u(0.1, 0.2),
                      ap_m=self.u(0.008, 0.014),
                      ml_m=self.u(0.015, 0.025), rot_deg=self.u(4, 8), lat_deg=self.u(3, 5),
                      flex_deg=self.u(1.5, 3.0), jolt_deg=self.u(1.0, 2.5))
        self.activity("walking", t + 0.5 * ramp_s)
        self.activity("standing", t + duration_s - 0.5 * ramp_s)
        self.t = t + duration_s
        if turn:
            p.heading_deg.move(self.t, self.u(2.0, 3.0), heading + 180.0 + self.u(-20, 20))
        self.settle()

    def pick_up(self) -> None:
        """Picking something up from the floor: a deep forward bend with bent knees (not a slouch)."""
        self.stand_up()
        p, t = self.plan, self.t
        down = self.u(1.2, 1.8)
        p.gesture_flexion_deg.move(t, down, self.u(65, 85))
        p.height_m.move(t + 0.2, down, self.floor_m + STAND_M - self.u(0.2, 0.3))
        hold = self.u(1.0, 2.0)
        p.gesture_flexion_deg.move(t + down + hold, down, 0.0)
        p.height_m.move(t + down + hold, down, self.floor_m + STAND_M)
        self.settle()

    def twist(self, sides: int = 2, angle_deg: tuple[float, float] = (35, 50)) -> None:
        """Twisting the upper back to crack it: turn, a short push at the end of range, back."""
        p = self.plan
        side = 1.0 if self.rng.random() < 0.5 else -1.0
        for _ in range(sides):
            self.settle()
            t = self.t
            peak = side * self.u(*angle_deg)
            t1 = p.rotation_deg.move(t, self.u(0.8, 1.2), peak)
            t2 = p.rotation_deg.move(t1 + self.u(0.5, 1.0), 0.25, peak + side * self.u(4, 8))
            t3 = p.rotation_deg.move(t2 + 0.2, self.u(1.0, 1.4), 0.0)
            p.twists.append((t, t3, peak + side * 6.0))
            self.t = t3 + self.u(0.8, 2.0)
            side = -side
        self.settle()

    def fidget(self, moves: int = 5) -> None:
        """Shifting in the chair: small quick turns and leans (a trap for the twist detector)."""
        p = self.plan
        for _ in range(moves):
            self.settle()
            t = self.t
            d = self.u(0.4, 1.0)
            sgn = lambda: 1.0 if self.rng.random() < 0.5 else -1.0  # noqa: E731
            p.rotation_deg.move(t, d, sgn() * self.u(3, 12))
            p.lateral_deg.move(t, d, sgn() * self.u(2, 7))
            p.gesture_flexion_deg.move(t, d, sgn() * self.u(2, 6))
            back = t + d + self.u(0.2, 1.0)
            p.rotation_deg.move(back, d, 0.0)
            p.lateral_deg.move(back, d, 0.0)
            p.gesture_flexion_deg.move(back, d, 0.0)
            self.t = back + d + self.u(0.2, 2.0)
        self.settle()

    def reach(self) -> None:
        """Reaching for something on the desk: lean forward and turn, then back."""
        p, t = self.plan, self.t
        d = self.u(0.9, 1.4)
        side = 1.0 if self.rng.random() < 0.5 else -1.0
        p.gesture_flexion_deg.move(t, d, self.u(20, 40))
        p.rotation_deg.move(t, d, side * self.u(5, 20))
        p.lateral_deg.move(t, d, side * self.u(2, 8))
        back = t + d + self.u(0.8, 2.5)
        p.gesture_flexion_deg.move(back, d, 0.0)
        p.rotation_deg.move(back, d, 0.0)
        p.lateral_deg.move(back, d, 0.0)
        self.settle()

    def chair_lean_back(self, hold_s: tuple[float, float] = (10, 60)) -> None:
        """Leaning back in a reclining office chair: the whole trunk tilts back, the spine does not extend."""
        p, t = self.plan, self.t
        d = self.u(1.5, 2.5)
        p.base_pitch_deg.move(t, d, -self.u(12, 22))
        p.base_pitch_deg.move(t + d + self.u(*hold_s), d, 0.0)
        self.settle()

    def sit(self, duration_s: float, slouch_deg: tuple[float, float] = (14, 24),
            upright_deg: tuple[float, float] = (2, 6), drift_s: tuple[float, float] = (120, 600),
            hold_s: tuple[float, float] = (60, 480), fidget_per_h: float = 6, reach_per_h: float = 20,
            lean_back_per_h: float = 2, twist_per_h: float = 0.0, seat_m: float = CHAIR_M) -> None:
        """A sitting bout: slow slouch drift and corrections, with reaches, fidgets, lean-backs."""
        self.sit_down(seat_m)
        p = self.plan
        start, end = self.t, self.t + duration_s
        # slow posture: drift into a slouch, stay a while, sit up again
        ts = start
        while ts < end - 10:
            # the slouch creeps in at its own pace: a short bout ends partway there
            planned = self.u(*drift_s)
            drift = min(planned, end - ts - 5)
            here = p.flexion_deg.value
            level = here + (self.u(*slouch_deg) - here) * drift / planned
            ts = p.flexion_deg.move(ts, drift, level, ramp_frac=0.15)
            ts += min(self.u(*hold_s), max(0.0, end - ts - 5))
            if ts >= end - 5:
                break
            ts = p.flexion_deg.move(ts, self.u(1.0, 2.0), self.u(*upright_deg))
            ts += self.u(20, 240)
        # gestures as a Poisson process
        rates = {"fidget": fidget_per_h, "reach": reach_per_h, "lean": lean_back_per_h, "twist": twist_per_h}
        total = sum(rates.values())
        self.t = start
        self._in_bout = True
        if total > 0:
            names = list(rates)
            probs = np.array([rates[n] for n in names]) / total
            while True:
                self.t += float(self.rng.exponential(3600.0 / total))
                if self.t > end - 90:
                    break
                kind = names[int(self.rng.choice(len(names), p=probs))]
                if kind == "fidget":
                    self.fidget(int(self.rng.integers(3, 8)))
                elif kind == "reach":
                    self.reach()
                elif kind == "lean":
                    self.chair_lean_back()
                else:
                    self.twist()
                self.t = max(self.t, p.gesture_flexion_deg.busy_until_s, p.base_pitch_deg.busy_until_s,
                             p.rotation_deg.busy_until_s)
        self._in_bout = False
        self.t = max(self.t, end)
        self.settle()

    def lie(self, duration_s: float, how: str = "supine", surface_m: float = BED_M) -> None:
        self.lie_down(how, surface_m)
        self.hold(duration_s)
        self.sit_up()

    # ------------------------------------------------------------ stretches
    def stretch(self, stretch_id: str, **params: Any) -> None:
        """One stretch from SEED_NOTES.md (its id); ``params`` tune depth and repetitions."""
        routine = getattr(self, "_" + stretch_id.replace("-", "_"))
        start = self.t
        routine(**params)
        self.settle()
        self.plan.stretches.append((start, self.t, stretch_id))

    def _rep(self, track_name: str, target: float, out_s: float, hold_s: float, back_s: float, rest_s: float) -> None:
        track = getattr(self.plan, track_name)
        self.settle()
        t1 = track.move(self.t, out_s, target)
        t2 = track.move(t1 + hold_s, back_s, 0.0)
        self.t = t2 + rest_s

    def _standing_back_lean(self, extension_deg: tuple[float, float] = (10, 18), reps: tuple[float, float] = (3, 5)) -> None:
        self.stand_up()
        self.hold(self.u(2, 4))  # hands to the spine
        for _ in range(int(draw(self.rng, reps))):
            self._rep("gesture_flexion_deg", -self.u(*extension_deg), self.u(2.5, 3.5), self.u(1.5, 3.0),
                      self.u(2.0, 3.0), self.u(2, 4))

    def _chair_back_extension(self, extension_deg: tuple[float, float] = (10, 18), reps: tuple[float, float] = (3, 5)) -> None:
        self.sit_down(LOW_CHAIR_M)
        self.plan.flexion_deg.move(self.t, 1.5, self.u(0, 3))  # upright at the front edge of the seat
        self.hold(self.u(2, 4))
        for _ in range(int(draw(self.rng, reps))):
            # leaning back over the chair back while breathing out slowly
            self._rep("gesture_flexion_deg", -self.u(*extension_deg), self.u(4.0, 6.0), self.u(2, 4),
                      self.u(2.5, 3.5), self.u(3, 5))

    def _side_lying_knees_to_chest(self, hold_s: tuple[float, float] = (15, 30), legs_extension_deg: tuple[float, float] = (6, 12)) -> None:
        for side in ("right", "left"):
            self.lie_down(side, FLOOR_M)
            self._rep("gesture_flexion_deg", self.u(25, 40), self.u(2.5, 3.5), self.u(*hold_s), self.u(2, 3), 2)
            self._rep("gesture_flexion_deg", -self.u(*legs_extension_deg), self.u(2.5, 3.5), self.u(*hold_s),
                      self.u(2, 3), 2)
            self.sit_up()

    def _assisted_prone_press(self, reps: tuple[float, float] = (5, 8), press_m: tuple[float, float] = (0.008, 0.02)) -> None:
        self.lie_down("prone", FLOOR_M)
        self.hold(self.u(5, 10))
        n = int(draw(self.rng, reps))
        breath_hz = self.u(0.12, 0.18)  # slow breaths; the helper presses on each breath out
        t = self.t
        self.plan.pressing.add(t, t + n / breath_hz, breath_hz, 0.5 * n / breath_hz,
                               press_m=self.u(*press_m), ext_deg=self.u(2, 4))
        self.t = t + n / breath_hz + self.u(3, 6)
        self.sit_up()

    def _ball_rollout(self, minutes: tuple[float, float] = (1.5, 3.0), extension_deg: tuple[float, float] = (8, 13)) -> None:
        self.sit_down(BALL_M)
        p, t = self.plan, self.t
        d = self.u(3, 4)
        p.base_pitch_deg.move(t, d, -self.u(55, 70))
        ext = self.u(*extension_deg)
        p.gesture_flexion_deg.move(t, d, -ext)
        p.flexion_deg.move(t, d, 0.0)
        self.activity("lying", t + 0.5 * d)
        self.posture = "lying"
        self.hold(self.u(15, 30))  # relax over the ball
        roll_s = 60 * self.u(*minutes)
        p.rolling.add(self.t, self.t + roll_s, self.u(0.1, 0.18), 3.0, pitch_deg=self.u(8, 14),
                      travel_m=self.u(0.10, 0.18), flex_deg=0.25 * ext)
        self.t += roll_s
        p.gesture_flexion_deg.move(self.t, 2.0, 0.0)
        self.sit_up()

    def _seated_twist(self, angle_deg: tuple[float, float] = (45, 60), hold_s: tuple[float, float] = (10, 20)) -> None:
        self.sit_down(FLOOR_M)
        p = self.plan
        p.flexion_deg.move(self.t, 1.5, self.u(3, 8))  # legs straight: trunk a little forward
        for side in (1.0, -1.0):
            self.settle()
            t = self.t
            peak = side * self.u(*angle_deg)
            t1 = p.rotation_deg.move(t, self.u(1.5, 2.5), peak)
            t2 = p.rotation_deg.move(t1 + self.u(*hold_s), 0.3, peak + side * self.u(3, 6))
            t3 = p.rotation_deg.move(t2 + 0.3, self.u(1.5, 2.5), 0.0)
            p.twists.append((t, t3, peak + side * 4.5))
            self.t = t3 + self.u(2, 4)

    def _bed_edge_extension(self, extension_deg: tuple[float, float] = (12, 18), reps: tuple[float, float] = (3, 4)) -> None:
        self.lie_down("supine", BED_M)
        self.hold(self.u(3, 6))
        n = int(draw(self.rng, reps))
        base = self.u(*extension_deg)
        for k in range(n):
            # further from the edge each time: the back sinks a little deeper
            self._rep("gesture_flexion_deg", -base * (0.75 + 0.25 * k / max(1, n - 1)), self.u(3, 5),
                      self.u(8, 15), self.u(2.5, 3.5), self.u(4, 8))
        self.sit_up()

    def _rocking(self, duration_s: tuple[float, float] = (30, 60), hug_deg: tuple[float, float] = (20, 30)) -> None:
        self.lie_down("supine", FLOOR_M)
        p = self.plan
        p.gesture_flexion_deg.move(self.t, 2.0, self.u(*hug_deg))
        self.settle()
        d = self.u(*duration_s)
        p.rolling.add(self.t, self.t + d, self.u(0.4, 0.6), 2.0, pitch_deg=self.u(20, 30), travel_m=self.u(0.08, 0.14))
        self.t += d
        p.gesture_flexion_deg.move(self.t, 2.0, 0.0)
        self.settle()
        self.sit_up()

    def _supine_chin_tuck(self, reps: tuple[float, float] = (5, 8), flexion_deg: tuple[float, float] = (5, 12)) -> None:
        self.lie_down("supine", FLOOR_M)
        self.hold(self.u(3, 5))
        for _ in range(int(draw(self.rng, reps))):
            self._rep("gesture_flexion_deg", self.u(*flexion_deg), self.u(1.5, 2.5), self.u(3, 5), self.u(1.5, 2.5),
                      self.u(2, 3))
        self.sit_up()

    def _standing_bends(self, forward_deg: tuple[float, float] = (40, 60), back_deg: tuple[float, float] = (8, 14),
                        side_deg: tuple[float, float] = (15, 25), reps: tuple[float, float] = (2, 3)) -> None:
        self.stand_up()
        for _ in range(int(draw(self.rng, reps))):
            self._rep("gesture_flexion_deg", self.u(*forward_deg), self.u(2.5, 3.5), self.u(2, 4), self.u(2.5, 3.5), 1.5)
            self._rep("gesture_flexion_deg", -self.u(*back_deg), self.u(2.0, 3.0), self.u(2, 3), self.u(2.0, 3.0), 1.5)
            self._rep("lateral_deg", self.u(*side_deg), self.u(2.0, 3.0), self.u(2, 3), self.u(2.0, 3.0), 1.0)
            self._rep("lateral_deg", -self.u(*side_deg), self.u(2.0, 3.0), self.u(2, 3), self.u(2.0, 3.0), 1.0)


STRETCH_IDS = ("standing-back-lean", "chair-back-extension", "side-lying-knees-to-chest", "assisted-prone-press",
               "ball-rollout", "seated-twist", "bed-edge-extension", "rocking", "supine-chin-tuck", "standing-bends")
