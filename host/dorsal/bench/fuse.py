"""Host fusion on BROAD (optical truth): `dorsal fuse --filter best` against `--filter device`.

Both filters fuse every BROAD trial (all of them at scale 1, a share of them
at smaller scales); the figures are tilt RMSE over movement samples (the BROAD
paper's convention, dorsal.fusion_eval) and samples per second of CPU time.
The baseline is the firmware's own filter run on the host, the `device`
choice. Issue 5's targets for `best`: <= 0.6 deg mean tilt RMSE and
>= 1 million samples/s.
"""

from __future__ import annotations

from typing import Any

from dorsal.core.fusion import fuse_best, samples_per_block
from dorsal.devicefilter import fuse_device
from dorsal.fusion_eval import score, trials

DESCRIPTION = ("host fusion on BROAD: --filter best (vqf offline on ~100 Hz blocks) vs --filter device "
               "(the firmware's filter)")


def run(scale: float = 1.0) -> dict[str, Any]:
    every = list(trials())
    if not every:
        raise RuntimeError("BROAD recordings not found beside the project (../shared/data/broad)")
    chosen = every[:: max(1, round(1 / scale))] if scale < 1 else every
    best = score("best", fuse_best, only=chosen)
    per_block = samples_per_block(1 / chosen[0].rate_hz)  # every BROAD trial is at ~285.7 Hz
    dev = score("device", fuse_device, only=chosen)
    return {
        "samples_per_s": best.samples_per_s,
        "baseline_samples_per_s": dev.samples_per_s,
        "ratio": best.samples_per_s / dev.samples_per_s if dev.samples_per_s else 0.0,
        "trials": len(chosen),
        "best_samples_per_block": per_block,
        "best_block_hz": chosen[0].rate_hz / per_block,
        "best_mean_tilt_rmse_deg": best.mean_deg,
        "best_worst_tilt_rmse_deg": best.worst_deg,
        "device_mean_tilt_rmse_deg": dev.mean_deg,
        "device_worst_tilt_rmse_deg": dev.worst_deg,
        "target": "best: <= 0.6 deg mean tilt RMSE, >= 1e6 samples/s",
    }
