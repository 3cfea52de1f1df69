"""The demo's scripted wearable: a desk day as data, turned into real wire frames.

Each scenario is a list of segments (how long, what the trunk does). Samples
are synthesised at the device rate, encoded with the wire protocol and
decoded by the real decoder, so the dashboard sees exactly what a device
would send. ``dorsal.sim`` (the full body and IMU model) replaces this when
it is installed; this script keeps `dorsal demo` self-contained.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np

from dorsal.dashboard.feed import FeedBatch, LinkStats, PacedSource, decode_frames, encode_frames
from dorsal.dashboard.posture import DEFAULT_NEUTRAL, body_matrices, quaternions_from_matrices, rotation_matrices
from dorsal.decode import SAMPLE_DTYPE

G_MPS2 = 9.80665


@dataclass(frozen=True)
class Segment:
    """The trunk moves linearly from the previous segment's pose to this one's within ``ramp_s``."""

    duration_s: float
    activity: str  # sitting | walking | standing | lying
    flexion_deg: float = 0.0
    lateral_deg: float = 0.0
    rotation_deg: float = 0.0
    ramp_s: float = 2.0
    stretch_id: str | None = None
    #: a stretch is played no faster than this, so the visitor can follow the coach
    max_speed: float | None = None


def _twists(at_s: float, n: int) -> list[Segment]:
    out: list[Segment] = []
    for _ in range(n):
        out += [Segment(3, "sitting", 2, 0, 40, ramp_s=1), Segment(97, "sitting", 2, 0, 0, ramp_s=1)]
    return out


def _back_lean() -> list[Segment]:
    sid, slow = "standing-back-lean", 2.0
    return [
        Segment(6, "standing", 0, stretch_id=sid, max_speed=slow),
        Segment(4, "standing", -12, ramp_s=3, stretch_id=sid, max_speed=slow),  # amber
        Segment(5, "standing", -19, ramp_s=2, stretch_id=sid, max_speed=slow),  # red: the hold timer pauses
        Segment(9, "standing", -10, ramp_s=2, stretch_id=sid, max_speed=slow),
        Segment(7, "standing", 0, ramp_s=2, stretch_id=sid, max_speed=slow),
    ]


SCENARIOS: dict[str, list[Segment]] = {
    # every kind of alert and the coach's limits in the first few minutes at the default speed
    "tour": [
        Segment(40, "sitting", 2),
        Segment(200, "sitting", 20, ramp_s=5),  # slouch: notice, then bell, then buzz
        Segment(60, "sitting", 2, ramp_s=5),
        *_twists(0, 5),  # the fifth twist passes the daily heuristic of 4
        Segment(1100, "sitting", 4),  # the bout passes 30 min: prolonged sitting
        Segment(90, "walking", 3),  # a real break
        *_back_lean(),
        Segment(20, "standing", 0),
        Segment(600, "sitting", 3),
    ],
    "desk": [Segment(1500, "sitting", 3), Segment(400, "sitting", 16, ramp_s=20), Segment(120, "walking", 2),
             Segment(1800, "sitting", 5)],
    "stretch": [Segment(10, "standing", 0), *_back_lean(), Segment(20, "standing", 0)],
    "calm": [Segment(3600, "sitting", 1)],
}


class ScriptLink(PacedSource):
    """A scripted wearable behind the link interface (loops its scenario)."""

    def __init__(self, scenario: str = "tour", speed: float = 1.0, rate_hz: float = 100.0, batch_s: float = 0.1,
                 seed: int = 7, loop: bool = True) -> None:
        super().__init__(speed)
        if scenario not in SCENARIOS:
            from dorsal.errors import DorsalError

            raise DorsalError(f"no demo scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
        self.scenario = scenario
        self.segments = SCENARIOS[scenario]
        self.rate_hz = rate_hz
        self.batch_s = batch_s
        self.loop = loop
        self._rng = np.random.default_rng(seed)
        self.device = "dorsal-demo (simulated)"
        self._r0 = rotation_matrices(DEFAULT_NEUTRAL[None])[0]
        self._last_wall_dev: float | None = None

    def _pose_track(self) -> tuple[np.ndarray, list[tuple[float, float, Segment, np.ndarray, np.ndarray]]]:
        spans = []
        t = 0.0
        prev = np.zeros(3)
        for seg in self.segments:
            pose = np.array([seg.flexion_deg, seg.lateral_deg, seg.rotation_deg])
            spans.append((t, t + seg.duration_s, seg, prev, pose))
            prev = pose
            t += seg.duration_s
        return np.array([t]), spans

    def synthesize(self, t_s: np.ndarray, seg: Segment, start_s: float, prev: np.ndarray,
                   pose: np.ndarray) -> np.ndarray:
        """Samples (SAMPLE_DTYPE) for device times t_s inside one segment."""
        n = len(t_s)
        frac = np.clip((t_s - start_s) / max(seg.ramp_s, 1e-6), 0, 1)[:, None]
        angles = prev + (pose - prev) * frac
        # breathing sway (~0.25 Hz) and a little sensor noise on top of the scripted pose
        angles = angles + 0.3 * np.sin(2 * np.pi * 0.25 * t_s)[:, None] + self._rng.normal(0, 0.02, size=(n, 3))
        rates_dps = np.full((n, 3), 0.0)
        rates_dps += (pose - prev) / max(seg.ramp_s, 1e-6) * ((t_s - start_s) < seg.ramp_s)[:, None]
        rates_dps += 0.3 * 2 * np.pi * 0.25 * np.cos(2 * np.pi * 0.25 * t_s)[:, None]
        if seg.activity == "walking":
            angles[:, 2] += 4 * np.sin(2 * np.pi * 0.9 * t_s)
            rates_dps[:, 2] += 4 * 2 * np.pi * 0.9 * np.cos(2 * np.pi * 0.9 * t_s)
        out = np.zeros(n, dtype=SAMPLE_DTYPE)
        r = self._r0[None] @ body_matrices(angles)
        quats = quaternions_from_matrices(r)
        # the accelerometer feels gravity's reaction (specific force, up) in the sensor frame
        grav_body = r[:, 2, :] * G_MPS2
        for k, name in enumerate(("qw", "qx", "qy", "qz")):
            out[name] = quats[:, k]
        acc = grav_body + self._rng.normal(0, 0.05, size=(n, 3))
        if seg.activity == "walking":
            acc[:, 1] += 2.5 * np.sin(2 * np.pi * 1.8 * t_s)
        for k, name in enumerate(("ax_mps2", "ay_mps2", "az_mps2")):
            out[name] = acc[:, k]
        # body angle rates to sensor axes: flexion is about -Z, lateral bend about +X, axial rotation about -Y
        gyro_rps = np.radians(np.stack([rates_dps[:, 1], -rates_dps[:, 2], -rates_dps[:, 0]], axis=1))
        gyro_rps += self._rng.normal(0, 0.003, size=(n, 3))
        for k, name in enumerate(("gx_rps", "gy_rps", "gz_rps")):
            out[name] = gyro_rps[:, k]
        out["t_s"] = t_s
        return out

    async def batches(self) -> AsyncIterator[FeedBatch]:
        _, spans = self._pose_track()
        per_batch = max(1, int(round(self.batch_s * self.rate_hz)))
        seq = 0
        offset_s = 0.0
        yield FeedBatch(np.zeros(0, dtype=SAMPLE_DTYPE), "connecting", LinkStats(), self.device)
        while not self.closed:
            for start, end, seg, prev, pose in spans:
                n_seg = int(round((end - start) * self.rate_hz))
                for i0 in range(0, n_seg, per_batch):
                    if self.closed:
                        return
                    i = np.arange(i0, min(n_seg, i0 + per_batch))
                    t_local = start + i / self.rate_hz
                    samples = self.synthesize(t_local, seg, start, prev, pose)
                    samples["t_s"] += offset_s
                    samples["seq"] = seq + np.arange(len(i))
                    frames = encode_frames(samples)
                    decoded = decode_frames(frames)
                    seq += len(i)
                    speed = self.speed if seg.max_speed is None or self.speed <= 0 else min(self.speed, seg.max_speed)
                    await self._pace_step(float(decoded["t_s"][-1]), speed)
                    yield FeedBatch(decoded, "streaming",
                                    LinkStats(samples=seq, rate_hz=self.rate_hz, battery_percent=92, rssi_dbm=-55),
                                    self.device, seg.stretch_id)
            offset_s += spans[-1][1]
            if not self.loop:
                yield FeedBatch(np.zeros(0, dtype=SAMPLE_DTYPE), "ended", LinkStats(samples=seq), self.device)
                return

    async def _pace_step(self, device_t_s: float, speed: float) -> None:
        import asyncio
        import time

        if speed <= 0:
            await asyncio.sleep(0)
            return
        now = time.monotonic()
        if self._last_wall_dev is None or self._start_wall is None:
            self._start_wall, self._last_wall_dev = now, device_t_s
            return
        self._start_wall += (device_t_s - self._last_wall_dev) / speed
        self._last_wall_dev = device_t_s
        await asyncio.sleep(max(0.0, self._start_wall - now))
