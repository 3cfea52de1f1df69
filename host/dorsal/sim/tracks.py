"""Smooth closed-form functions of time: the building blocks of the body model.

Every channel of the body model is a function of time alone (given the plan
compiled from a scenario and a seed), so a chunk of samples can be evaluated
anywhere, in any order, and chunking never changes a value. Derivatives are
taken by central differences of these functions (see body.py), so they are
smooth too: every transition below has continuous velocity and acceleration.

A transition of duration T moves a value by D with a velocity profile that
ramps up over r*T, cruises, and ramps down over r*T; each ramp is the
minimum-jerk polynomial s(u) = 10u^3 - 15u^4 + 6u^5, so the acceleration is
continuous. r = 0.5 gives a bell-shaped S-curve (a reach, a lean), small r a
steady walk or climb.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def ramp(u: np.ndarray) -> np.ndarray:
    """Minimum-jerk ramp 0 -> 1 for u in [0, 1] (clipped outside)."""
    u = np.clip(u, 0.0, 1.0)
    return u * u * u * (10.0 + u * (-15.0 + 6.0 * u))


def _ramp_integral(u: np.ndarray) -> np.ndarray:
    # integral of ramp from 0 to u; equals 0.5 at u = 1
    return u**4 * (2.5 + u * (-3.0 + u))


def cruise_fraction(t: np.ndarray, duration_s: np.ndarray, ramp_frac: np.ndarray) -> np.ndarray:
    """Fraction (0..1) of a transition done after t seconds (vectorized over all arguments)."""
    t = np.clip(t, 0.0, duration_s)
    tau = ramp_frac * duration_s
    cruise = duration_s - tau  # distance = V * (T - tau) with V = 1 / (T - tau)
    u_in = np.where(tau > 0, t / np.where(tau > 0, tau, 1.0), 1.0)
    u_out = np.where(tau > 0, (duration_s - t) / np.where(tau > 0, tau, 1.0), 1.0)
    up = tau * _ramp_integral(np.clip(u_in, 0, 1))
    mid = 0.5 * tau + (t - tau)
    down = cruise - tau * _ramp_integral(np.clip(u_out, 0, 1))
    x = np.where(t < tau, up, np.where(t <= duration_s - tau, mid, down))
    return x / cruise


@dataclass
class Track:
    """A scalar channel that holds its value between non-overlapping transitions."""

    initial: float
    t0: list[float] = field(default_factory=list)
    dur: list[float] = field(default_factory=list)
    v0: list[float] = field(default_factory=list)
    v1: list[float] = field(default_factory=list)
    frac: list[float] = field(default_factory=list)
    _frozen: tuple[np.ndarray, ...] | None = None

    @property
    def value(self) -> float:
        return self.v1[-1] if self.v1 else self.initial

    @property
    def busy_until_s(self) -> float:
        return self.t0[-1] + self.dur[-1] if self.t0 else -np.inf

    def move(self, t_s: float, duration_s: float, target: float, ramp_frac: float = 0.5) -> float:
        """Move to ``target`` starting at t_s (or when the previous move ends); returns the end time."""
        start = max(t_s, self.busy_until_s)
        duration_s = max(duration_s, 1e-3)
        self.t0.append(start)
        self.dur.append(duration_s)
        self.v0.append(self.value)
        self.v1.append(float(target))
        self.frac.append(float(np.clip(ramp_frac, 0.0, 0.5)))
        self._frozen = None
        return start + duration_s

    def freeze(self) -> tuple[np.ndarray, ...]:
        if self._frozen is None:
            self._frozen = tuple(np.asarray(a, dtype=np.float64) for a in (self.t0, self.dur, self.v0, self.v1, self.frac))
        return self._frozen

    def __call__(self, t: np.ndarray) -> np.ndarray:
        t0, dur, v0, v1, frac = self.freeze()
        if t0.size == 0:
            return np.full(t.shape, self.initial)
        k = np.searchsorted(t0, t, side="right") - 1
        before = k < 0
        k = np.maximum(k, 0)
        x = cruise_fraction(t - t0[k], dur[k], frac[k])
        out = v0[k] + (v1[k] - v0[k]) * x
        if before.any():
            out[before] = self.initial
        return out


@dataclass
class Bursts:
    """Non-overlapping oscillation bursts (walking bouts, rolling, rocking) with smooth envelopes.

    Each burst has a start, an end, a frequency and a ramp time; ``phase(t)``
    gives the oscillator phase since the burst's start and ``envelope(t)``
    rises 0 -> 1 over the ramp at each end, so the oscillation starts and
    stops without a jump in position, velocity or acceleration.
    """

    t0: list[float] = field(default_factory=list)
    t1: list[float] = field(default_factory=list)
    freq_hz: list[float] = field(default_factory=list)
    ramp_s: list[float] = field(default_factory=list)
    index: list[int] = field(default_factory=list)  # which parameter set (per burst) the caller uses
    _frozen: tuple[np.ndarray, ...] | None = None

    def add(self, t0_s: float, t1_s: float, freq_hz: float, ramp_s: float = 1.0) -> int:
        if self.t1 and t0_s < self.t1[-1]:
            t0_s = self.t1[-1]
        self.t0.append(t0_s)
        self.t1.append(max(t1_s, t0_s + 2 * ramp_s))
        self.freq_hz.append(freq_hz)
        self.ramp_s.append(ramp_s)
        self.index.append(len(self.index))
        self._frozen = None
        return self.index[-1]

    def freeze(self) -> tuple[np.ndarray, ...]:
        if self._frozen is None:
            self._frozen = tuple(np.asarray(a, dtype=np.float64) for a in (self.t0, self.t1, self.freq_hz, self.ramp_s))
        return self._frozen

    def locate(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(burst index or -1, phase in rad since the burst start, envelope 0..1) per time."""
        t0, t1, f, r = self.freeze()
        if t0.size == 0:
            z = np.zeros(t.shape)
            return np.full(t.shape, -1), z, z
        k = np.searchsorted(t0, t, side="right") - 1
        kk = np.maximum(k, 0)
        inside = (k >= 0) & (t < t1[kk])
        dt = t - t0[kk]
        env = ramp(dt / r[kk]) * ramp((t1[kk] - t) / r[kk])
        env = np.where(inside, env, 0.0)
        phase = 2 * np.pi * f[kk] * dt
        return np.where(inside, kk, -1), phase, env
