"""The virtual wearable: a body-motion model, datasheet IMU models, scenarios as data, ground truth.

``SensorStream(scenario, seed, rate_hz, imu).next_chunk(duration_s)`` gives
physical samples (sensor frame) with their truth; ``dorsal.sim.engine``
turns them into the device's wire messages; ``dorsal.sim.truth`` writes the
ground truth in the shape of ``dorsal analyze --json --timeline``.
"""

from dorsal.sim.scenarios import SCENARIOS, Scenario, Step, compile_plan
from dorsal.sim.stream import SensorChunk, SensorStream

__all__ = ["SCENARIOS", "Scenario", "SensorChunk", "SensorStream", "Step", "compile_plan"]
