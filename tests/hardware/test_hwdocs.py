"""hardware/ is generated from the firmware's board profiles and cannot drift from them."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from dorsal.hwdocs import generate
from dorsal.hwdocs.catalog import BOARDS as FACTS
from dorsal.hwdocs.profiles import load_module, load_profiles
from dorsal.paths import HARDWARE_DIR

PROFILES = load_profiles()
BOARD_NAMES = [p.name for p in PROFILES]


def _raw_pins(raw: dict) -> list[int]:
    """Every GPIO a profile names, read from the raw dict (independently of the generator)."""
    pins = [raw["i2c"]["sda"], raw["i2c"]["scl"], raw["imu_int"], raw["motor"], raw["battery"]["pin"]]
    if isinstance(raw["button"], int):
        pins.append(raw["button"])
    return pins


def _table_gpios(markdown: str) -> dict[int, str]:
    """GPIO -> board label from the signal table of a wiring document."""
    rows = re.findall(r"^\| ([^|]+) \| (\d+) \|", markdown, flags=re.MULTILINE)
    return {int(gpio): label.strip() for label, gpio in rows}


def test_committed_hardware_folder_equals_a_fresh_generation(tmp_path: Path) -> None:
    written = generate(tmp_path)
    fresh = {p.relative_to(tmp_path).as_posix() for p in written}
    committed = {p.relative_to(HARDWARE_DIR).as_posix() for p in HARDWARE_DIR.rglob("*") if p.is_file()}
    assert committed == fresh, "run `python -m dorsal.hwdocs` to regenerate hardware/"
    stale = [rel for rel in sorted(fresh)
             if (HARDWARE_DIR / rel).read_text(encoding="utf-8") != (tmp_path / rel).read_text(encoding="utf-8")]
    assert stale == [], f"hardware/ differs from its generator in {stale}: run `python -m dorsal.hwdocs`"


def test_every_buildable_board_has_wiring_docs_and_buying_facts() -> None:
    module = load_module()
    assert sorted(BOARD_NAMES) == sorted(module.board_names())
    assert "virtual" not in BOARD_NAMES
    for name in BOARD_NAMES:
        assert name in FACTS, f"{name} has no entry in hwdocs/catalog.py"
        assert (HARDWARE_DIR / f"wiring-{name}.md").is_file()
        assert (HARDWARE_DIR / f"wiring-{name}.svg").is_file()


@pytest.mark.parametrize("name", BOARD_NAMES)
def test_every_pin_of_the_profile_is_in_the_wiring_table_once(name: str) -> None:
    raw = load_module().BOARDS[name]
    pins = _raw_pins(raw)
    assert len(pins) == len(set(pins)), f"{name} uses a pin twice: {sorted(pins)}"
    table = _table_gpios((HARDWARE_DIR / f"wiring-{name}.md").read_text(encoding="utf-8"))
    assert sorted(table) == sorted(pins)
    for gpio in pins:
        assert table[gpio] == raw["labels"][gpio], f"GPIO{gpio} is labelled differently on {name}"
    assert set(raw["labels"]) == set(pins), f"{name} labels pins it does not use (or misses a label)"


@pytest.mark.parametrize("name", BOARD_NAMES)
def test_the_diagram_is_valid_svg_showing_every_pin(name: str, tmp_path: Path) -> None:
    path = HARDWARE_DIR / f"wiring-{name}.svg"
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    raw = load_module().BOARDS[name]
    for gpio in _raw_pins(raw):
        assert f"GPIO{gpio}" in texts and raw["labels"][gpio] in texts
    exe = shutil.which("rsvg-convert")
    if exe is None:
        pytest.skip("rsvg-convert is missing (`make test` installs librsvg2-bin): SVG rendering not checked")
    png = tmp_path / "wiring.png"
    subprocess.run([exe, str(path), "-o", str(png)], check=True, capture_output=True, timeout=30)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_bom_lists_every_board_and_every_part_of_the_build() -> None:
    bom = (HARDWARE_DIR / "bom.md").read_text(encoding="utf-8")
    for p in PROFILES:
        assert p.title in bom and FACTS[p.name].part_number in bom
    for needed in ("MPU-6050", "MPU-6500", "ICM-42688-P", "LSM6DSOX", "BMP390", "coin vibration motor", "NPN",
                   "AO3400A", "1N4148", "1 kOhm", "LiPo", "slide switch", "100 kOhm", "strap", "3M 1522"):
        assert needed in bom, needed


@pytest.mark.parametrize("name", BOARD_NAMES)
def test_the_case_renders_for_every_board(name: str, tmp_path: Path) -> None:
    exe = shutil.which("openscad")
    if exe is None:
        pytest.skip("openscad is missing (Debian package openscad): the case source is not rendered")
    stl = tmp_path / "case.stl"
    proc = subprocess.run([exe, "-D", f'board="{name}"', "-o", str(stl), str(HARDWARE_DIR / "enclosure" /
                          "dorsal_case.scad")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr and "ERROR" not in proc.stderr, proc.stderr
    assert stl.read_text().count("facet normal") > 20
