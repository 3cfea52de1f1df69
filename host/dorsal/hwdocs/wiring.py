"""Wiring per board: the pin table (Markdown) and a diagram (SVG), both from the profile."""

from __future__ import annotations

from xml.sax.saxutils import escape

from dorsal.hwdocs.catalog import BOARDS, BoardFacts
from dorsal.hwdocs.profiles import BoardProfile, PinUse

#: Diagram colours per signal role (wire colours a maker can follow).
ROLE_COLOURS = {
    "sda": "#1f77b4",
    "scl": "#ff7f0e",
    "imu_int": "#9467bd",
    "motor": "#2ca02c",
    "button": "#8c564b",
    "battery": "#d62728",
    "3v3": "#e377c2",
    "gnd": "#333333",
}


def wiring_markdown(board: BoardProfile) -> str:
    facts = BOARDS[board.name]
    lines = [
        f"# Wiring: {board.title}",
        "",
        f"Generated from `firmware/dorsal_boards.py` (profile `{board.name}`) by `python -m dorsal.hwdocs`;",
        "do not edit by hand. Diagram: " + f"[wiring-{board.name}.svg](wiring-{board.name}.svg).",
        "",
        "## Signals",
        "",
        "| Board pin | GPIO | Function | Connect to |",
        "|---|---|---|---|",
    ]
    for use in board.pin_uses():
        lines.append(f"| {use.label} | {use.gpio} | {use.function} | {use.connects_to} |")
    if board.button_is_bootsel:
        lines.append("| BOOTSEL button | - | safe-mode button (read with `rp2.bootsel_button()`) | nothing to wire |")
    lines += [
        "",
        "## Power",
        "",
        "| Board pin | Connect to | Note |",
        "|---|---|---|",
    ]
    for pin, to, note in facts.power_pins:
        lines.append(f"| {pin} | {to} | {note} |")
    lines += [
        "",
        "## Vibration motor driver",
        "",
        f"- {_label(board, 'motor')} -> 1 kOhm -> NPN base (BC337 or MMBT2222A); emitter to GND.",
        "- Motor (+) to 3V3, motor (-) to the NPN collector.",
        "- 1N4148 across the motor: cathode (ring) to 3V3, anode to the collector.",
        "",
        "## Battery voltage",
        "",
        f"- BAT+ -> 100 kOhm -> {_label(board, 'battery')} -> 100 kOhm -> GND, and 100 nF from "
        f"{_label(board, 'battery')} to GND.",
        f"- The firmware multiplies the pin voltage by {board.battery_divider:g} (the profile's `divider`).",
        "",
        "## I2C",
        "",
        f"- IMU and the optional BMP390 share the bus at {board.i2c_freq_hz // 1000} kHz. Most breakouts have "
        "their own 10 kOhm (or 4.7 kOhm) pull-ups; with two breakouts keep one pair.",
        "- Keep the four IMU wires under ~20 cm and twist SDA and SCL each with a GND lead when they run "
        "along a strap.",
        "- MPU-6050/6500 and ICM-42688-P answer at 0x68 (AD0 low) or 0x69; LSM6DSOX at 0x6A or 0x6B. "
        "The firmware finds the chip by its WHO_AM_I register.",
    ]
    if facts.notes:
        lines += ["", "## Board notes", ""]
        lines += [f"- {n}" for n in facts.notes]
    lines += ["", f"Board documentation: {board.url}", ""]
    return "\n".join(lines)


def _label(board: BoardProfile, role: str) -> str:
    for use in board.pin_uses():
        if use.role == role:
            return use.label
    raise KeyError(role)


# --- diagram ---------------------------------------------------------------

_ROW_PX = 34
_TOP_PX = 70
_BOARD_X = 30
_BOARD_W = 250
_PART_X = 520
_PART_W = 250


def _text(x: float, y: float, s: str, size: int = 13, anchor: str = "start", weight: str = "normal") -> str:
    return (f'<text x="{x:g}" y="{y:g}" font-family="sans-serif" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}">{escape(s)}</text>')


def _parts_for(board: BoardProfile) -> list[tuple[str, list[tuple[str, str]]]]:
    """The boxes on the right: (title, [(terminal text, role)]) in a fixed order."""
    parts: list[tuple[str, list[tuple[str, str]]]] = [
        ("IMU breakout", [("VCC", "3v3"), ("GND", "gnd"), ("SDA", "sda"), ("SCL", "scl"), ("INT", "imu_int")]),
        ("Motor driver", [("1 kOhm -> NPN base", "motor"), ("motor (+), 1N4148 cathode: 3V3", "3v3"),
                          ("NPN emitter: GND", "gnd")]),
        ("Battery divider", [("100k/100k middle + 100 nF", "battery"), ("bottom: GND", "gnd")]),
    ]
    if not board.button_is_bootsel:
        parts.append(("Button (on board)", [("BOOT", "button")]))
    return parts


def wiring_svg(board: BoardProfile) -> str:
    facts: BoardFacts = BOARDS[board.name]
    uses: list[PinUse] = board.pin_uses()
    board_rows: list[tuple[str, str, str]] = [("3V3", "3V3", "3v3"), ("GND", "GND", "gnd")]
    board_rows += [(u.label, f"GPIO{u.gpio}", u.role) for u in uses]
    parts = _parts_for(board)
    part_rows = sum(len(t) + 2 for _, t in parts)
    height = _TOP_PX + max(len(board_rows) + 1, part_rows) * _ROW_PX + 60
    width = _PART_X + _PART_W + 30
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        f"<title>{escape('Wiring: ' + board.title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        _text(_BOARD_X, 30, f"dorsal wiring: {board.title}", 16, weight="bold"),
        _text(_BOARD_X, 50, "generated from firmware/dorsal_boards.py; power pins: see the table", 11),
    ]
    board_h = (len(board_rows) + 1) * _ROW_PX
    out.append(f'<rect x="{_BOARD_X}" y="{_TOP_PX}" width="{_BOARD_W}" height="{board_h}" rx="8" '
               f'fill="#e8f0e8" stroke="#2f4f2f" stroke-width="2"/>')
    out.append(_text(_BOARD_X + _BOARD_W / 2, _TOP_PX + 22, board.name, 14, "middle", "bold"))
    pin_y: dict[str, list[float]] = {}
    for i, (label, gpio, role) in enumerate(board_rows):
        y = _TOP_PX + (i + 1) * _ROW_PX + 12
        pin_y.setdefault(role, []).append(y)
        out.append(_text(_BOARD_X + 12, y + 4, gpio if gpio != label else "", 11))
        out.append(_text(_BOARD_X + _BOARD_W - 14, y + 4, label, 13, "end"))
        out.append(f'<circle cx="{_BOARD_X + _BOARD_W}" cy="{y}" r="4" fill="{ROLE_COLOURS[role]}"/>')
    # half a row below the board's pins: no wire runs along another wire's line
    y_cursor = _TOP_PX + _ROW_PX / 2
    bus_x = {"3v3": _PART_X - 60, "gnd": _PART_X - 40}
    for title, terminals in parts:
        box_h = (len(terminals) + 1) * _ROW_PX
        out.append(f'<rect x="{_PART_X}" y="{y_cursor:g}" width="{_PART_W}" height="{box_h}" rx="6" '
                   f'fill="#eef2fa" stroke="#2f3f6f" stroke-width="2"/>')
        out.append(_text(_PART_X + _PART_W / 2, y_cursor + 22, title, 14, "middle", "bold"))
        for j, (term, role) in enumerate(terminals):
            ty = y_cursor + (j + 1) * _ROW_PX + 12
            colour = ROLE_COLOURS[role]
            out.append(f'<circle cx="{_PART_X}" cy="{ty:g}" r="4" fill="{colour}"/>')
            out.append(_text(_PART_X + 12, ty + 4, term, 12))
            if role in bus_x:
                # power goes to a vertical rail instead of a wire per terminal: fewer crossings
                out.append(f'<line x1="{bus_x[role]}" y1="{ty:g}" x2="{_PART_X}" y2="{ty:g}" stroke="{colour}" '
                           f'stroke-width="2"/>')
                pin_y.setdefault(role + "_rail", []).append(ty)
            else:
                sy = pin_y[role][0]
                mid = _BOARD_X + _BOARD_W + 40 + 20 * list(ROLE_COLOURS).index(role)
                out.append(f'<polyline points="{_BOARD_X + _BOARD_W},{sy:g} {mid},{sy:g} {mid},{ty:g} '
                           f'{_PART_X},{ty:g}" fill="none" stroke="{colour}" stroke-width="2"/>')
        y_cursor += box_h + _ROW_PX
    for role in ("3v3", "gnd"):
        ys = pin_y[role] + pin_y.get(role + "_rail", [])
        x = bus_x[role]
        out.append(f'<line x1="{x}" y1="{min(ys):g}" x2="{x}" y2="{max(ys):g}" stroke="{ROLE_COLOURS[role]}" '
                   f'stroke-width="3"/>')
        sy = pin_y[role][0]
        out.append(f'<line x1="{_BOARD_X + _BOARD_W}" y1="{sy:g}" x2="{x}" y2="{sy:g}" '
                   f'stroke="{ROLE_COLOURS[role]}" stroke-width="3"/>')
    out.append(_text(_BOARD_X, height - 20, f"Battery: {facts.charger}", 11))
    out.append("</svg>")
    return "\n".join(out) + "\n"
