"""dorsal: an open wearable posture monitor (host side)."""

__version__ = "0.1.0"
