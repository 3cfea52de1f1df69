"""Ground truth: the analyze JSON shape, and the events each scenario is made to contain (or avoid)."""

from __future__ import annotations

import pytest

from dorsal.sim import SCENARIOS, compile_plan
from dorsal.sim.choreography import STRETCH_IDS
from dorsal.sim.truth import TruthRules, truth_json


def _truth(name: str, seed: int = 1, duration_s: float | None = None) -> dict:
    sc = SCENARIOS[name]
    d = duration_s or sc.default_duration_s
    return truth_json(compile_plan(sc, seed, d), d, TruthRules())


def _kinds(doc: dict) -> dict[str, int]:
    out: dict[str, int] = {}
    for ev in doc["events"]:
        out[ev["kind"]] = out.get(ev["kind"], 0) + 1
    return out


def test_truth_has_the_analyze_json_shape():
    doc = _truth("standing-bends")
    assert set(doc) == {"summary", "events", "timeline"}
    for ev in doc["events"]:
        assert {"kind", "start_s", "end_s"} <= set(ev) and ev["start_s"] <= ev["end_s"]
    row = doc["timeline"][10]
    assert set(row) == {"t_s", "activity", "flexion_deg", "lateral_deg", "rotation_deg", "inclination_deg"}
    assert len(doc["timeline"]) == int(SCENARIOS["standing-bends"].default_duration_s)
    assert {r["activity"] for r in doc["timeline"]} <= {"lying", "sitting", "standing", "walking", "unknown"}


@pytest.mark.parametrize("stretch_id", STRETCH_IDS)
def test_each_stretch_scenario_holds_its_stretch(stretch_id):
    doc = _truth(stretch_id)
    stretches = [ev for ev in doc["events"] if ev["kind"] == "stretch"]
    assert [ev["id"] for ev in stretches] == [stretch_id]
    assert stretches[0]["end_s"] - stretches[0]["start_s"] > 10


def test_lying_stretches_are_lying_and_standing_ones_standing():
    for sid, activity in [("rocking", "lying"), ("bed-edge-extension", "lying"), ("assisted-prone-press", "lying"),
                          ("standing-back-lean", "standing"), ("seated-twist", "sitting")]:
        doc = _truth(sid)
        ev = next(e for e in doc["events"] if e["kind"] == "stretch")
        rows = [r for r in doc["timeline"] if ev["start_s"] + 8 <= r["t_s"] <= ev["end_s"] - 8]
        share = sum(r["activity"] == activity for r in rows) / len(rows)
        assert share > 0.6, (sid, share)


def test_lying_supine_inclines_the_trunk_ninety_degrees():
    doc = _truth("trap-lying-rest")
    lying = [r for r in doc["timeline"] if r["activity"] == "lying"]
    assert len(lying) > 300
    assert sum(70 < r["inclination_deg"] < 110 for r in lying) / len(lying) > 0.95


def test_unsafe_variants_contain_their_unsafe_events():
    assert _kinds(_truth("unsafe-deep-back-lean")).get("excessive_extension", 0) >= 3
    assert _kinds(_truth("unsafe-deep-chair-extension")).get("excessive_extension", 0) >= 3
    assert _kinds(_truth("unsafe-frequent-twists")).get("twist", 0) > TruthRules().twists_per_day_max
    long_sit = [e for e in _truth("unsafe-long-sitting")["events"] if e["kind"] == "prolonged_sitting"]
    assert len(long_sit) == 1 and long_sit[0]["duration_s"] > 100 * 60


def test_safe_stretches_stay_within_the_default_extension_limit():
    for sid in ("standing-back-lean", "chair-back-extension", "standing-bends", "ball-rollout"):
        assert "excessive_extension" not in _kinds(_truth(sid)), sid


@pytest.mark.parametrize("name", ["trap-fidgeting", "trap-chair-lean-back", "trap-floor-pickup", "trap-lying-rest",
                                  "trap-stairs"])
def test_traps_hold_no_twist_no_extension_no_long_sitting(name):
    kinds = _kinds(_truth(name))
    assert not {"twist", "excessive_extension", "prolonged_sitting"} & set(kinds), kinds


def test_trap_fidgeting_turns_the_trunk_but_less_than_a_twist():
    doc = _truth("trap-fidgeting")
    rot = max(abs(r["rotation_deg"]) for r in doc["timeline"])
    assert 5 < rot < 30  # a crack takes the trunk to 35-50 deg


def test_desk_day_is_a_desk_day():
    doc = _truth("desk-day", seed=2)
    s = doc["summary"]
    assert s["duration_s"] == pytest.approx(8 * 3600, abs=1)
    assert s["activity_s"]["sitting"] > 0.7 * 8 * 3600
    assert s["activity_s"]["walking"] > 600
    kinds = _kinds(doc)
    assert kinds.get("prolonged_sitting", 0) >= 1 and kinds.get("slouch", 0) >= 5
    bouts = [e["duration_s"] for e in doc["events"] if e["kind"] == "prolonged_sitting"]
    assert all(b > 1800 for b in bouts)
    assert s["sitting_bouts"] > len(bouts), "some bouts are shorter than 30 min"


def test_a_longer_still_start_delays_the_day_and_keeps_its_draws():
    # The wearer stands still 10 s to calibrate instead of the drawn 3-6 s; the day that follows is
    # the same day (the seed's draws), shifted.
    sc = SCENARIOS["desk-day"]
    plain = truth_json(compile_plan(sc, 4, 600.0), 600.0, TruthRules())
    still = truth_json(compile_plan(sc, 4, 600.0, start_still_s=10.0), 600.0, TruthRules())
    acts = [r["activity"] for r in still["timeline"]]
    assert acts[:10] == ["standing"] * 10 and "sitting" in acts[10:14]
    sat = [i for i, r in enumerate(plain["timeline"]) if r["activity"] == "sitting"][0]
    shift = 10 - sat + 1
    assert plain["timeline"][sat + 100]["flexion_deg"] == pytest.approx(
        still["timeline"][sat + 100 + shift]["flexion_deg"], abs=1.0)
