"""A long BLE session with 20 drops of 1-60 s, on virtual time (dorsal.virtual_radio.vtime).

The firmware wearable (xiao-esp32c3 profile: a 6144-sample backlog, 61 s at 100 Hz, fed by the body-motion
simulator) streams over the virtual radio to the host's BleLink; 20 times, at seeded random moments, it goes
out of reach for 1-60 s, the link ended alternately by the wearable and by the host. The link reconnects
with its backoff capped at 0.5 s: with BleLink's default cap of 5 s a 60-s drop can become a 66-s gap,
longer than this backlog (see dorsal.virtual_radio.session).

Issue 6 asks for a 2-hour session. To keep this test within about a minute of wall time, it runs a
1250-s session (about the shortest this seed's 20 drops fit into with their reconnects and backfills)
with the same number of drops of 1-60 s; ``python -m dorsal.virtual_radio.session --hours 2 --drops 20`` runs the
full 2 hours and prints the figures.
"""

from __future__ import annotations

import numpy as np
import pytest

from dorsal.virtual_radio import session

SESSION_S = 1250.0
DROPS = 20
SEED = 7
RATE_HZ = 100.0


@pytest.fixture(scope="module")
def result() -> session.SessionResult:
    drops = session.plan_drops(SESSION_S, DROPS, SEED)
    return session.run(SESSION_S, drops, seed=SEED)


def test_the_plan_has_twenty_drops_of_1_to_60_s_from_both_sides_at_distinct_moments() -> None:
    drops = session.plan_drops(SESSION_S, DROPS, SEED)
    assert len(drops) == DROPS
    assert all(1.0 <= d.seconds <= 60.0 for d in drops) and max(d.seconds for d in drops) > 55.0 and min(d.seconds for d in drops) < 5.0
    assert {d.side for d in drops} == {"wearable", "host"}
    assert all(a.at_s + a.seconds < b.at_s for a, b in zip(drops, drops[1:]))
    assert drops == session.plan_drops(SESSION_S, DROPS, SEED)  # seeded
    with pytest.raises(ValueError, match="need a session"):
        session.plan_drops(600.0, DROPS, SEED)


def test_every_drop_ended_a_live_link_and_the_link_came_back(result: session.SessionResult) -> None:
    assert len(result.drops) == DROPS
    assert all(o.was_connected and o.reconnected_s is not None and o.backfilled_s is not None for o in result.drops)
    assert result.disconnects == DROPS and result.connects == DROPS + 1
    # every gap (out of reach, then the reconnect) fits into the device's backlog: none may lose a sample
    assert result.longest_gap_s is not None and result.longest_gap_s * RATE_HZ < result.backlog_samples == 6144


def test_every_sample_arrives_exactly_once_and_in_order(result: session.SessionResult) -> None:
    print(result.summary())
    assert result.in_order_once, "a gap or a repeat in what the link handed out"
    assert result.matches_firmware, "the samples handed out differ from the firmware's"
    assert result.missing == 0 and result.samples == result.produced
    # the host's stream covers the session on the device's clock (all but the first connect)
    assert result.produced > (SESSION_S - 15.0) * RATE_HZ
    assert result.lost == 0


def test_the_gaps_came_back_from_the_backlog(result: session.SessionResult) -> None:
    assert result.recovered == result.recovered_in_stream > 0
    assert result.backlog_requests >= DROPS
    out_of_reach = sum(o.drop.seconds for o in result.drops)
    gaps = sum(o.gap_s or 0.0 for o in result.drops)
    # at least what was produced while out of reach, at most the gaps up to the reconnects (plus a frame each)
    assert out_of_reach * RATE_HZ <= result.recovered <= (gaps + 0.1 * DROPS) * RATE_HZ
    assert np.isclose(result.recovered, gaps * RATE_HZ, rtol=0.05)
