"""The stretch coach without the UI: routines as data, a session that watches one routine live,
and the learner of the user's comfortable extension limit."""

from dorsal.coach.limits import ExtensionLimit, Zone, zone_of
from dorsal.coach.routines import ROUTINES, Position, Routine, Step, routine, routines_in_order
from dorsal.coach.session import CoachSession, CoachStatus

__all__ = [
    "ROUTINES", "CoachSession", "CoachStatus", "ExtensionLimit", "Position", "Routine", "Step", "Zone",
    "routine", "routines_in_order", "zone_of",
]
