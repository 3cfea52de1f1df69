"""The stretch coach without the UI: routines, the live session, the learned extension limit."""

from __future__ import annotations

import re

from dorsal.coach import ROUTINES, CoachSession, ExtensionLimit, Position, Zone, routine, routines_in_order, zone_of
from dorsal.coach.limits import MAX_LEARNED_LIMIT_DEG
from dorsal.paths import ROOT

SEED = ROOT.parent / "shared" / "SEED_NOTES.md"
SEED_IDS = ["standing-back-lean", "chair-back-extension", "side-lying-knees-to-chest", "assisted-prone-press",
            "ball-rollout", "seated-twist", "bed-edge-extension", "rocking", "supine-chin-tuck", "standing-bends"]


def test_one_routine_per_stretch_in_the_seed_notes() -> None:
    ids = SEED_IDS
    if SEED.exists():
        ids = re.findall(r"^\| ([a-z][a-z-]+)", SEED.read_text(), flags=re.M)
        ids = [i for i in ids if i != "id"]
    assert sorted(ROUTINES) == sorted(ids)
    for r in ROUTINES.values():
        assert r.steps and all(s.hold_s > 0 and s.text for s in r.steps)
    assert ROUTINES["seated-twist"].is_twist and ROUTINES["standing-bends"].preferred


def test_standing_bends_come_first_when_the_user_twists_a_lot() -> None:
    calm = routines_in_order(twists_today=0, twist_limit_per_day=4)
    assert calm[0].stretch_id != "standing-bends"
    twisty = routines_in_order(twists_today=3, twist_limit_per_day=4)
    assert twisty[0].stretch_id == "standing-bends"
    assert twisty[-1].stretch_id == "seated-twist"


def test_zones_against_the_limit() -> None:
    assert zone_of(5, 15) is Zone.GREEN
    assert zone_of(13, 15) is Zone.AMBER
    assert zone_of(16, 15) is Zone.RED


def test_hold_timer_runs_only_in_position_and_pauses_in_red() -> None:
    session = CoachSession(routine("standing-back-lean"), ExtensionLimit(15.0))
    session.update(0.0, 0.0, 0.0, 80.0)  # lying: not the upright position the step expects
    status = session.update(3.0, 0.0, 0.0, 80.0)
    assert not status.position_ok and status.hold_left_s == session.step.hold_s
    t = 3.0
    for _ in range(60):  # upright for 6 s: the 5 s first step completes
        t += 0.1
        status = session.update(t, 0.0, 0.0, 5.0)
    assert status.step_index == 1 and session.step.watch_extension
    held_before = session.held_s
    for _ in range(20):  # leaning 20 deg back, past the limit: red, the timer waits
        t += 0.1
        status = session.update(t, -20.0, 0.0, 20.0)
    assert status.zone is Zone.RED and session.held_s == held_before
    for _ in range(100):
        t += 0.1
        status = session.update(t, -10.0, 0.0, 10.0)
    assert status.step_index == 2
    for _ in range(60):
        t += 0.1
        status = session.update(t, 0.0, 0.0, 3.0)
    assert status.finished and status.peak_extension_deg >= 20.0


def test_it_hurts_stops_at_once_and_lowers_the_limit() -> None:
    limit = ExtensionLimit(15.0)
    session = CoachSession(routine("chair-back-extension"), limit)
    session.next_step()
    session.update(0.0, -14.0, 0.0, 14.0)
    context = session.hurts()
    assert session.stopped_for_pain
    assert context["stretch_id"] == "chair-back-extension" and context["extension_deg"] == 14.0
    assert limit.limit_deg == 11.2  # 80 % of where it hurt
    before = session.held_s
    status = session.update(10.0, 0.0, 0.0, 5.0)
    assert session.held_s == before and status.stopped_for_pain and not status.finished


def test_limit_learned_from_pain_free_stretches_moves_slowly_and_is_capped() -> None:
    limit = ExtensionLimit(15.0)
    assert limit.stretch_done(18.0) == 17.0  # at most 2 deg per stretch
    assert limit.stretch_done(18.0) == 18.0
    for _ in range(20):
        limit.stretch_done(40.0)
    assert limit.limit_deg == MAX_LEARNED_LIMIT_DEG
    again = ExtensionLimit.from_dict(limit.to_dict())
    assert again.limit_deg == limit.limit_deg and list(again.peaks_deg) == list(limit.peaks_deg)


def test_position_check_for_lying_on_the_side() -> None:
    session = CoachSession(routine("side-lying-knees-to-chest"), ExtensionLimit())
    assert session.step.position is Position.LYING_SIDE
    assert not session.update(0.0, 0.0, 0.0, 3.0).position_ok  # sitting up
    assert session.update(0.1, 0.0, 88.0, 88.0).position_ok  # on the right side
