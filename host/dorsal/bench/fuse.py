"""Host fusion on BROAD (optical truth): `dorsal fuse --filter best` against `--filter device`.

Both filters fuse every BROAD trial (all of them at scale 1, a share of them
at smaller scales); the figures are tilt RMSE over movement samples (the BROAD
paper's convention, dorsal.fusion_eval) and samples per second of CPU time.
The baseline is the firmware's own filter run on the host, the `device`
choice. Issue 5's targets for `best`: <= 0.6 deg mean tilt RMSE and
>= 1 million samples/s.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from dorsal.core.fusion import fuse_best
from dorsal.devicefilter import fuse_device
from dorsal.fusion_eval import Filter, tilt_rmse_deg, trials

DESCRIPTION = "host fusion on BROAD: --filter best (vqf offline) vs --filter device (the firmware's filter)"


def _score(fuse: Filter, chosen: list) -> tuple[list[float], float]:
    errs, n, spent = [], 0, 0.0
    for tr in chosen:
        t0 = time.process_time()
        q = fuse(tr.t_s, tr.acc_mps2, tr.gyr_rps)
        spent += time.process_time() - t0
        n += tr.t_s.size
        errs.append(tilt_rmse_deg(q, tr))
    return errs, n / spent if spent else 0.0


def run(scale: float = 1.0) -> dict[str, Any]:
    every = list(trials())
    if not every:
        raise RuntimeError("BROAD recordings not found beside the project (../shared/data/broad)")
    chosen = every[:: max(1, round(1 / scale))] if scale < 1 else every
    best, best_rate = _score(fuse_best, chosen)
    dev, dev_rate = _score(fuse_device, chosen)
    return {
        "samples_per_s": best_rate,
        "baseline_samples_per_s": dev_rate,
        "ratio": best_rate / dev_rate if dev_rate else 0.0,
        "trials": len(chosen),
        "best_mean_tilt_rmse_deg": float(np.mean(best)),
        "best_worst_tilt_rmse_deg": float(np.max(best)),
        "device_mean_tilt_rmse_deg": float(np.mean(dev)),
        "device_worst_tilt_rmse_deg": float(np.max(dev)),
        "target": "best: <= 0.6 deg mean tilt RMSE, >= 1e6 samples/s",
    }
