"""A virtual Bluetooth LE radio for tests and the demo: Bumble on a timed link.

- ``Radio``: virtual controllers on one in-process link with connection-event
  timing (``LinkModel``), bound to the event loop it was created in.
- ``Radio.scanner_backend()`` / ``Radio.client_backend()``: bleak backends on it,
  for unmodified bleak code (``BleakScanner(backend=...)``, ``BleakClient(..., backend=...)``).
- ``await Radio.micropython_ble()``: a stand-in for MicroPython's ``bluetooth.BLE()``,
  so the firmware's BLE code runs unmodified as the peripheral.
"""

from dorsal.virtual_radio.link import LinkModel, TimedLink
from dorsal.virtual_radio.radio import Radio, RadioError, RadioLoopError

__all__ = ["LinkModel", "Radio", "RadioError", "RadioLoopError", "TimedLink"]
