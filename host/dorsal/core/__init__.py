"""The host core: posture angles, activity and events from the orientation stream (vectorized).

Public API (used by the dashboard, the store and the CLI):
``Settings``, ``Calibration``, ``analyze``, ``Analyzer``, ``Analysis``, ``Event``.
"""

from dorsal.core.calibration import Calibration, capture, forward_from_bend
from dorsal.core.pipeline import ACTIVITIES, TIMELINE_DTYPE, Analysis, Analyzer, Event, LiveState, Update, analyze
from dorsal.core.settings import Settings

__all__ = ["ACTIVITIES", "TIMELINE_DTYPE", "Analysis", "Analyzer", "Calibration", "Event", "LiveState", "Settings",
           "Update", "analyze", "capture", "forward_from_bend"]
