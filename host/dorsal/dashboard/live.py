"""The live picture of the wearer, fed batch by batch: angles, activity, sitting bout, today's figures.

The dashboard's own light-weight view for display; the store's day figures
come from the core. Every buffer is bounded (history keeps the last
HISTORY_S seconds at one point per second), so memory stays flat all day.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from dorsal.dashboard.alerts import Alert, AlertBook, Escalation
from dorsal.dashboard.posture import DEFAULT_NEUTRAL, Angles, angles_of, heading_rad


@dataclass(frozen=True)
class Thresholds:
    """Display thresholds (engineering defaults from SEED_NOTES.md, all user-tunable)."""

    #: ~10 deg separated upright from slouched with one back sensor
    slouch_flexion_deg: float = 10.0
    slouch_delay_s: float = 60.0
    #: break sitting at least every 30 min (common advice; no evidence-based threshold exists)
    sitting_limit_s: float = 30 * 60.0
    #: a real break: about a minute of standing or walking
    break_min_s: float = 60.0
    #: heuristic, not a study figure: practitioners advise twisting at most ~4 times a day
    twist_limit_per_day: int = 4
    twist_min_deg: float = 30.0
    twist_rearm_deg: float = 10.0
    extension_limit_deg: float = 15.0
    extension_delay_s: float = 2.0
    #: spread of the acceleration magnitude (m/s^2) above which the wearer is moving (walking)
    moving_acc_std_mps2: float = 1.0
    lying_min_inclination_deg: float = 55.0


HISTORY_S = 300
#: time constant of the twist reference heading (s): a twist lasts seconds, a chair turn stays
HEADING_FOLLOW_S = 60.0
TWIST_ALERT_S = 300.0


@dataclass(frozen=True)
class TodayFigures:
    sitting_s: float
    longest_bout_s: float
    slouched_share: float
    stretches_done: int
    twists: int
    twist_limit: int
    breaks: int


@dataclass(frozen=True)
class LiveView:
    """One snapshot of everything the main screen shows."""

    t_s: float
    samples: int
    flexion_deg: float
    lateral_deg: float
    rotation_deg: float
    inclination_deg: float
    activity: str
    sitting_bout_s: float
    sitting_limit_s: float
    since_break_s: float
    slouching: bool
    extension_limit_deg: float
    history_flexion_deg: tuple[float, ...]
    history_rotation_deg: tuple[float, ...]
    today: TodayFigures
    alerts: tuple[Alert, ...]
    snoozed: bool
    calibrated: bool


@dataclass
class LiveTracker:
    thresholds: Thresholds = field(default_factory=Thresholds)
    neutral: np.ndarray = field(default_factory=lambda: DEFAULT_NEUTRAL.copy())
    calibrated: bool = False
    #: without a calibration, take the neutral from the first still, upright seconds (0 disables)
    estimate_neutral_s: float = 0.0

    def __post_init__(self) -> None:
        self.alerts = AlertBook()
        self.samples = 0
        self.t_s = 0.0
        self.flexion_deg = self.lateral_deg = self.rotation_deg = self.inclination_deg = 0.0
        self.activity = "unknown"
        self._last_t_s: float | None = None
        self._bout_s = 0.0
        self._moving_s = 0.0
        self._since_break_s = 0.0
        self._slouch_s = 0.0
        self._extension_s = 0.0
        self._twist_armed = True
        self.sitting_s = 0.0
        self.longest_bout_s = 0.0
        self.slouched_s = 0.0
        self.upright_s = 0.0
        self.breaks = 0
        self.twists = 0
        self.stretches_done = 0
        self._hist_flex: deque[float] = deque(maxlen=HISTORY_S)
        self._hist_rot: deque[float] = deque(maxlen=HISTORY_S)
        self._next_hist_s: float | None = None
        self.in_stretch = False
        self._last_q = DEFAULT_NEUTRAL.copy()
        #: |acceleration| over the last ~2 s at 100 Hz: enough for one or two steps
        self._acc_window: deque[float] = deque(maxlen=200)
        self._last_twist_s = float("-inf")
        self._ref_heading_rad: float | None = None
        self._estimate_quats: list[np.ndarray] = []
        self._estimate_held_s = 0.0
        self.neutral_estimated = False

    def set_neutral(self, neutral: np.ndarray, calibrated: bool = True) -> None:
        """Use a new neutral; the current angles are re-measured against it at once."""
        self.neutral = np.asarray(neutral, dtype=np.float64)
        self.calibrated = calibrated
        self._ref_heading_rad = float(heading_rad(self.neutral[None, :])[0])
        if self.samples:
            ang = angles_of(self._last_q[None, :], self.neutral, self._ref_heading_rad)
            self.flexion_deg = float(ang.flexion_deg[0])
            self.lateral_deg = float(ang.lateral_deg[0])
            self.rotation_deg = float(ang.rotation_deg[0])

    @property
    def last_quaternion(self) -> np.ndarray:
        return self._last_q

    def feed(self, samples: np.ndarray) -> list[Escalation]:
        """Take one batch (SAMPLE_DTYPE array); returns the alert escalations it caused."""
        n = len(samples)
        if n == 0:
            return []
        q = np.stack([samples["qw"], samples["qx"], samples["qy"], samples["qz"]], axis=1)
        psi = heading_rad(q)
        if self._ref_heading_rad is None:
            self._ref_heading_rad = float(psi[0])
        ang = angles_of(q, self.neutral, self._ref_heading_rad)
        acc = np.sqrt(samples["ax_mps2"].astype(np.float64) ** 2 + samples["ay_mps2"] ** 2 + samples["az_mps2"] ** 2)
        t = samples["t_s"]
        self.samples += n
        self._last_q = q[-1].astype(np.float64)
        self.t_s = float(t[-1])
        dt_s = 0.0 if self._last_t_s is None else max(0.0, self.t_s - self._last_t_s)
        if self._last_t_s is None and n > 1:
            dt_s = float(t[-1] - t[0])
        self._last_t_s = self.t_s
        if self.estimate_neutral_s > 0 and not (self.calibrated or self.neutral_estimated):
            ang = self._estimate_neutral(samples, q, ang, dt_s)
        self.flexion_deg = float(ang.flexion_deg[-1])
        self.lateral_deg = float(ang.lateral_deg[-1])
        self.rotation_deg = float(ang.rotation_deg[-1])
        self.inclination_deg = float(np.mean(ang.inclination_deg))
        th = self.thresholds
        self._acc_window.extend(acc.tolist())
        moving = len(self._acc_window) > 10 and float(np.std(self._acc_window)) > th.moving_acc_std_mps2
        self._count_twists(ang.rotation_deg)
        if self.inclination_deg >= th.lying_min_inclination_deg:
            self.activity = "lying"
        elif moving:
            self.activity = "walking"
        else:
            self.activity = "sitting"
        self._activity_time(dt_s)
        flex_mean = float(np.mean(ang.flexion_deg))
        slouched_now = self.activity == "sitting" and flex_mean > th.slouch_flexion_deg
        self._slouch_s = self._slouch_s + dt_s if slouched_now else 0.0
        if self.activity in ("sitting",):
            self.upright_s += dt_s
            if slouched_now:
                self.slouched_s += dt_s
        extension = -float(np.min(ang.flexion_deg))
        self._extension_s = self._extension_s + dt_s if extension > th.extension_limit_deg else 0.0
        self._history(t, ang)
        # the twist reference follows the heading slowly: turning the chair fades out, a twist does not
        turn = float(np.angle(np.exp(1j * (psi[-1] - self._ref_heading_rad))))
        self._ref_heading_rad += turn * min(1.0, dt_s / HEADING_FOLLOW_S)
        return self.alerts.update(self.t_s, self.conditions())

    def _estimate_neutral(self, samples: np.ndarray, q: np.ndarray, ang: Angles, dt_s: float) -> Angles:
        from dorsal.dashboard.calibration import STILL_RPS, mean_quaternion, motion_rps

        if motion_rps(samples) < STILL_RPS and float(np.mean(ang.inclination_deg)) < 35.0:
            self._estimate_quats.append(q.astype(np.float64))
            self._estimate_held_s += dt_s
        else:
            self._estimate_quats, self._estimate_held_s = [], 0.0
        if self._estimate_held_s < self.estimate_neutral_s:
            return ang
        self.neutral = mean_quaternion(np.concatenate(self._estimate_quats))
        self.neutral_estimated = True
        self._estimate_quats = []
        self._ref_heading_rad = float(heading_rad(self.neutral[None, :])[0])
        return angles_of(q, self.neutral, self._ref_heading_rad)

    def _count_twists(self, rotation_deg: np.ndarray) -> None:
        th = self.thresholds
        # a twist = leaving a small rotation and passing twist_min_deg; re-armed near neutral
        for value in np.abs(rotation_deg[:: max(1, len(rotation_deg) // 20)]):
            if self._twist_armed and value >= th.twist_min_deg:
                self.twists += 1
                self._last_twist_s = self.t_s
                self._twist_armed = False
            elif not self._twist_armed and value <= th.twist_rearm_deg:
                self._twist_armed = True

    def _activity_time(self, dt_s: float) -> None:
        th = self.thresholds
        if self.activity == "sitting":
            self._bout_s += dt_s
            self.sitting_s += dt_s
            self._moving_s = 0.0
            self.longest_bout_s = max(self.longest_bout_s, self._bout_s)
        else:
            self._moving_s += dt_s
            if self._moving_s >= th.break_min_s and self._bout_s > 0:
                self.breaks += 1
                self._bout_s = 0.0
                self._since_break_s = 0.0
        self._since_break_s += dt_s

    def _history(self, t: np.ndarray, ang: object) -> None:
        if self._next_hist_s is None:
            self._next_hist_s = float(t[0])
        while self._next_hist_s <= t[-1]:
            i = int(np.searchsorted(t, self._next_hist_s))
            i = min(i, len(t) - 1)
            self._hist_flex.append(float(ang.flexion_deg[i]))  # type: ignore[attr-defined]
            self._hist_rot.append(float(ang.rotation_deg[i]))  # type: ignore[attr-defined]
            self._next_hist_s += 1.0

    def conditions(self) -> dict[str, bool]:
        th = self.thresholds
        return {
            "slouch": self._slouch_s >= th.slouch_delay_s,
            "prolonged_sitting": self._bout_s >= th.sitting_limit_s,
            "excessive_extension": self._extension_s >= th.extension_delay_s and not self.in_stretch,
            # shown for a while after each twist past the daily limit, then it rests
            "twist": self.twists > th.twist_limit_per_day and self.t_s - self._last_twist_s < TWIST_ALERT_S,
        }

    def set_extension_limit(self, limit_deg: float) -> None:
        self.thresholds = Thresholds(**{**self.thresholds.__dict__, "extension_limit_deg": limit_deg})

    def view(self) -> LiveView:
        th = self.thresholds
        return LiveView(
            t_s=self.t_s,
            samples=self.samples,
            flexion_deg=self.flexion_deg,
            lateral_deg=self.lateral_deg,
            rotation_deg=self.rotation_deg,
            inclination_deg=self.inclination_deg,
            activity=self.activity,
            sitting_bout_s=self._bout_s,
            sitting_limit_s=th.sitting_limit_s,
            since_break_s=self._since_break_s,
            slouching=self._slouch_s >= th.slouch_delay_s,
            extension_limit_deg=th.extension_limit_deg,
            history_flexion_deg=tuple(self._hist_flex),
            history_rotation_deg=tuple(self._hist_rot),
            today=TodayFigures(
                sitting_s=self.sitting_s,
                longest_bout_s=self.longest_bout_s,
                slouched_share=self.slouched_s / self.upright_s if self.upright_s > 0 else 0.0,
                stretches_done=self.stretches_done,
                twists=self.twists,
                twist_limit=th.twist_limit_per_day,
                breaks=self.breaks,
            ),
            alerts=tuple(self.alerts.active(self.t_s)),
            snoozed=self.alerts.snoozed(self.t_s),
            calibrated=self.calibrated,
        )
