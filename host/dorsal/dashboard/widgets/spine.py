"""Side view of the upper back, drawn with characters against the calibrated neutral."""

from __future__ import annotations

import math

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

HEIGHT = 9
WIDTH = 21


def spine_cells(flexion_deg: float, length: int = 7) -> list[tuple[int, int]]:
    """Cells (row, col) of the upper back seen from the right: base at the bottom centre,
    the top leaning toward the front (right of the picture) when flexed. The curve grows
    toward the top, as the thoracic spine bends over several segments."""
    cells: list[tuple[int, int]] = []
    base_col = WIDTH // 2
    x = 0.0
    for i in range(length):
        share = (i + 1) / length
        angle = math.radians(flexion_deg) * share
        x += math.sin(angle) * 1.8
        row = HEIGHT - 1 - i
        col = int(round(base_col + x))
        cells.append((row, max(0, min(WIDTH - 1, col))))
    return cells


class SpineView(Widget):
    """Neutral drawn dim, the live back drawn in its zone's colour; front is to the right."""

    flexion_deg: reactive[float] = reactive(0.0)
    zone: reactive[str] = reactive("green")

    def show(self, flexion_deg: float, zone: str) -> None:
        """Redraws only when the drawing changes (its cells or colour), not with every small sway."""
        if (tuple(spine_cells(flexion_deg)), zone) != (tuple(spine_cells(self.flexion_deg)), self.zone):
            self.flexion_deg, self.zone = flexion_deg, zone
        else:
            self.set_reactive(SpineView.flexion_deg, flexion_deg)  # kept current, no repaint

    def render(self) -> Text:
        grid = [[" "] * WIDTH for _ in range(HEIGHT)]
        colour = [[""] * WIDTH for _ in range(HEIGHT)]
        for r, c in spine_cells(0.0):
            grid[r][c] = "┊"
            colour[r][c] = "dim"
        cells = spine_cells(self.flexion_deg)
        for i, (r, c) in enumerate(cells):
            grid[r][c] = "●" if i == len(cells) - 1 else "█"
            colour[r][c] = {"green": "green", "amber": "yellow", "red": "red"}[self.zone]
        text = Text()
        for r in range(HEIGHT):
            for c in range(WIDTH):
                text.append(grid[r][c], style=colour[r][c] or None)
            text.append("\n")
        text.append("back".ljust(WIDTH // 2) + "front".rjust(WIDTH - WIDTH // 2), style="dim")
        return text
