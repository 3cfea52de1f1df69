"""Per-second activity from one upper-back sensor: lying, sitting, standing, walking, unknown.

Static tilt does not separate sitting from standing (SEED_NOTES.md), so the
posture between walking and lying is remembered from the last transition:
a stand-to-sit (the chest drops within a second or two while the trunk leans
forward, the seat stops it with a jolt, and the wearer then settles in a
seated posture or soon stands up again; a fall, a bend or a jog drops the
chest too but does not settle so, a lean to open a door drops it slowly and
without a jolt), a sit-to-stand (it rises, leaning forward, and ends upright)
or sitting up from lying (an upright settled trunk after lying, without a
stand-up). The classifier carries its state between calls, so any chunking
of the seconds gives the same result. Until the first transition (and after
lying) the posture is unknown; from there standing is reached only by a
stand-up (walking shows as walking), which the pipeline takes as the end of
a sitting run (pipeline.Analyzer._sitting_bouts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dorsal.core.settings import Settings

ACTIVITIES = ("unknown", "lying", "sitting", "standing", "walking")
ACT = {name: i for i, name in enumerate(ACTIVITIES)}


@dataclass
class SecondFeatures:
    """What one second of analysis samples shows, one entry per second (all (S,) arrays)."""

    inclination_deg: np.ndarray  #: mean trunk inclination from vertical
    flexion_max_deg: np.ndarray  #: most forward flexion within the second
    flexion_min_deg: np.ndarray  #: least forward flexion within the second
    band_rms_mps2: np.ndarray  #: RMS of the 0.8-3 Hz band of |acceleration| (gait)
    height_lo_m: np.ndarray  #: lowest height transient (high-passed double integral of vertical acceleration)
    height_hi_m: np.ndarray  #: highest height transient
    settling: np.ndarray  #: the device's fusion was settling during the second (bool)
    accel_fault: np.ndarray  #: the second's mean |acceleration| is a sensor fault (Settings.accel_fault_low_g; bool)
    #: the barometer's altitude against the highest / lowest of the seconds before (m; barometer.py),
    #: NaN without a barometer
    baro_drop_m: np.ndarray | None = None
    baro_rise_m: np.ndarray | None = None


#: The height transient lags the movement (two leaky integrators of 1 s, pipeline.HEIGHT_TAU_S): a drop
#: read this many seconds after a held bend is the bend's own, read while the trunk comes back up.
HEIGHT_LAG_S = 2
#: With a barometer, a stand-up's lean counts this many seconds before the rise is read (the rise
#: follows the lean, and a quick one lands in the next second).
LEAN_RECENT_S = 2
_NONE = -(1 << 40)  # "no such second yet" for the last-event indices carried between calls


def _last(mask: np.ndarray, carried: int, i: np.ndarray) -> np.ndarray:
    """Index of the last second up to each one where mask holds (the carried index before any); i: the
    seconds' indices (np.arange(mask.size))."""
    out = np.where(mask, i, carried)
    return np.maximum.accumulate(out, out=out)


class ActivityClassifier:
    """Streaming per-second activity codes (indices into ACTIVITIES)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._energetic = np.zeros(3, dtype=bool)  # gait energy of the last three seconds
        self._inclined = np.zeros(2, dtype=bool)  # inclination of the last two seconds
        self._posture = 0  # last transition: 0 none, 1 sat down, 2 stood/walked, 3 lay down
        # indices relative to the next call's first second: the last drop, the last event that voids it
        self._drop = _NONE
        self._void = _NONE
        self._lay = _NONE  # the last second of lying on the back or a side
        self._stood = _NONE  # the last second of walking or standing up
        self._h_hi = 0.0  # the last second's highest height transient
        self._leaned = np.zeros(LEAN_RECENT_S, dtype=bool)  # leaned forward past transition_lean_deg, the last seconds
        self._void_before = _NONE  # the last event that voids a drop, up to the second before the last one
        self._settled_run = 0  # settled seconds in a row up to the last second
        self._bent_run = 0  # seconds bent past bend_inclination_deg in a row up to the last second
        self._lean_run = 0  # whole seconds leaned past transition_lean_deg in a row up to the last second
        self._held = _NONE  # the last second of a held bend
        self._jolt = False  # the last second showed a jolt (gait band past sit_jolt_band_rms_mps2)
        self._fell = False  # the last second showed a drop of the height (not yet confirmed by a jolt)

    def classify(self, f: SecondFeatures) -> np.ndarray:
        st = self.settings
        n = f.inclination_deg.size
        i = np.arange(n)
        # Lying: inclined for 3 seconds in a row (bending down to the floor passes through quickly);
        # reclined backward, less inclination suffices (one does not sit leaning back that far).
        inclined = (f.inclination_deg > st.lying_inclination_deg) | (
            (f.inclination_deg > st.lying_reclined_deg) & (f.flexion_max_deg < 0.0))
        hist = np.concatenate([self._inclined, inclined])
        lying = inclined & hist[1:-1] & hist[:-2]
        self._inclined = hist[-2:]
        # Walking: gait-band energy in 3 of the last 4 seconds (a sit-down's jolt lasts one second; a slow
        # walker's steps dip below the threshold now and then: UMAFall's slowest walks read 0.6-1.3 m/s^2).
        energetic = (f.band_rms_mps2 > st.walking_band_rms_mps2) & ~lying
        history = np.concatenate([self._energetic, energetic])
        k = energetic.size
        h8 = history.view(np.int8)
        count = h8[3:] + h8[2:-1]
        count += h8[1:-2]
        count += h8[:k]
        walking = energetic & (count >= 3)
        self._energetic = history[-3:]
        # Sit-to-stand and stand-to-sit lean the trunk forward while the height changes (SEED_NOTES.md);
        # arm movements and stopping after a walk move the chest up and down without that lean.
        h_lo, h_hi = f.height_lo_m, f.height_hi_m
        unreliable = f.settling | f.accel_fault
        leaned = (f.flexion_max_deg > st.transition_lean_deg) & ~unreliable
        # A transition takes a second or two, so the transient falls past transition_height_m within the
        # drop's second and the one before (from the highest of those to the lowest of this one); a lean held
        # to open a door lets it drift there over seconds (the accelerometer's error at the new tilt).
        h_hi_before = np.concatenate([[self._h_hi], h_hi[:-1]])
        if n:
            self._h_hi = float(h_hi[-1])
        descent = np.maximum(h_hi_before, h_hi) - h_lo
        fell = ((h_lo < -st.transition_height_m) & (-h_lo > h_hi) & (descent > st.transition_height_m) & leaned
                & ~walking & ~lying)
        # Sitting down ends on the seat: the descent stops within a fraction of a second, a jolt in the gait
        # band within a second of the drop (it counts from the later of the two); a lean to reach or to talk
        # on the phone drops the chest slowly, without one.
        jolt = f.band_rms_mps2 > st.sit_jolt_band_rms_mps2
        jolt_before = np.concatenate([[self._jolt], jolt[:-1]])
        fell_before = np.concatenate([[self._fell], fell[:-1]])
        down = (fell & (jolt | jolt_before)) | (fell_before & jolt)
        if f.baro_drop_m is not None:  # a barometer tells the chest's real drop itself (below): no jolt needed
            down = np.where(np.isnan(f.baro_drop_m), down, fell)
        if n:
            self._jolt, self._fell = bool(jolt[-1]), bool(fell[-1])
        # Standing up ends upright; a reach from a slouched seat rises too (and the accelerometer's
        # offset, seen at the lean's tilt, adds ~0.1 m to it) but comes back to the slouch. The height
        # transient lags the movement (HEIGHT_LAG_S), so the lean may have been in the second before the
        # rise: getting up from a bed or the floor leans forward first and then rises upright.
        upright = f.flexion_min_deg < st.stand_up_flexion_max_deg
        leaned_hist = np.concatenate([self._leaned, leaned])  # the LEAN_RECENT_S seconds before, then these
        self._leaned = leaned_hist[-LEAN_RECENT_S:]
        leaned_before = leaned_hist[LEAN_RECENT_S - 1 : LEAN_RECENT_S - 1 + n]
        up = (h_hi > st.stand_up_height_m) & (h_hi > -h_lo) & (leaned | leaned_before) & upright & ~lying
        # A stand-up's forward lean passes within a second or two; a lean held forward through whole seconds
        # and then released is a reach from the seat (its transient rises by the accelerometer's offset
        # at the held tilt, like a stand-up's). Bending further, past bend_inclination_deg, is a bend held
        # while standing (to the floor), and one does stand up out of it.
        held_lean = (f.flexion_min_deg > st.transition_lean_deg) & (f.flexion_max_deg < st.bend_inclination_deg)
        lean_run = i - _last(~held_lean, -1 - self._lean_run, i)
        lean_run_before = np.concatenate([[self._lean_run], lean_run[:-1]])
        if n:
            self._lean_run = int(lean_run[-1])
        if st.reach_lean_hold_s > 0:
            up &= lean_run_before < st.reach_lean_hold_s
        # With a barometer the chest's height is read directly (barometer.py): a stand-up must have
        # risen by baro_transition_m, and a rise that large is one, ending upright after the stand-up's
        # lean in the last LEAN_RECENT_S seconds, even when the accelerometer's transient stays small or
        # the lean and the upright end fall in different seconds (a quick stand-up).
        baro = f.baro_rise_m is not None and f.baro_drop_m is not None
        if baro:
            recent = leaned.copy()
            for k in range(LEAN_RECENT_S):
                recent |= leaned_hist[k : k + n]
            known = ~np.isnan(f.baro_rise_m)
            risen = f.baro_rise_m >= st.baro_transition_m
            up = np.where(known, risen & recent & upright & ~lying, up)
        # A drop becomes a sit-down once the wearer settles in a seated posture soon after it; lying,
        # walking, standing up or a held bend void it first (and the drop read while coming up from
        # the bend, HEIGHT_LAG_S).
        settled = ((f.band_rms_mps2 < st.settled_band_rms_mps2) & (f.inclination_deg < st.seated_inclination_max_deg)
                   & ~lying & ~walking & ~unreliable)
        run = i - _last(~settled, -1 - self._settled_run, i)
        bent = f.inclination_deg > st.bend_inclination_deg
        bent_run = i - _last(~bent, -1 - self._bent_run, i)
        held = _last(bent_run >= st.bend_hold_s, self._held, i)  # the last second of a held bend
        drop = _last(down, self._drop, i)
        void = _last(lying | walking | up | (i - held <= HEIGHT_LAG_S), self._void, i)
        after = i - drop
        sat = (drop > void) & (run >= st.sit_settle_s) & (after >= st.sit_settle_s) & (after <= st.sit_settle_within_s)
        if baro:  # ...and a sit-down must have dropped the chest (a reach or a door's handle does not)
            sat &= np.isnan(f.baro_drop_m) | (f.baro_drop_m <= -st.baro_transition_m)
        self._settled_run = int(run[-1]) if n else self._settled_run
        self._bent_run = int(bent_run[-1]) if n else self._bent_run
        self._held = int(held[-1]) - n if n else self._held
        self._drop = int(drop[-1]) - n if n else self._drop
        self._void = int(void[-1]) - n if n else self._void
        # Getting up from lying on the back or a side passes through sitting: a settled upright trunk after
        # such lying, with no stand-up or walking since, is sitting (standing up shows its rise). Lying face
        # forward is left out: a deep bend held for 3 s reads as lying, and one stands up out of it.
        lay = _last(lying & (f.flexion_max_deg < st.bend_inclination_deg), self._lay, i)
        stood = _last(walking | up, self._stood, i)
        sat_up = settled & (lay > stood)
        self._lay = int(lay[-1]) - n if n else self._lay
        self._stood = int(stood[-1]) - n if n else self._stood
        code = np.where(lying, 3, np.where(walking | up, 2, np.where(sat | sat_up, 1, 0)))
        last = _last(code > 0, -1, i)
        posture = np.where(last >= 0, code[np.maximum(last, 0)], self._posture)
        # A stand-up soon after a drop that the seat's jolt confirmed, with nothing voiding it between, rose
        # from the seat even though the wearer never settled on it: its second (which began seated) reads
        # sitting; the posture after it is standing.
        posture_before = np.concatenate([[self._posture], posture[:-1]])
        void_before = np.concatenate([[self._void_before], void[:-1]])
        brief = (up & (drop > void_before) & (i - drop <= st.brief_sit_within_s) & (posture_before != 1)
                 & (st.brief_sit_within_s > 0))
        self._posture = int(posture[-1])
        self._void_before = int(void[-1]) - n if n else self._void_before
        return np.where(lying, ACT["lying"], np.where(walking, ACT["walking"], np.where(
            (posture == 1) | brief, ACT["sitting"], np.where(posture == 2, ACT["standing"], ACT["unknown"]))))
