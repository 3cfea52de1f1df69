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

from dorsal.core import quaternion as quat
from dorsal.core.calibration import NOMINAL_NEUTRAL
from dorsal.dashboard.feed import FeedBatch, LinkStats, PacedSource, decode_frames, encode_frames
from dorsal.decode import SAMPLE_DTYPE

G_MPS2 = 9.80665
#: A sit-down or stand-up: the chest moves ~0.45 m vertically while the trunk leans forward ~20-40 deg
#: (SEED_NOTES.md); the core recognises sitting by these transitions, so the script plays them.
TRANSITION_S = 2.0
#: the chest rises or sinks in the middle of the lean, within this long
LIFT_S = 1.0
TRANSITION_HEIGHT_M = 0.45
TRANSITION_LEAN_DEG = 30.0
UPRIGHT = ("standing", "walking")


def body_matrices(angles_deg: np.ndarray) -> np.ndarray:
    """The body's rotation since neutral for poses (N, 3) flexion, lateral bend, axial rotation in deg
    -> (N, 3, 3), in the body frame (X anterior, Y superior, Z right)."""
    f, lat, rot = np.radians(np.asarray(angles_deg, dtype=np.float64)).T
    n = len(f)
    # axial rotation right: about Y by -rot; flexion: about Z by -f; lateral bend: about X by +lat
    ry = np.zeros((n, 3, 3))
    ry[:, 0, 0] = ry[:, 2, 2] = np.cos(rot)
    ry[:, 0, 2], ry[:, 2, 0], ry[:, 1, 1] = -np.sin(rot), np.sin(rot), 1
    rz = np.zeros((n, 3, 3))
    rz[:, 0, 0] = rz[:, 1, 1] = np.cos(f)
    rz[:, 0, 1], rz[:, 1, 0], rz[:, 2, 2] = np.sin(f), -np.sin(f), 1
    rx = np.zeros((n, 3, 3))
    rx[:, 1, 1] = rx[:, 2, 2] = np.cos(lat)
    rx[:, 1, 2], rx[:, 2, 1], rx[:, 0, 0] = -np.sin(lat), np.sin(lat), 1
    return rz @ rx @ ry


def quaternions_of(r: np.ndarray) -> np.ndarray:
    """Rotation matrices (N, 3, 3) -> unit quaternions (N, 4), w >= 0 (Shepperd: the largest component
    is taken from the diagonal, the others from off-diagonal sums, so no component's sign is lost)."""
    r = np.asarray(r, dtype=np.float64)
    diag = np.stack([r[:, 0, 0] + r[:, 1, 1] + r[:, 2, 2], r[:, 0, 0], r[:, 1, 1], r[:, 2, 2]], axis=1)
    k = np.argmax(diag, axis=1)
    q = np.empty((len(r), 4))
    for case in range(4):
        m = r[k == case]
        if not len(m):
            continue
        if case == 0:
            t = 1 + m[:, 0, 0] + m[:, 1, 1] + m[:, 2, 2]
            v = [t, m[:, 2, 1] - m[:, 1, 2], m[:, 0, 2] - m[:, 2, 0], m[:, 1, 0] - m[:, 0, 1]]
        elif case == 1:
            t = 1 + m[:, 0, 0] - m[:, 1, 1] - m[:, 2, 2]
            v = [m[:, 2, 1] - m[:, 1, 2], t, m[:, 0, 1] + m[:, 1, 0], m[:, 0, 2] + m[:, 2, 0]]
        elif case == 2:
            t = 1 - m[:, 0, 0] + m[:, 1, 1] - m[:, 2, 2]
            v = [m[:, 0, 2] - m[:, 2, 0], m[:, 0, 1] + m[:, 1, 0], t, m[:, 1, 2] + m[:, 2, 1]]
        else:
            t = 1 - m[:, 0, 0] - m[:, 1, 1] + m[:, 2, 2]
            v = [m[:, 1, 0] - m[:, 0, 1], m[:, 0, 2] + m[:, 2, 0], m[:, 1, 2] + m[:, 2, 1], t]
        q[k == case] = np.stack(v, axis=1) * (0.5 / np.sqrt(t))[:, None]
    q *= np.where(q[:, :1] < 0, -1.0, 1.0)
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def transition_of(before: str | None, after: str) -> float:
    """Height change of the chest at the start of a segment, m: -D sitting down, +D standing up, else 0."""
    if before in UPRIGHT and after == "sitting":
        return -TRANSITION_HEIGHT_M
    if before == "sitting" and after in UPRIGHT:
        return TRANSITION_HEIGHT_M
    return 0.0


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
    # every kind of alert and the coach's limits in the first few minutes at the default speed; the
    # wearer stands still first (the neutral is estimated from quiet upright seconds), then sits down
    "tour": [
        Segment(12, "standing", 0),
        Segment(28, "sitting", 2),
        Segment(200, "sitting", 20, ramp_s=5),  # slouch: notice, then bell, then buzz
        Segment(30, "sitting", 2, ramp_s=5),
        Segment(12, "sitting", -22, ramp_s=2),  # leaning far back in the chair: past the extension limit
        Segment(30, "sitting", 2, ramp_s=2),
        *_twists(0, 5),  # the fifth twist passes the daily heuristic of 4
        Segment(1100, "sitting", 4),  # the bout passes 30 min: prolonged sitting
        Segment(90, "walking", 3),  # a real break
        *_back_lean(),
        Segment(20, "standing", 0),
        Segment(600, "sitting", 3),
    ],
    "desk": [Segment(15, "standing", 0), Segment(1500, "sitting", 3), Segment(400, "sitting", 16, ramp_s=20),
             Segment(120, "walking", 2), Segment(1800, "sitting", 5)],
    "stretch": [Segment(10, "standing", 0), *_back_lean(), Segment(20, "standing", 0)],
    "calm": [Segment(15, "standing", 0), Segment(3600, "sitting", 1)],
}


@dataclass(frozen=True)
class Span:
    """One segment placed on the device clock: [start_s, end_s), from pose ``prev`` to ``pose`` (deg)."""

    start_s: float
    end_s: float
    segment: Segment
    prev: np.ndarray
    pose: np.ndarray
    before: str | None


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
        self._r0 = quat.matrices(np.array([NOMINAL_NEUTRAL]))[0]
        self._last_wall_dev: float | None = None

    def _pose_track(self) -> tuple[np.ndarray, list[Span]]:
        spans = []
        t = 0.0
        prev = np.zeros(3)
        before: str | None = None
        for seg in self.segments:
            pose = np.array([seg.flexion_deg, seg.lateral_deg, seg.rotation_deg])
            spans.append(Span(t, t + seg.duration_s, seg, prev, pose, before))
            prev, before = pose, seg.activity
            t += seg.duration_s
        return np.array([t]), spans

    def synthesize(self, t_s: np.ndarray, seg: Segment, start_s: float, prev: np.ndarray,
                   pose: np.ndarray, before: str | None = None) -> np.ndarray:
        """Samples (SAMPLE_DTYPE) for device times t_s inside one segment; ``before`` is the previous
        segment's activity (a change between sitting and standing or walking starts with a transition)."""
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
        lift_mps2 = np.zeros(n)
        height_m = transition_of(before, seg.activity)
        if height_m:
            # the trunk leans forward (a sin^2 bump) while the chest moves by height_m (a cosine step)
            tau = np.clip((t_s - start_s) / TRANSITION_S, 0.0, 1.0)
            inside = (t_s - start_s) < TRANSITION_S
            angles[:, 0] += TRANSITION_LEAN_DEG * np.sin(np.pi * tau) ** 2
            rates_dps[:, 0] += inside * TRANSITION_LEAN_DEG * np.pi / TRANSITION_S * np.sin(2 * np.pi * tau)
            lift_from_s = (TRANSITION_S - LIFT_S) / 2
            u = (t_s - start_s - lift_from_s) / LIFT_S
            w = np.pi / LIFT_S
            lift_mps2 = ((u >= 0) & (u < 1)) * height_m / 2 * w * w * np.cos(np.pi * np.clip(u, 0, 1))
        out = np.zeros(n, dtype=SAMPLE_DTYPE)
        r = self._r0[None] @ body_matrices(angles)
        quats = quaternions_of(r)
        # the accelerometer feels gravity's reaction (specific force, up) and the chest's vertical
        # acceleration, in the sensor frame
        grav_body = r[:, 2, :] * (G_MPS2 + lift_mps2)[:, None]
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
            for span in spans:
                start, end, seg = span.start_s, span.end_s, span.segment
                n_seg = int(round((end - start) * self.rate_hz))
                for i0 in range(0, n_seg, per_batch):
                    if self.closed:
                        return
                    i = np.arange(i0, min(n_seg, i0 + per_batch))
                    t_local = start + i / self.rate_hz
                    samples = self.synthesize(t_local, seg, start, span.prev, span.pose, span.before)
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
            offset_s += spans[-1].end_s
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
