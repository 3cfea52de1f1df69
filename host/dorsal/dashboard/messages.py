"""The dashboard's custom messages. High-rate ones replace their stale predecessors (can_replace)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from textual.message import Message

from dorsal.dashboard.alerts import Escalation
from dorsal.dashboard.feed import LinkStats
from dorsal.dashboard.live import LiveView


@dataclass
class LiveUpdated(Message):
    """The newest live picture (posted up to once per batch; a newer one makes an older one pointless)."""

    view: LiveView
    #: the trunk's latest quaternion (w, x, y, z), for calibration
    quaternion: tuple[float, float, float, float]
    #: a still moment: gyroscope magnitude in rad/s averaged over the batch
    motion_rps: float
    #: the newest batch (SAMPLE_DTYPE); calibration averages it. A replaced message loses its
    #: batch, which only makes the average use fewer samples: the hold time is device time.
    samples: np.ndarray
    stretch_id: str | None = None

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, LiveUpdated)


@dataclass
class LinkChanged(Message):
    """Connection state or statistics changed."""

    state: str
    stats: LinkStats
    device: str | None

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, LinkChanged) and message.state == self.state


@dataclass
class AlertEscalated(Message):
    """An alert was raised or went up a level (never replaced: each one is acted on)."""

    escalation: Escalation

