"""The core's rules one sample at a time, in plain Python floats: the baseline of `dorsal bench --only core`.

Everything the vectorized core (dorsal.core.pipeline) does per sample, per
analysis block and per second, written the way a straightforward streaming
implementation would: the same analysis blocks, quaternion to body axes,
the five posture angles with the heading unwrapped against its slowly
following reference, the gait band and height filters (direct form II
transposed, the same coefficients), the per-second features and activity
rules, slouch hysteresis, and the runs behind sitting bouts, slouches,
extensions, twists and stretch episodes (a run of unknown seconds that a
stand-up ends joins the sitting bouts), and the handling of a settling
fusion (blocks hold the last settled orientation and vertical acceleration;
before the first settled sample, that sample's) and of accelerometer faults
(a second's blocks wait for the second's mean |acceleration| before they
enter the filters; faulty ones hold the last good input). Left out: the
classification of a closed stretch episode (once per episode, not per
sample).
The columns are turned into Python lists first, so the loop pays for
arithmetic, not for numpy scalar access.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.signal import lfilter_zi

from dorsal.core.activity import HEIGHT_LAG_S, LEAN_RECENT_S
from dorsal.core.barometer import WINDOW_S as BARO_WINDOW_S
from dorsal.core.barometer import altitude_m
from dorsal.core.angles import AngleState, rebase_heading
from dorsal.core.calibration import Calibration
from dorsal.core.pipeline import (ESTIMATE_UP_MIN, EXTENSION_MIN_S, GRAVITY_MPS2, NORM2_MAX, NORM2_MIN,
                                  REFINE_MIN_DEG, REFINE_STILL_S, block_size, filter_designs)
from dorsal.core.settings import Settings
from dorsal.core.stretches import EPISODE_GAP_S
from dorsal.protocol import wire

DEG = 180.0 / math.pi
TWO_PI = 2.0 * math.pi


class _Runs:
    """RunTracker's rule, second by second: true seconds closer than ``gap`` false ones form one run,
    with the peak of a value and the extremes of another over its true seconds."""

    def __init__(self, gap: int) -> None:
        self.need = max(gap, 1)
        self.start: int | None = None
        self.last = -1
        self.true_n = 0
        self.peak = -math.inf
        self.xmax, self.xmin = -math.inf, math.inf
        self.closed: list[tuple[int, int, int, float, float]] = []

    def add_earlier(self, start: int, last: int, true_n: int, peak: float) -> None:
        """Seconds start..last, stepped as false, were true after all (RunTracker.add_earlier); the caller
        has stepped the second after last, so a run still open is within the gap and takes them."""
        if self.start is None:
            self.start = start
        self.last = last
        self.true_n += true_n
        self.peak = max(self.peak, peak)

    def step(self, sec: int, flag: bool, value: float = 0.0, extreme: float = 0.0) -> None:
        if self.start is not None and sec - self.last - 1 >= self.need:
            self.close()
        if flag:
            if self.start is None:
                self.start = sec
            self.last = sec
            self.true_n += 1
            self.peak = max(self.peak, value)
            self.xmax, self.xmin = max(self.xmax, extreme), min(self.xmin, extreme)

    def close(self) -> None:
        if self.start is not None:
            x = self.xmax if abs(self.xmax) >= abs(self.xmin) else self.xmin
            self.closed.append((self.start, self.last + 1, self.true_n, self.peak, x))
        self.start, self.last, self.true_n, self.peak = None, -1, 0, -math.inf
        self.xmax, self.xmin = -math.inf, math.inf


def _ba(b: np.ndarray, a: np.ndarray) -> tuple[list[float], list[float]]:
    """Normalized coefficients, b padded to a's length (as lfilter does)."""
    b = np.concatenate([b, np.zeros(max(0, len(a) - len(b)))])
    return [float(v) / float(a[0]) for v in b], [float(v) / float(a[0]) for v in a]


def per_sample_baseline(s: np.ndarray, settings: Settings, r_bs: np.ndarray, rate_hz: float) -> dict[str, Any]:
    """The core's rules over samples s (SAMPLE_DTYPE) with body-to-sensor rotation r_bs.

    Returns seconds per activity code (0 unknown .. 4 walking, as dorsal.core.activity), the number of
    events per kind, of stretch episodes and of sitting bouts, the longest bout, and the unknown seconds that
    joined the bouts.
    """
    st = settings
    d = block_size(rate_hz)
    rate = rate_hz / d
    walk, height = filter_designs(rate)
    wb, wa = _ba(*walk)
    hb, ha = _ba(*height)
    w_zi = [float(v) for v in lfilter_zi(wb, wa)]
    h_zi = [float(v) for v in lfilter_zi(hb, ha)]
    alpha = 1.0 - math.exp(-1.0 / (st.twist_reference_s * rate))
    v1 = [float(v) for v in r_bs[:, 1]]
    v2 = [float(v) for v in r_bs[:, 2]]
    # the look for standing still seconds to estimate the neutral from (Analyzer._refine_scan): seconds in a
    # row, the last one, the sign reference and the seconds' sums of sign-aligned orientations
    look: dict[str, Any] | None = {"run": 0, "last": -2, "ref": None, "sums": []}
    cols = {k: s[k].tolist() for k in ("qw", "qx", "qy", "qz", "ax_mps2", "ay_mps2", "az_mps2", "gx_rps", "gy_rps",
                                       "gz_rps", "t_s", "status", "pressure_pa")}
    qw, qx, qy, qz = cols["qw"], cols["qx"], cols["qy"], cols["qz"]
    ax, ay, az, ts, status = cols["ax_mps2"], cols["ay_mps2"], cols["az_mps2"], cols["t_s"], cols["status"]
    gxs, gys, gzs = cols["gx_rps"], cols["gy_rps"], cols["gz_rps"]
    press = cols["pressure_pa"]
    origin = ts[0] if ts else 0.0
    settling_bit = wire.ST_FUSION_SETTLING

    wz: list[float] | None = None  # filter states, set by their first good input
    hz: list[float] | None = None
    amag_last: float | None = None  # the filters' last inputs (held through faults and settling)
    a_vert_last: float | None = None
    fault_lo, fault_hi = st.accel_fault_low_g * GRAVITY_MPS2, st.accel_fault_high_g * GRAVITY_MPS2
    pend: list[tuple[float, float, bool]] = []  # the current second's blocks: |a|, vertical a, settling
    def usable(i: int) -> bool:
        """The sample's quaternion is an orientation (dorsal.core.pipeline.usable)."""
        return NORM2_MIN < qw[i] * qw[i] + qx[i] * qx[i] + qy[i] * qy[i] + qz[i] * qz[i] < NORM2_MAX

    # the first settled sample's orientation (the first usable one from there; without one, the last usable)
    g0 = next((i for i in range(s.size) if not status[i] & settling_bit), None)
    g0 = next((i for i in range(g0, s.size) if usable(i)), None) if g0 is not None else None
    if g0 is None:
        g0 = next((i for i in range(s.size - 1, -1, -1) if usable(i)), 0)
    held = (qw[g0], qx[g0], qy[g0], qz[g0]) if s.size else (1.0, 0.0, 0.0, 0.0)
    unwrapped = ref = 0.0
    heading_started = False
    sx = sy = sz = 0.0
    sec = None
    acc: dict[str, Any] = {}

    def fresh() -> dict[str, Any]:
        return {"n": 0, "asum": 0.0, "flex": 0.0, "lat": 0.0, "rot": 0.0, "incl": 0.0, "side": 0.0, "band2": 0.0,
                "fmax": -math.inf, "fmin": math.inf, "hlo": math.inf, "hhi": -math.inf, "settling": 0.0,
                "g0": 0.0, "g1": 0.0, "g2": 0.0, "q0": 0.0, "q1": 0.0, "q2": 0.0, "p": 0.0, "p_n": 0,
                "up_min": math.inf, "quats": []}

    inclined = [False, False]
    altitudes = [math.nan] * BARO_WINDOW_S  # the barometer's altitude of the seconds before (core.barometer)
    lean_hist = [False] * LEAN_RECENT_S  # leaned forward, the seconds before
    energetic = [False, False, False]
    jolt_before = fell_before = False
    lean_run = 0  # whole seconds leaned forward (short of a bend) in a row, up to the second before
    hhi_before = 0.0
    lay = stood = -(1 << 40)  # the rows of the last lying on the back or a side, and of walking or standing up
    posture = 0
    last_act = -1  # the last second's activity; the open run of unknown seconds: first, last, count, peak flexion
    unknown_start = unknown_last = unknown_n = 0
    unknown_peak = -math.inf
    inferred_s = 0
    # sit-down settling (dorsal.core.activity): runs, and the rows of the last held bend, drop and void
    row = 0
    settled_run = bent_run = 0
    held_bend = drop = void = -(1 << 40)
    slouch_on = False
    sitting = _Runs(int(round(st.break_min_s)))
    slouch = _Runs(int(round(st.merge_gap_s)))
    extension = _Runs(3)
    twist = _Runs(1)
    episodes = _Runs(EPISODE_GAP_S)
    activity_s = [0, 0, 0, 0, 0]
    events = {"prolonged_sitting": 0, "slouch": 0, "excessive_extension": 0, "twist": 0}
    twists = 0

    def filters(a: dict[str, Any]) -> bool:
        """The gait band and height filters (lfilter, direct form II transposed) over the second's blocks;
        returns whether the second is an accelerometer fault."""
        nonlocal wz, hz, amag_last, a_vert_last
        fault = not fault_lo <= a["asum"] / a["n"] <= fault_hi
        for amag, a_vert, settling in pend:
            bad = fault or (amag_last is None and not fault_lo <= amag <= fault_hi)
            band = 0.0
            if not bad or amag_last is not None:
                x = amag_last if bad else amag
                if wz is None:
                    wz = [c * x for c in w_zi]
                band = wb[0] * x + wz[0]
                wz[0] = wb[1] * x - wa[1] * band + wz[1]
                wz[1] = wb[2] * x - wa[2] * band + wz[2]
                wz[2] = wb[3] * x - wa[3] * band + wz[3]
                wz[3] = wb[4] * x - wa[4] * band
                amag_last = x
            height = 0.0
            hold = bad or settling
            if not hold or a_vert_last is not None:
                x = a_vert_last if hold else a_vert
                if hz is None:
                    hz = [c * x for c in h_zi]
                height = hb[0] * x + hz[0]
                hz[0] = hb[1] * x - ha[1] * height + hz[1]
                hz[1] = hb[2] * x - ha[2] * height + hz[2]
                hz[2] = hb[3] * x - ha[3] * height
                a_vert_last = x
            a["band2"] += band * band
            a["hlo"] = min(a["hlo"], height)
            a["hhi"] = max(a["hhi"], height)
        pend.clear()
        return fault

    def end_second(k: int, a: dict[str, Any]) -> None:
        nonlocal posture, slouch_on, row, settled_run, bent_run, held_bend, drop, void, jolt_before, fell_before
        nonlocal hhi_before, lay, stood, lean_run
        nonlocal last_act, unknown_start, unknown_last, unknown_n, unknown_peak, inferred_s, look
        fault = filters(a)
        n = a["n"]
        flex, lat, rot, incl, side = a["flex"] / n, a["lat"] / n, a["rot"] / n, a["incl"] / n, a["side"] / n
        band_rms = math.sqrt(a["band2"] / n)
        var = 0.0
        for i in range(3):
            m = a[f"g{i}"] / n
            var += max(a[f"q{i}"] / n - m * m, 0.0)
        gyro = math.sqrt(var)
        # activity (dorsal.core.activity)
        is_inclined = incl > st.lying_inclination_deg or (incl > st.lying_reclined_deg and a["fmax"] < 0.0)
        lying = is_inclined and inclined[0] and inclined[1]
        inclined[0], inclined[1] = inclined[1], is_inclined
        is_energetic = band_rms > st.walking_band_rms_mps2 and not lying
        walking = is_energetic and is_energetic + energetic[0] + energetic[1] + energetic[2] >= 3
        energetic[0], energetic[1], energetic[2] = energetic[1], energetic[2], is_energetic
        unreliable = a["settling"] or fault
        leaned = a["fmax"] > st.transition_lean_deg and not unreliable
        hlo, hhi = a["hlo"], a["hhi"]
        fell = (hlo < -st.transition_height_m and -hlo > hhi and max(hhi_before, hhi) - hlo > st.transition_height_m
                and leaned and not walking and not lying)
        hhi_before = hhi
        jolt = band_rms > st.sit_jolt_band_rms_mps2
        alt = float(altitude_m(a["p"] / n)) if a["p_n"] == n else math.nan
        known = [v for v in altitudes if not math.isnan(v)]
        baro = not math.isnan(alt) and bool(known)
        down = fell if baro else (fell and (jolt or jolt_before)) or (fell_before and jolt)
        jolt_before, fell_before = jolt, fell
        up = (hhi > st.stand_up_height_m and hhi > -hlo and (leaned or lean_hist[-1])
              and a["fmin"] < st.stand_up_flexion_max_deg and not lying)
        if st.reach_lean_hold_s > 0 and lean_run >= st.reach_lean_hold_s:
            up = False  # a reach from the seat, held and released
        held_lean = a["fmin"] > st.transition_lean_deg and a["fmax"] < st.bend_inclination_deg
        lean_run = lean_run + 1 if held_lean else 0
        if baro:
            up = (alt - min(known) >= st.baro_transition_m and (leaned or any(lean_hist))
                  and a["fmin"] < st.stand_up_flexion_max_deg and not lying)
        altitudes.pop(0)
        altitudes.append(alt)
        lean_hist.pop(0)
        lean_hist.append(leaned)
        settled = (band_rms < st.settled_band_rms_mps2 and incl < st.seated_inclination_max_deg and not lying
                   and not walking and not unreliable)
        settled_run = settled_run + 1 if settled else 0
        bent_run = bent_run + 1 if incl > st.bend_inclination_deg else 0
        if bent_run >= st.bend_hold_s:
            held_bend = row
        if down:
            drop = row
        void_before = void
        if lying or walking or up or row - held_bend <= HEIGHT_LAG_S:
            void = row
        sat = drop > void and settled_run >= st.sit_settle_s and st.sit_settle_s <= row - drop <= st.sit_settle_within_s
        if baro:
            sat = sat and alt - max(known) <= -st.baro_transition_m
        if lying and a["fmax"] < st.bend_inclination_deg:
            lay = row
        if walking or up:
            stood = row
        sat = sat or (settled and lay > stood)
        brief = (up and drop > void_before and row - drop <= st.brief_sit_within_s and posture != 1
                 and st.brief_sit_within_s > 0)
        row += 1
        code = 3 if lying else 2 if walking or up else 1 if sat else 0
        if code:
            posture = code
        act = 1 if lying else 4 if walking else 2 if posture == 1 or brief else 3 if posture == 2 else 0
        activity_s[act] += 1
        if look is not None and refine(look, k, a, act == 3 and gyro < st.still_gyro_rps and a["up_min"] > ESTIMATE_UP_MIN
                                       and not a["settling"]):
            look = None
        # events (Analyzer._detect); unknown seconds that a stand-up ends were sitting (Analyzer._sitting_bouts)
        if act == 0:
            if last_act != 0:
                unknown_start, unknown_n, unknown_peak = k, 0, -math.inf
            unknown_last, unknown_n, unknown_peak = k, unknown_n + 1, max(unknown_peak, flex)
        elif act == 3 and last_act == 0:
            sitting.step(k, False)
            sitting.add_earlier(unknown_start, unknown_last, unknown_n, unknown_peak)
            inferred_s += unknown_n
        last_act = act
        sitting.step(k, act == 2, flex)
        seated = act == 2 or act == 0
        if seated and flex > st.slouch_threshold_deg:
            slouch_on = True
        elif not seated or flex < st.slouch_threshold_deg - st.slouch_hysteresis_deg:
            slouch_on = False
        slouch.step(k, slouch_on, flex)
        if abs(side) < 45.0 and (incl < 50.0 or incl > 70.0):
            ext = -flex if incl < 50.0 else -(flex - (-90.0 if flex < 0 else 90.0))
        else:
            ext = 0.0
        extension.step(k, ext > st.extension_limit_deg, ext)
        twist.step(k, abs(rot) > st.twist_min_deg, 1.0 if act in (1, 4) else 0.0, rot)
        upright = act not in (1, 4)
        episodes.step(k, act == 1 or (upright and (flex < -5 or abs(lat) > 10 or flex > 25 or abs(rot) > 30)),
                      flex, gyro)

    def refine(look: dict[str, Any], k: int, a: dict[str, Any], ok: bool) -> bool:
        """One second of the look; a neutral from its REFINE_STILL_S seconds, when it tilts far enough away.
        Returns whether the look is over."""
        nonlocal v1, v2, unwrapped, ref
        if not ok:
            look.update(run=0, sums=[])
            return False
        if look["run"] == 0 or look["last"] != k - 1:
            look.update(run=0, ref=a["quats"][0], sums=[])
        r0 = look["ref"]
        total = [0.0, 0.0, 0.0, 0.0]
        for q in a["quats"]:
            sign = -1.0 if q[0] * r0[0] + q[1] * r0[1] + q[2] * r0[2] + q[3] * r0[3] < 0 else 1.0
            for j in range(4):
                total[j] += sign * q[j]
        look["sums"].append(total)
        look["run"] += 1
        look["last"] = k
        if look["run"] < REFINE_STILL_S:
            return False
        m = [sum(v[j] for v in look["sums"]) for j in range(4)]
        norm = math.sqrt(sum(c * c for c in m))
        w, x, y, z = (c / norm for c in m)
        up = (2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y))  # sensor axes' vertical parts
        if math.degrees(math.acos(min(1.0, sum(u * v for u, v in zip(up, v1))))) < REFINE_MIN_DEG:
            return True
        r_new = Calibration((w, x, y, z), None, "estimated").body_to_sensor()
        v1 = [float(v) for v in r_new[:, 1]]
        v2 = [float(v) for v in r_new[:, 2]]
        # the heading goes on from its value, read at the last block (the core's own rule, once a session:
        # the reference's last output is its filter state over 1 - alpha)
        heading = AngleState(last_heading_rad=unwrapped, zi=np.array([(1.0 - alpha) * ref]))
        rebase_heading(heading, a["quats"][-1], r_new, rate, st.twist_reference_s)
        assert heading.last_heading_rad is not None and heading.zi is not None
        unwrapped, ref = heading.last_heading_rad, float(heading.zi[0]) / (1.0 - alpha)
        return True

    for i in range(s.size):
        sx += ax[i]
        sy += ay[i]
        sz += az[i]
        if i % d != d - 1:
            continue
        mx, my, mz = sx / d, sy / d, sz / d
        sx = sy = sz = 0.0
        # a block whose quaternion is no orientation is left out, as the core does (written out, not a call)
        if not NORM2_MIN < qw[i] * qw[i] + qx[i] * qx[i] + qy[i] * qy[i] + qz[i] * qz[i] < NORM2_MAX:
            continue
        settling = status[i] & settling_bit
        if settling:
            w, x, y, z = held
        else:
            w, x, y, z = held = qw[i], qx[i], qy[i], qz[i]
        k = int(math.floor(ts[i] - origin))
        if k != sec:  # the second before ends first: it may bring a new neutral
            if sec is not None:
                end_second(sec, acc)
            sec, acc = k, fresh()
        # body axes, in full Earth coordinates (dorsal.core.angles.tilt_angles needs only their vertical parts)
        n2 = 2.0 / (w * w + x * x + y * y + z * z)
        xs, ys, zs = x * n2, y * n2, z * n2
        xx, yy, zz = x * xs, y * ys, z * zs
        xy, xz, yz = x * ys, x * zs, y * zs
        wx, wy, wz_ = w * xs, w * ys, w * zs
        r = (1 - yy - zz, xy - wz_, xz + wy, xy + wz_, 1 - xx - zz, yz - wx, xz - wy, yz + wx, 1 - xx - yy)
        y0 = r[0] * v1[0] + r[1] * v1[1] + r[2] * v1[2]
        y1 = r[3] * v1[0] + r[4] * v1[1] + r[5] * v1[2]
        y2 = r[6] * v1[0] + r[7] * v1[1] + r[8] * v1[2]
        q0 = r[0] * v2[0] + r[1] * v2[1] + r[2] * v2[2]
        q1 = r[3] * v2[0] + r[4] * v2[1] + r[5] * v2[2]
        q2 = r[6] * v2[0] + r[7] * v2[1] + r[8] * v2[2]
        # posture angles (dorsal.core.angles.tilt_angles), from the full axes
        inv = 1.0 / max(math.sqrt(q0 * q0 + q1 * q1), 1e-9)
        rx, ry = q0 * inv, q1 * inv
        y_fwd = y1 * rx - y0 * ry
        flex = math.atan2(y_fwd, y2) * DEG
        lat = math.atan2(y0 * rx + y1 * ry, math.sqrt(y_fwd * y_fwd + y2 * y2)) * DEG
        incl = math.acos(min(1.0, max(-1.0, y2))) * DEG
        side = math.asin(min(1.0, max(-1.0, q2))) * DEG
        heading = math.atan2(rx, -ry)
        if not heading_started:
            unwrapped = ref = heading
            heading_started = True
        else:
            step = heading - math.remainder(unwrapped, TWO_PI)
            unwrapped += step - TWO_PI * round(step / TWO_PI)
            ref = alpha * unwrapped + (1.0 - alpha) * ref
        rot = (ref - unwrapped) * DEG
        amag = math.sqrt(mx * mx + my * my + mz * mz)
        a_vert = r[6] * mx + r[7] * my + r[8] * mz - GRAVITY_MPS2
        # the second's features
        acc["n"] += 1
        acc["asum"] += amag
        pend.append((amag, a_vert, bool(settling)))
        acc["flex"] += flex
        acc["lat"] += lat
        acc["rot"] += rot
        acc["incl"] += incl
        acc["side"] += side
        acc["fmax"] = max(acc["fmax"], flex)
        if look is not None:  # (the look for a standing neutral: once a session)
            acc["up_min"] = min(acc["up_min"], r[7])
            acc["quats"].append((w, x, y, z))
        acc["fmin"] = min(acc["fmin"], flex)
        if settling:
            acc["settling"] = 1.0
        if press[i] > 0:
            acc["p"] += press[i]
            acc["p_n"] += 1
        for j, g in enumerate((gxs[i], gys[i], gzs[i])):
            acc[f"g{j}"] += g
            acc[f"q{j}"] += g * g
    if sec is not None:
        end_second(sec, acc)
    for runs in (sitting, slouch, extension, twist, episodes):
        runs.close()
    for start, end, _, _, _ in sitting.closed:
        events["prolonged_sitting"] += end - start > st.sitting_bout_max_s
    for start, end, _, _, _ in slouch.closed:
        events["slouch"] += end - start > st.slouch_delay_s
    for _, _, true_n, _, _ in extension.closed:
        events["excessive_extension"] += true_n >= EXTENSION_MIN_S
    for start, end, _, moving, peak in twist.closed:
        if end - start <= st.twist_max_s and moving == 0.0 and abs(peak) <= st.twist_max_deg:
            twists += 1
    events["twist"] = twists
    return {"activity_s": activity_s, "events": events, "episodes": len(episodes.closed),
            "sitting_bouts": len(sitting.closed), "sitting_inferred_s": inferred_s,
            "longest_sitting_bout_s": max((end - start for start, end, _, _, _ in sitting.closed), default=0)}
