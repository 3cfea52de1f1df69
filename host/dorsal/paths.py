"""Where things are: the source tree (firmware, protocol) and the user's data folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

#: The project root (holds firmware/, protocol/, hardware/). dorsal runs from a
#: source checkout (``make demo`` installs it editable), so these are real folders.
ROOT = Path(__file__).resolve().parents[2]
FIRMWARE_DIR = ROOT / "firmware"
PROTOCOL_DIR = ROOT / "protocol"
HARDWARE_DIR = ROOT / "hardware"


def data_home() -> Path:
    """All user data lives here: ``$DORSAL_HOME`` when set, else the platform's data folder."""
    env = os.environ.get("DORSAL_HOME")
    path = Path(env) if env else Path(platformdirs.user_data_dir("dorsal", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path
