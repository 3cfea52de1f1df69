"""Day and week reports from the history store: terminal charts, SVG, CSV, JSON, and advice over time."""
