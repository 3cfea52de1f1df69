"""Alerts that escalate instead of nagging: a notice, then the terminal bell, then the device's buzz.

Each kind has a condition (from the live tracker) and an escalation period:
while the condition lasts, the level rises one step per period. Snoozing
silences every alert for a while; an alert ends when its condition ends.
Delays are engineering choices (SEED_NOTES.md): products alert on slouching
after 5 s to 10 min (Lumo Lift recommends 2 min); we notice after 60 s.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Level(IntEnum):
    NONE = 0
    NOTICE = 1
    BELL = 2
    BUZZ = 3


@dataclass(frozen=True)
class AlertKind:
    kind: str
    title: str
    what_to_do: str
    #: time between escalation steps while the condition lasts
    escalate_after_s: float


KINDS: dict[str, AlertKind] = {k.kind: k for k in (
    AlertKind("slouch", "Slouching", "Sit back, lift your chest, and let your shoulders drop.", 60.0),
    AlertKind("prolonged_sitting", "Long sitting bout",
              "Stand up and walk for a minute or two; the standing bends are a good break (press s).", 300.0),
    # The posture has been unknown for a long time (no stand-up, sit-down or walk seen): one sensor on the back
    # cannot tell sitting still from standing still (SEED_NOTES.md), so the text says what it saw, not which.
    AlertKind("long_still", "Still for a long time",
              "No stand-up or walk seen for longer than your sitting limit: if you are sitting, stand up and walk "
              "for a minute or two.", 300.0),
    AlertKind("excessive_extension", "Leaning back past your limit",
              "Ease off: come back toward upright until it feels comfortable.", 5.0),
    AlertKind("twist", "Twisting often today",
              "Twisting often can over-stretch the back; try the standing bends instead (press s). "
              "If the urge to twist keeps coming, consider asking a doctor.", 600.0),
)}

SNOOZE_S = 15 * 60.0


@dataclass(frozen=True)
class Alert:
    kind: str
    title: str
    what_to_do: str
    level: Level
    since_s: float


@dataclass(frozen=True)
class Escalation:
    """A level change the UI acts on (bell for BELL, device buzz for BUZZ)."""

    kind: str
    level: Level


class AlertBook:
    """Active alerts and their escalation, driven by device time."""

    def __init__(self) -> None:
        self._since_s: dict[str, float] = {}
        self._level: dict[str, Level] = {}
        self.snoozed_until_s = float("-inf")
        self.raised_total = 0

    def snooze(self, now_s: float, duration_s: float = SNOOZE_S) -> None:
        self.snoozed_until_s = now_s + duration_s

    def snoozed(self, now_s: float) -> bool:
        return now_s < self.snoozed_until_s

    def update(self, now_s: float, conditions: dict[str, bool]) -> list[Escalation]:
        out: list[Escalation] = []
        for kind, on in conditions.items():
            if not on:
                self._since_s.pop(kind, None)
                self._level.pop(kind, None)
                continue
            since = self._since_s.setdefault(kind, now_s)
            if self.snoozed(now_s):
                continue
            steps = int((now_s - since) // KINDS[kind].escalate_after_s)
            level = Level(min(int(Level.BUZZ), 1 + steps))
            if level > self._level.get(kind, Level.NONE):
                if kind not in self._level:
                    self.raised_total += 1
                self._level[kind] = level
                out.append(Escalation(kind, level))
        return out

    def active(self, now_s: float) -> list[Alert]:
        return [
            Alert(kind, KINDS[kind].title, KINDS[kind].what_to_do, level, self._since_s[kind])
            for kind, level in sorted(self._level.items(), key=lambda kv: -kv[1])
        ]
