"""The kinematic model of the upper trunk: a compiled plan evaluated at any time.

Frames (DESIGN.md): Earth x forward at heading 0, y left, z up. Body (ISB
thorax): X anterior, Y superior, Z right. At the upright neutral with heading
0 the body axes are X -> Earth x, Y -> Earth z, Z -> Earth -y (``NEUTRAL``).

The body's orientation is ``R_EB = Rz(heading) @ NEUTRAL @ R_base @ R_spine``:

* ``R_base = Rz(-base_pitch) @ Rx(base_roll)``: the whole body's posture about
  the hips (0 upright; base_pitch -90 lying on the back, +90 face down,
  base_roll +-90 on the right/left side; a reclined office chair is a small
  negative base_pitch).
* ``R_spine = Rz(-flexion) @ Rx(lateral) @ Ry(-rotation)``: the upper trunk's
  own motion relative to the base (flexion +, extension -, lateral bend right
  +, axial rotation right +), the same composition the dashboard and the
  core decompose.

The sensor point sits on the upper back at ``LEVER_B`` from the hip pivot (in
body axes), so every lean also moves it: ``p = pivot(t) + R_EB @ LEVER_B``.
Its acceleration and the body's angular velocity are central differences
of these closed-form functions (``STEP_S`` apart), never of noisy samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dorsal.sim.rotation import angular_velocity, rot_x, rot_y, rot_z
from dorsal.sim.tracks import Bursts, Track, cruise_fraction

NEUTRAL = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
#: Hip pivot to the sensor between the shoulder blades (about T3): 45 cm up
#: the trunk, 10 cm behind the trunk's axis (adult anthropometry, rounded).
LEVER_B = np.array([-0.10, 0.45, 0.0])
#: Central-difference step: small against every motion's time scale (> 0.1 s),
#: large enough that float64 round-off stays below 1e-6 m/s^2.
STEP_S = 1e-3

ACTIVITIES = ("lying", "sitting", "standing", "walking", "unknown")
ACTIVITY_CODE = {name: i for i, name in enumerate(ACTIVITIES)}


@dataclass
class Path:
    """Horizontal travel of the hip pivot: straight legs at a fixed heading each."""

    t0: list[float] = field(default_factory=list)
    dur: list[float] = field(default_factory=list)
    dist: list[float] = field(default_factory=list)
    heading_rad: list[float] = field(default_factory=list)
    frac: list[float] = field(default_factory=list)
    start_xy: list[tuple[float, float]] = field(default_factory=list)
    _frozen: tuple[np.ndarray, ...] | None = None

    def end_xy(self) -> tuple[float, float]:
        if not self.t0:
            return (0.0, 0.0)
        x, y = self.start_xy[-1]
        return (x + self.dist[-1] * np.cos(self.heading_rad[-1]), y + self.dist[-1] * np.sin(self.heading_rad[-1]))

    def add(self, t_s: float, duration_s: float, dist_m: float, heading_rad: float, ramp_frac: float) -> None:
        if self.t0:
            t_s = max(t_s, self.t0[-1] + self.dur[-1])
        self.start_xy.append(self.end_xy())
        self.t0.append(t_s)
        self.dur.append(duration_s)
        self.dist.append(dist_m)
        self.heading_rad.append(heading_rad)
        self.frac.append(ramp_frac)
        self._frozen = None

    def __call__(self, t: np.ndarray) -> np.ndarray:
        if not self.t0:
            return np.zeros(t.shape + (2,))
        if self._frozen is None:
            self._frozen = tuple(np.asarray(a, dtype=np.float64) for a in
                                 (self.t0, self.dur, self.dist, self.heading_rad, self.frac, self.start_xy))
        t0, dur, dist, hd, frac, sxy = self._frozen
        k = np.searchsorted(t0, t, side="right") - 1
        before = k < 0
        k = np.maximum(k, 0)
        d = dist[k] * cruise_fraction(t - t0[k], dur[k], frac[k])
        out = sxy[k] + d[:, None] * np.stack([np.cos(hd[k]), np.sin(hd[k])], axis=1)
        out[before] = 0.0
        return out


@dataclass
class Oscillation:
    """Amplitudes of one kind of rhythmic motion, one entry per burst."""

    bursts: Bursts = field(default_factory=Bursts)
    params: list[dict[str, float]] = field(default_factory=list)

    def add(self, t0_s: float, t1_s: float, freq_hz: float, ramp_s: float, **amplitudes: float) -> None:
        self.bursts.add(t0_s, t1_s, freq_hz, ramp_s)
        self.params.append(dict(amplitudes))

    def column(self, name: str) -> np.ndarray:
        return np.asarray([p.get(name, 0.0) for p in self.params] or [0.0], dtype=np.float64)


@dataclass
class Plan:
    """Everything the body does during a scenario run, as closed-form channels.

    Built once by the choreographer (seeded); evaluated chunk by chunk. Angles
    in degrees, lengths in metres, time in seconds since the start of the run.
    """

    duration_s: float
    heading_deg: Track = field(default_factory=lambda: Track(0.0))
    base_pitch_deg: Track = field(default_factory=lambda: Track(0.0))
    base_roll_deg: Track = field(default_factory=lambda: Track(0.0))
    flexion_deg: Track = field(default_factory=lambda: Track(0.0))  # slow posture (slouch drift)
    gesture_flexion_deg: Track = field(default_factory=lambda: Track(0.0))  # fast moves (reach, stretch)
    lateral_deg: Track = field(default_factory=lambda: Track(0.0))
    rotation_deg: Track = field(default_factory=lambda: Track(0.0))
    height_m: Track = field(default_factory=lambda: Track(0.95))  # hip pivot height above the floor
    sway_gain: Track = field(default_factory=lambda: Track(1.0))
    path: Path = field(default_factory=Path)
    walking: Oscillation = field(default_factory=Oscillation)
    rolling: Oscillation = field(default_factory=Oscillation)
    pressing: Oscillation = field(default_factory=Oscillation)
    breath_hz: float = 0.25
    breath_deg: float = 0.4
    breath_m: float = 0.002
    sway_freq_hz: np.ndarray = field(default_factory=lambda: np.array([[0.11, 0.23, 0.41]] * 3))
    sway_phase_rad: np.ndarray = field(default_factory=lambda: np.zeros((3, 3)))
    sway_deg: float = 0.35
    #: truth annotations: activity changes (t_s, code), stretches (t0, t1, id), twists (t0, t1, peak_deg)
    activity_changes: list[tuple[float, int]] = field(default_factory=list)
    stretches: list[tuple[float, float, str]] = field(default_factory=list)
    twists: list[tuple[float, float, float]] = field(default_factory=list)


@dataclass
class Pose:
    """The body at given times (N samples)."""

    t_s: np.ndarray  # (N,)
    r_earth_body: np.ndarray  # (N, 3, 3) body -> Earth
    sensor_pos_m: np.ndarray  # (N, 3) Earth frame
    flexion_deg: np.ndarray  # spinal angles relative to the base posture, (N,)
    lateral_deg: np.ndarray
    rotation_deg: np.ndarray
    base_pitch_deg: np.ndarray
    base_roll_deg: np.ndarray
    heading_deg: np.ndarray


def pose(plan: Plan, t: np.ndarray) -> Pose:
    """Evaluate the plan at times t (s, float64 (N,)): orientation and sensor position."""
    t = np.asarray(t, dtype=np.float64)
    w_k, w_phase, w_env = plan.walking.bursts.locate(t)
    r_k, r_phase, r_env = plan.rolling.bursts.locate(t)
    p_k, p_phase, p_env = plan.pressing.bursts.locate(t)
    wk = np.maximum(w_k, 0)
    rk = np.maximum(r_k, 0)
    pk = np.maximum(p_k, 0)
    walk = plan.walking
    roll = plan.rolling
    press = plan.pressing
    stride = 0.5 * w_phase  # sway and rotation follow the stride (two steps)

    breath = np.sin(2 * np.pi * plan.breath_hz * t + 0.3 * np.sin(2 * np.pi * 0.013 * t))
    gain = plan.sway_gain(t)
    sway = [
        gain * plan.sway_deg * np.sum(np.sin(2 * np.pi * plan.sway_freq_hz[i][None, :] * t[:, None]
                                             + plan.sway_phase_rad[i][None, :]), axis=1) / np.sqrt(3)
        for i in range(3)
    ]
    # the press only pushes (cube of the positive half-wave: smooth to the 2nd derivative)
    push = np.maximum(np.sin(p_phase), 0.0) ** 3 * p_env

    flexion = (plan.flexion_deg(t) + plan.gesture_flexion_deg(t) + plan.breath_deg * breath + sway[0]
               + w_env * walk.column("flex_deg")[wk] * np.cos(w_phase)
               # heel strike jolts the upper trunk forward briefly at every step
               + w_env * walk.column("jolt_deg")[wk] * (0.5 + 0.5 * np.cos(w_phase)) ** 4
               + r_env * roll.column("flex_deg")[rk] * np.sin(r_phase)
               - push * press.column("ext_deg")[pk])
    lateral = (plan.lateral_deg(t) + sway[1] + w_env * walk.column("lat_deg")[wk] * np.cos(stride))
    rotation = (plan.rotation_deg(t) + sway[2] + w_env * walk.column("rot_deg")[wk] * np.sin(stride))
    base_pitch = plan.base_pitch_deg(t) + r_env * roll.column("pitch_deg")[rk] * np.sin(r_phase)
    base_roll = plan.base_roll_deg(t)
    heading = plan.heading_deg(t)

    r_base = rot_z(np.radians(-base_pitch)) @ rot_x(np.radians(base_roll))
    r_spine = rot_z(np.radians(-flexion)) @ rot_x(np.radians(lateral)) @ rot_y(np.radians(-rotation))
    r_eb = rot_z(np.radians(heading)) @ NEUTRAL @ r_base @ r_spine

    xy = plan.path(t)
    hd = np.radians(heading)
    fwd = np.stack([np.cos(hd), np.sin(hd)], axis=1)
    left = np.stack([-np.sin(hd), np.cos(hd)], axis=1)
    xy = xy + (w_env * walk.column("ap_m")[wk] * np.sin(w_phase))[:, None] * fwd
    xy = xy + (w_env * walk.column("ml_m")[wk] * np.sin(stride))[:, None] * left
    xy = xy + (r_env * roll.column("travel_m")[rk] * np.sin(r_phase))[:, None] * fwd
    # postural sway of the whole body (a few mm at the hips)
    xy = xy + (0.003 * gain)[:, None] * np.sin(2 * np.pi * plan.sway_freq_hz[0][None, :2] * t[:, None]
                                                 + plan.sway_phase_rad[1][None, :2])
    # vertical bounce: lowest at heel strike, with a second harmonic that makes the upward
    # (impact) peak of acceleration sharper than the downward one, as in real gait
    bounce = -(np.cos(w_phase) + walk.column("bounce_h2")[wk] * np.cos(2 * w_phase))
    z = (plan.height_m(t) + w_env * walk.column("bounce_m")[wk] * bounce
         - push * press.column("press_m")[pk])
    pivot = np.column_stack([xy, z])
    lever = LEVER_B + np.outer(breath, [plan.breath_m, 0.0, 0.0])
    pos = pivot + np.einsum("nij,nj->ni", r_eb, lever)
    return Pose(t, r_eb, pos, flexion, lateral, rotation, base_pitch, base_roll, heading)


@dataclass
class Motion:
    """Noise-free physical quantities at the sample times."""

    pose: Pose
    acc_earth_mps2: np.ndarray  # (N, 3) linear acceleration of the sensor point, Earth frame
    omega_body_rps: np.ndarray  # (N, 3) angular velocity, body frame


def motion(plan: Plan, t: np.ndarray) -> Motion:
    """Pose plus its derivatives: one evaluation at t - STEP_S, t, t + STEP_S (vectorized)."""
    t = np.asarray(t, dtype=np.float64)
    n = t.size
    both = pose(plan, np.concatenate([t - STEP_S, t, t + STEP_S]))
    p = both.sensor_pos_m
    acc = (p[:n] - 2 * p[n : 2 * n] + p[2 * n :]) / (STEP_S * STEP_S)
    omega = angular_velocity(both.r_earth_body[:n], both.r_earth_body[2 * n :], 2 * STEP_S)
    mid = slice(n, 2 * n)
    here = Pose(t, both.r_earth_body[mid], p[mid], both.flexion_deg[mid], both.lateral_deg[mid],
                both.rotation_deg[mid], both.base_pitch_deg[mid], both.base_roll_deg[mid], both.heading_deg[mid])
    return Motion(here, acc, omega)


def activity_at(plan: Plan, t: np.ndarray) -> np.ndarray:
    """Activity code (ACTIVITY_CODE) at times t."""
    if not plan.activity_changes:
        return np.full(np.shape(t), ACTIVITY_CODE["unknown"], dtype=np.int8)
    times = np.asarray([c[0] for c in plan.activity_changes])
    codes = np.asarray([c[1] for c in plan.activity_changes], dtype=np.int8)
    k = np.searchsorted(times, t, side="right") - 1
    return np.where(k >= 0, codes[np.maximum(k, 0)], ACTIVITY_CODE["unknown"]).astype(np.int8)
