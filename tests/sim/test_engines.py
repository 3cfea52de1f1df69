"""Both engines give the same frames: in-process CPython and the real MicroPython interpreter.

While the firmware rig is not in the tree, "cpython" falls back to the temporary encoder engine and
"micropython" to the temporary encoder script running inside the real interpreter (engine_used
says which ran); once the rig lands both run the firmware's own app and this test compares those.
"""

from __future__ import annotations

import numpy as np

from dorsal.protocol import wire
from dorsal.sim.engine import VirtualWearable


def _run(engine: str, chunk_s: float) -> tuple[str, list]:
    vw = VirtualWearable("seated-twist", seed=2, duration_s=40, engine=engine)
    out = []
    while not vw.done:
        out += vw.next_messages(chunk_s)
    return vw.engine_used, out


def test_cpython_and_micropython_engines_give_the_same_frames_within_float32_tolerance(micropython):
    used_c, a = _run("cpython", 7.3)
    used_m, b = _run("micropython", 3.1)
    assert "micropython" in used_m
    assert len(a) == len(b) > 400
    for x, y in zip(a, b):
        assert x.payload[:wire.HEADER_SIZE] == y.payload[:wire.HEADER_SIZE]
        assert abs(x.t_s - y.t_s) < 1e-9
        if x.payload[1] in (wire.MSG_DATA, wire.MSG_DATA_BACKLOG):
            ra = np.frombuffer(x.payload[wire.HEADER_SIZE:], "<i2").astype(int)
            rb = np.frombuffer(y.payload[wire.HEADER_SIZE:], "<i2").astype(int)
            # one LSB: the interpreter gets the samples as float32 (the stream file's format)
            assert np.abs(ra - rb).max() <= 1
        else:
            assert x.payload == y.payload
    identical = sum(x.payload == y.payload for x, y in zip(a, b))
    assert identical > 0.9 * len(a)
