"""The stretch routines, one per stretch id in SEED_NOTES.md, as data.

The texts are the product's own words: what to do, how to breathe, when to
stop. They make no medical promise; every routine ends on pain.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Position(str, Enum):
    """Body position a step expects, checked from the trunk's orientation."""

    UPRIGHT = "upright"  # standing or sitting: the trunk close to vertical
    LYING_SIDE = "lying on the side"
    LYING_BACK = "lying on the back"
    LYING_FRONT = "lying face down"
    ANY = "any"


@dataclass(frozen=True)
class Step:
    """One step: what to do, how long to hold, an optional breathing cue, the expected position."""

    text: str
    hold_s: float
    position: Position = Position.ANY
    breathing: str | None = None
    #: the live extension is compared with the user's limit during this step
    watch_extension: bool = False


@dataclass(frozen=True)
class Routine:
    stretch_id: str
    title: str
    setup: str
    steps: tuple[Step, ...]
    caution: str
    #: this routine turns the back (it counts as a twist)
    is_twist: bool = False
    #: preferred to twisting (suggested first when the user twists a lot)
    preferred: bool = False


STOP_ON_PAIN = "Stop at once if anything hurts: press h."

ROUTINES: dict[str, Routine] = {r.stretch_id: r for r in (
    Routine(
        "standing-bends", "Standing bends",
        "Stand with your feet hip-width apart, knees soft.",
        (
            Step("Bend forward slowly, let your arms hang.", 10, Position.ANY, "Breathe out as you bend."),
            Step("Come back up and lean back a little, hands on your hips.", 8, Position.UPRIGHT,
                 "Breathe in as you rise.", watch_extension=True),
            Step("Lean to the left, the right arm over your head.", 8, Position.UPRIGHT, "Breathe slowly."),
            Step("Lean to the right, the left arm over your head.", 8, Position.UPRIGHT, "Breathe slowly."),
        ),
        "A gentle way to loosen the back; prefer it to twisting or cracking.",
        preferred=True,
    ),
    Routine(
        "standing-back-lean", "Standing back lean",
        "Stand up. Stack both hands on the middle of your spine.",
        (
            Step("Press your hands in gently.", 5, Position.UPRIGHT, "Breathe in."),
            Step("Lean back over your hands, only as far as is comfortable.", 8, Position.UPRIGHT,
                 "Breathe out slowly while you lean.", watch_extension=True),
            Step("Come back upright and relax.", 5, Position.UPRIGHT, "Breathe normally."),
        ),
        "Keep the lean comfortable; the bar turns amber near your limit and red past it.",
    ),
    Routine(
        "chair-back-extension", "Chair back extension",
        "Sit at the front edge of a chair with a low back.",
        (
            Step("Put your palms on your forehead.", 4, Position.UPRIGHT, "Breathe in."),
            Step("Lean back over the chair back; head and shoulders go back over it.", 8, Position.ANY,
                 "Breathe out slowly as you lean.", watch_extension=True),
            Step("Sit up again and rest.", 5, Position.UPRIGHT, "Breathe normally."),
        ),
        "Lean only as far as is comfortable.",
    ),
    Routine(
        "side-lying-knees-to-chest", "Side-lying knees to chest",
        "Lie on your side on a cushioned floor.",
        (
            Step("Pull your knees to your chest.", 10, Position.LYING_SIDE, "Breathe slowly."),
            Step("Stretch your legs out and hold your feet behind you.", 10, Position.LYING_SIDE,
                 "Breathe slowly.", watch_extension=True),
            Step("Turn onto the other side and repeat: knees to chest.", 10, Position.LYING_SIDE, "Breathe slowly."),
            Step("Stretch out and hold your feet again.", 10, Position.LYING_SIDE, "Breathe slowly.",
                 watch_extension=True),
        ),
        "Skip holding the feet if it hurts.",
    ),
    Routine(
        "assisted-prone-press", "Assisted press, lying face down",
        "Lie face down on a firm surface, arms at your sides. A helper kneels at your head.",
        (
            Step("Breathe in. The helper places both hands between your shoulder blades.", 4,
                 Position.LYING_FRONT, "Breathe in."),
            Step("Breathe out while the helper presses lightly; keep talking to each other.", 4,
                 Position.LYING_FRONT, "Breathe out slowly."),
            Step("Repeat a few times; the helper presses a little more each time only if it is comfortable.",
                 12, Position.LYING_FRONT, "Press only while you breathe out."),
        ),
        "Say stop at any discomfort; the helper stops at once.",
    ),
    Routine(
        "ball-rollout", "Exercise ball roll-out",
        "Lie back over an exercise ball, feet on the floor.",
        (
            Step("Relax over the ball.", 10, Position.ANY, "Breathe slowly.", watch_extension=True),
            Step("Roll the ball along your back by bending and straightening your knees.", 30, Position.ANY,
                 "Breathe steadily; take your time.", watch_extension=True),
        ),
        "Go slowly; this can take a few minutes.",
    ),
    Routine(
        "seated-twist", "Seated twist",
        "Sit with your legs straight. Bend one knee and cross it over the other leg.",
        (
            Step("Brace the bent knee with the opposite arm and turn gently toward it.", 6, Position.UPRIGHT,
                 "Breathe out as you turn."),
            Step("Release, then do the other side.", 6, Position.UPRIGHT, "Breathe out as you turn."),
        ),
        "This counts as a twist. Twisting often is not recommended; prefer the standing bends.",
        is_twist=True,
    ),
    Routine(
        "bed-edge-extension", "Bed edge extension",
        "Lie on your back on a bed with your shoulder blades just past the edge.",
        (
            Step("Let your upper back and arms sink toward the floor.", 10, Position.LYING_BACK,
                 "Breathe out and let go.", watch_extension=True),
            Step("Lift your spine back up with your stomach muscles.", 5, Position.LYING_BACK, "Breathe in."),
            Step("Move a little further from the edge and repeat, if comfortable.", 10, Position.LYING_BACK,
                 "Breathe out and let go.", watch_extension=True),
        ),
        "This is a large extension: watch the bar and stay comfortable.",
    ),
    Routine(
        "rocking", "Rocking",
        "Lie on your back and hug your knees to your chest.",
        (Step("Roll gently back and forth along your spine, in an even rhythm.", 20, Position.LYING_BACK,
              "Breathe with the rhythm."),),
        "Keep it gentle; a soft surface helps.",
    ),
    Routine(
        "supine-chin-tuck", "Lying chin tuck",
        "Lie on your back on a firm floor, knees bent, lower back pressed flat.",
        (
            Step("Hands behind your head, gently guide your chin toward your chest.", 6, Position.LYING_BACK,
                 "Breathe out slowly."),
            Step("Relax back down.", 4, Position.LYING_BACK, "Breathe in."),
            Step("Repeat once or twice with light pressure only.", 8, Position.LYING_BACK, "Breathe out slowly."),
        ),
        "Light pressure only.",
    ),
)}


def routine(stretch_id: str) -> Routine:
    try:
        return ROUTINES[stretch_id]
    except KeyError:
        from dorsal.errors import DorsalError

        raise DorsalError(f"no stretch called {stretch_id!r}; known: {', '.join(ROUTINES)}") from None


def routines_in_order(twists_today: int, twist_limit_per_day: int) -> list[Routine]:
    """The menu order: preferred stretches first when the user has been twisting a lot
    (half the daily limit or more); twisting routines last in that case."""
    items = [r for r in ROUTINES.values() if not r.preferred] + [r for r in ROUTINES.values() if r.preferred]
    if twist_limit_per_day > 0 and twists_today * 2 >= twist_limit_per_day:
        items.sort(key=lambda r: (not r.preferred, r.is_twist))
    return items
