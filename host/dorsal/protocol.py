"""The wire protocol module, shared verbatim with the firmware.

``protocol/dorsal_protocol.py`` is the single source of truth for the format;
it is written in the subset of Python that MicroPython runs. This module loads
that very file (no copy) and registers it as ``dorsal_protocol`` so that
firmware code imported under CPython gets the same module object.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from dorsal.paths import PROTOCOL_DIR


def _load() -> ModuleType:
    existing = sys.modules.get("dorsal_protocol")
    if existing is not None:
        return existing
    path = PROTOCOL_DIR / "dorsal_protocol.py"
    spec = importlib.util.spec_from_file_location("dorsal_protocol", path)
    if spec is None or spec.loader is None:  # pragma: no cover - broken checkout
        raise ImportError(f"protocol module missing at {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["dorsal_protocol"] = module
    spec.loader.exec_module(module)
    return module


wire = _load()
ProtocolError = wire.ProtocolError
