"""Detector settings: every threshold with its unit and a documented default.

Defaults are engineering choices (../shared/SEED_NOTES.md gives the figures
behind them), user-tunable, never medical fact.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class Settings:
    #: Flexion past this while sitting counts toward a slouch. A single back sensor separated upright
    #: (~-1 deg) from slouched (~-20 deg) sitting, so ~10 deg is a common threshold (SEED_NOTES.md).
    slouch_threshold_deg: float = 10.0
    #: The slouch ends only when flexion drops below threshold minus this (hysteresis, no chatter).
    slouch_hysteresis_deg: float = 3.0
    #: Flexion must stay past the threshold this long before it is a slouch. Products use 5 s - 10 min,
    #: Lumo Lift recommended 2 min; 60 s here. 0 disables the delay.
    slouch_delay_s: float = 60.0
    #: Extension (backward bend past the posture's base) beyond this is "excessive". Thoracic extension
    #: range is ~19 +- 9 deg and no validated limit exists; the user should set their own (SEED_NOTES.md).
    extension_limit_deg: float = 20.0
    #: A sitting bout longer than this raises prolonged sitting (common advice: break every 30 min).
    sitting_bout_max_s: float = 1800.0
    #: Standing or walking at least this long is a real break that ends a bout (~1-2 min, SEED_NOTES.md).
    break_min_s: float = 60.0
    #: A twist: the upper back turned at least this far from its recent heading and back again.
    twist_min_deg: float = 25.0
    #: ...but no further than this (the trunk's axial range is ~45-60 deg; more is turning the whole body).
    twist_max_deg: float = 100.0
    #: ...within this long (a longer turn is turning around, not a twist).
    twist_max_s: float = 15.0
    #: Heuristic daily twist limit: practitioners' advice ranges from "occasionally" to "not more than
    #: ~4 times a day"; no study gives a number (SEED_NOTES.md).
    twists_per_day_max: int = 4
    #: Time constant of the heading reference that twists are measured against (yaw drifts without a
    #: magnetometer, so twists are measured against a recent baseline; FACTS.md).
    twist_reference_s: float = 20.0
    #: Trunk inclination beyond this (held 3 s) is lying.
    lying_inclination_deg: float = 60.0
    #: Reclined backward (the whole second behind the neutral) beyond this inclination is lying as well: on
    #: UMAFall's beds the chest lay back only ~50-60 deg in 5 of 21 trials, while the simulator's reclining
    #: office chair tilts the trunk back 12-22 deg and its deepest standing back leans reach 28-38 deg.
    #: Forward, a bend held at 50-60 deg is not lying, so forward the lying_inclination_deg applies.
    lying_reclined_deg: float = 50.0
    #: RMS of the 0.8-3 Hz band of |acceleration| above this, in m/s^2, in 3 of 4 seconds is walking.
    walking_band_rms_mps2: float = 0.9
    #: A sit-down / stand-up changes the sensor's height by ~0.4-0.5 m; a transient of this size in the
    #: high-passed double integral of vertical acceleration marks one (SEED_NOTES.md).
    transition_height_m: float = 0.12
    #: ...and the descent ends with a jolt as the seat stops it: gait-band RMS (m/s^2) above this in the
    #: drop's second or the one before. Leaning 20-25 deg to open a door or to make a call drops the chest
    #: too (partly through the accelerometer's error at the new tilt) but slowly: on UMAFall those read
    #: 0.1-0.46 around the drop, the sit-downs 0.5-2.0. 0 disables.
    sit_jolt_band_rms_mps2: float = 0.4
    #: Standing up must show a larger rise: leaning forward to reach from a chair lifts the chest
    #: ~0.15-0.2 m as well, a stand-up lifts it ~0.45 m (both through the same high-passed integral).
    stand_up_height_m: float = 0.18
    #: ...while the trunk leans forward at least this far (the lean of sit-to-stand is ~20-40 deg; on
    #: UMAFall 12 deg let walking and door-opening read as sit-downs: 42% of non-sitting trials, 20 deg 33%).
    transition_lean_deg: float = 20.0
    #: ...and comes back upright, below this flexion, within the second of the rise: standing is ~12 deg
    #: less flexed than habitual sitting (SEED_NOTES.md), while a reach from a slouched seat returns to
    #: the slouch. The slouch threshold's value, so a stand-up is never read into a slouched posture.
    stand_up_flexion_max_deg: float = 10.0
    #: A drop is a sit-down only once the wearer has settled: this many seconds in a row of a seated
    #: posture (inclination below seated_inclination_max_deg, gait band below settled_band_rms_mps2) with
    #: no lying, walking or standing up before. A fall drops faster and ends lying; jogging and hopping jolt
    #: like a landing on a seat but keep their energy (on UMAFall 88% of forward falls and ~50% of jogging
    #: and hopping trials read a sitting period without this). 1 s: 2 s lost a further sitting trial
    #: whose subject sat down at the end of the recording.
    sit_settle_s: float = 1.0
    #: ...within this long after the drop (the seat is reached ~1-2 s into a 2-3 s stand-to-sit).
    sit_settle_within_s: float = 6.0
    #: A drop confirmed by the seat's jolt and followed within this long (s) by a stand-up, with no lying,
    #: walking or held bend between, is a brief sit although the wearer never settled: the stand-up's second
    #: reads sitting. Sitting down and standing up take ~2-3 s each; on UMAFall one subject sat for ~1 s
    #: and stood straight up in 2 of 3 trials, while no other trial showed this (bends hold their lean and
    #: are voided). 0 disables.
    brief_sit_within_s: float = 3.0
    #: Gait-band RMS (m/s^2) below this is settled: UMAFall's seated seconds read ~0.05-0.3, its walking
    #: ~0.6-2 (the walking threshold is walking_band_rms_mps2).
    settled_band_rms_mps2: float = 0.35
    #: Inclination (deg) above this is not a seated posture (the stretch episodes count more than 45 deg
    #: with lying).
    seated_inclination_max_deg: float = 45.0
    #: A drop followed by the trunk held past this inclination is a bend (or a fall), not a sit-down...
    bend_inclination_deg: float = 45.0
    #: ...for this many seconds in a row: a sit-down's lean comes back as the seat takes the weight, a bend
    #: holds it while the hands reach down. On UMAFall, 10 of the 12 bends read as sit-downs held past
    #: 45 deg for 2-4 s, while sit-downs (leaning up to ~75 deg) stayed past it for 1 s at most in all but
    #: one trial; the simulator's pick-up bends 65-85 deg for ~2.5-4 s.
    bend_hold_s: float = 2.0
    #: Without a barometer, a rise is no stand-up when the trunk was leaned forward past transition_lean_deg
    #: through this many whole seconds just before it: that is a reach from the seat, held and released.
    #: The simulator's stand-ups lean through at most one whole second; a seated reach to 43 deg held for
    #: 2 s rose 0.19 m through the height filter and read as standing up. 0 disables.
    reach_lean_hold_s: float = 2.0
    #: With a barometer: a sit-down must have lowered the chest, and a stand-up raised it, by at least this
    #: much (m) against the seconds before (barometer.WINDOW_S). Sitting down or standing up moves it
    #: ~0.4-0.5 m (SEED_NOTES.md); the BMP390's relative accuracy is +-3 Pa (~0.25 m) over long spans but
    #: its noise over a second's mean is ~1 cm, and weather drifts well under 0.1 m in seconds.
    baro_transition_m: float = 0.25
    #: Over one second the mean acceleration is gravity plus the velocity change in that second, and a
    #: person's trunk changes its velocity by a few m/s at most (a fall from standing reaches ~3-4 m/s);
    #: steps and jolts add a few tenths of g to the mean magnitude. A second whose mean |acceleration|
    #: lies below this (g) is therefore not motion but an accelerometer fault: its samples feed neither
    #: the height nor the gait filter, and it shows no transition and no settled posture. The filters also
    #: start from the first sample within these bounds. On UMAFall the seconds' means lie within
    #: 0.83-1.73 g but for its faults: 64 of 303 recordings read ~0.25 g at rest in their first samples or
    #: seconds, 8 read ~4 g in their last (a range mismatch by 4); a start from such a sample swung the
    #: height filter by metres.
    accel_fault_low_g: float = 0.5
    #: ...or above this (g).
    accel_fault_high_g: float = 2.0
    #: Gyro variation within a second below this (rad/s RMS) is "still" (to estimate the neutral, at first and
    #: again from standing still).
    still_gyro_rps: float = 0.05
    #: Runs of the same state separated by less than this are joined (for slouch and extension).
    merge_gap_s: float = 5.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            from dorsal.errors import DorsalError

            raise DorsalError(f"unknown setting(s): {', '.join(unknown)}")
        return cls(**{k: type(getattr(cls(), k))(v) for k, v in data.items()})
