"""Bridge to the firmware rig (firmware/rig): the firmware's own code produces the frames."""

from __future__ import annotations

from typing import Any

from dorsal.paths import FIRMWARE_DIR


def available() -> bool:
    """True when the firmware rig has been published (firmware/rig/README.md and its modules)."""
    return (FIRMWARE_DIR / "rig" / "README.md").exists() and (FIRMWARE_DIR / "rig" / "__init__.py").exists()


def make_backend(wearable: Any, engine: str) -> Any:
    raise RuntimeError("the firmware rig's interface is not wired into the simulator yet")
