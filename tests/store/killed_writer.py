"""A dashboard-like writer, run as a separate process by test_crash.py and killed with SIGKILL.

Appends one data frame to a recording and queues one event in the store every
few milliseconds, printing "<index> <enqueue time>" after each step so the
test knows how far it got before the kill.
"""

from __future__ import annotations

import sys
import time

from dorsal.protocol import wire
from dorsal.recording import RecordingWriter
from dorsal.store import BackgroundWriter


def main(db: str, recording: str) -> None:
    writer = BackgroundWriter(db, commit_every_s=0.5)
    rec = RecordingWriter(recording, {"device": "dorsal-crash", "rate_hz": 100})
    sid = writer.start_session("dorsal-crash", recording=recording)
    record = (16384, 0, 0, 0, 0, 0, 1000, 0, 0, 0, 0)
    i = 0
    while True:
        rec.write_message(wire.encode_data(i * 10, i * 100, 10000, [record] * 10))
        t = time.time()
        writer.add_event(sid, "twist", t, t + 1.0, {"i": i})
        print(i, repr(t), flush=True)
        i += 1
        time.sleep(0.003)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
