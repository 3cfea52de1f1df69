"""hardware/ generated from the firmware's board profiles: BOM, wiring tables and diagrams, placement,
power budget, enclosure. Run ``python -m dorsal.hwdocs [OUT_DIR]`` to rewrite hardware/."""

from dorsal.hwdocs.generate import documents, generate

__all__ = ["documents", "generate"]
