"""Write hardware/: every file there comes from the board profiles and this package."""

from __future__ import annotations

from pathlib import Path

from dorsal.hwdocs import bom, enclosure, power, texts
from dorsal.hwdocs.profiles import BoardProfile, load_profiles
from dorsal.hwdocs.wiring import wiring_markdown, wiring_svg
from dorsal.paths import FIRMWARE_DIR


def documents(boards: list[BoardProfile]) -> dict[str, str]:
    """Relative path -> text of every generated file."""
    docs = {
        "README.md": texts.readme(boards),
        "bom.md": bom.markdown(boards),
        "placement.md": texts.placement(),
        "power.md": power.markdown(boards),
        "enclosure.md": enclosure.markdown(boards),
        "enclosure/dorsal_case.scad": enclosure.scad(boards),
    }
    for b in boards:
        docs[f"wiring-{b.name}.md"] = wiring_markdown(b)
        docs[f"wiring-{b.name}.svg"] = wiring_svg(b)
    return docs


def generate(out_dir: Path, firmware_dir: Path = FIRMWARE_DIR) -> list[Path]:
    """Write every document under out_dir; returns the paths written."""
    written = []
    for rel, text in documents(load_profiles(firmware_dir)).items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
