"""`dorsal fuse` and `dorsal analyze --imu-csv` on BROAD: the host's best filter against optical truth."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dorsal.core.fusion import fuse_best

DORSAL = str(Path(sys.executable).with_name("dorsal"))


def tilt_rmse_deg(q_est: np.ndarray, q_ref: np.ndarray, mask: np.ndarray) -> float:
    """RMS angle between the estimated and reference vertical in the sensor frame (heading excluded)."""
    def up_in_sensor(q: np.ndarray) -> np.ndarray:
        w, x, y, z = q.T  # third row of the sensor->Earth rotation matrix
        return np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], axis=1)
    a, b = up_in_sensor(q_est), up_in_sensor(q_ref)
    cos = np.clip(np.einsum("ij,ij->i", a, b) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1), -1, 1)
    err = np.degrees(np.arccos(cos))[mask]
    return float(np.sqrt(np.mean(err**2)))


def test_best_filter_tilt_error_on_broad(shared_data: Path) -> None:
    errors = []
    for f in sorted((shared_data / "broad").glob("*.npz")):
        d = np.load(f, allow_pickle=False)
        q = fuse_best(d["t"], d["acc"], d["gyr"])
        ok = ~np.isnan(d["quat"]).any(axis=1) & (d["label"] == 1)
        errors.append(tilt_rmse_deg(q, d["quat"], ok))
    assert np.mean(errors) <= 0.6, errors


def test_fuse_cli_writes_one_quaternion_per_sample(tmp_path: Path) -> None:
    t = np.arange(0, 20, 0.01)
    csv = tmp_path / "imu.csv"
    rows = np.column_stack([t, np.zeros_like(t), np.zeros_like(t), np.full_like(t, 9.81),
                            np.zeros_like(t), np.zeros_like(t), np.full_like(t, 0.1)])
    np.savetxt(csv, rows, delimiter=",", header="t_s,ax_mps2,ay_mps2,az_mps2,gx_rps,gy_rps,gz_rps", comments="")
    out = tmp_path / "q.csv"
    r = subprocess.run([DORSAL, "fuse", "--imu-csv", str(csv), "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    q = np.loadtxt(out, delimiter=",", skiprows=1)
    assert q.shape == (t.size, 5)
    assert np.allclose(np.linalg.norm(q[:, 1:], axis=1), 1, atol=1e-5)
    yaw = np.unwrap(2 * np.arctan2(q[:, 4], q[:, 1]))  # pure rotation about z
    assert abs((yaw[-1] - yaw[0]) - 0.1 * (t[-1] - t[0])) < 0.05


@pytest.mark.parametrize("content,message", [("a,b\n1,2\n", "missing column"), ("", "empty file")])
def test_bad_csv_is_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text(content)
    r = subprocess.run([DORSAL, "analyze", "--imu-csv", str(csv)], capture_output=True, text=True)
    assert r.returncode == 1 and message in r.stderr and "Traceback" not in r.stderr


def test_fuse_cli_device_filter_is_the_firmware_filter(shared_data: Path, tmp_path: Path) -> None:
    """`--filter device` runs firmware/dorsal_fusion.py on the host: tilt within the firmware's target on BROAD."""
    from dorsal import devicefilter, fusion_eval

    trial = next(t for t in fusion_eval.trials(shared_data / "broad") if t.name.startswith("04"))
    csv = tmp_path / "imu.csv"
    np.savetxt(csv, np.column_stack([trial.t_s, trial.acc_mps2, trial.gyr_rps]), delimiter=",",
               header="t_s,ax_mps2,ay_mps2,az_mps2,gx_rps,gy_rps,gz_rps", comments="")
    out = tmp_path / "q.csv"
    r = subprocess.run([DORSAL, "fuse", "--imu-csv", str(csv), "--filter", "device", "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    q = np.loadtxt(out, delimiter=",", skiprows=1)[:, 1:]
    assert fusion_eval.tilt_rmse_deg(q, trial) <= 1.0
    direct = devicefilter.fuse_device(trial.t_s, trial.acc_mps2, trial.gyr_rps)
    assert np.allclose(q, direct, atol=1e-6)
