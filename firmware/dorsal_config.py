# Config and calibration on the board's flash, written safely: a temporary
# file, then a rename (LittleFS renames atomically, so a power cut at any
# moment leaves either the old or the new file). A missing, corrupt or
# foreign file gives the defaults, and says so (`problem`).

import json
import os

SCHEMA = 1
PATH = "dorsal_config.json"

DEFAULTS = {
    "schema": SCHEMA,
    "board": None,  # name in dorsal_boards; None: detect from os.uname()
    "rate_hz": 100,
    "neutral_q14": None,  # [w, x, y, z] captured upright neutral
    "alert_deg10": 250,  # device-side slouch alert threshold, 0.1 deg
    "alert_delay_s": 60,
    "alert_enabled": 1,
    "name_suffix": None,
}


def defaults():
    d = {}
    for k in DEFAULTS:
        v = DEFAULTS[k]
        d[k] = list(v) if isinstance(v, list) else v
    return d


def load(path=PATH):
    # -> (config dict, problem text or None)
    try:
        with open(path) as f:
            raw = json.load(f)
    except OSError:
        return defaults(), None
    except ValueError:
        return defaults(), "config file is corrupt; using defaults"
    if not isinstance(raw, dict) or raw.get("schema") != SCHEMA:
        return defaults(), "config file has another schema; using defaults"
    cfg = defaults()
    for k in cfg:
        if k in raw:
            cfg[k] = raw[k]
    return cfg, None


def save(cfg, path=PATH):
    tmp = path + ".tmp"
    data = json.dumps(cfg)
    with open(tmp, "w") as f:
        f.write(data)
    # rename replaces the old file in one step on LittleFS (and POSIX); never
    # remove it first, or a cut between the two steps loses the calibration
    os.rename(tmp, path)
