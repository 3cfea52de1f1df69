"""The virtual radio: Bumble devices on one timed in-process link.

A ``Radio`` belongs to the asyncio event loop it was created in: Bumble's
controllers, hosts and devices schedule their work on that loop, and a radio
used from another loop would silently find nothing. Every entry point checks
the loop and raises ``RadioLoopError`` instead. Create one radio per test
(inside ``asyncio.run``), never at import time.
"""

from __future__ import annotations

import asyncio
import itertools

from bumble import hci
from bumble.device import Device, DeviceConfiguration
from bumble.host import Host
from bumble.transport.common import AsyncPipeSink

from dorsal.virtual_radio.controller import RadioController
from dorsal.virtual_radio.link import LinkModel, TimedLink


class RadioError(Exception):
    """A misuse of the virtual radio."""


class RadioLoopError(RadioError):
    """The radio was used from an event loop other than the one it was created in."""


class Radio:
    """Virtual controllers on one timed link, plus the host's adapter (a central).

    model: timing of the connections (see ``dorsal.virtual_radio.link``).
    """

    def __init__(self, model: LinkModel | None = None) -> None:
        try:
            self.loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RadioLoopError("create the virtual radio inside a running event loop (e.g. in asyncio.run)") from None
        self.link = TimedLink(model)
        self._numbers = itertools.count(1)
        self._adapter: Device | None = None
        self.devices: list[Device] = []
        self.known_addresses: dict[str, hci.Address] = {}

    @property
    def model(self) -> LinkModel:
        return self.link.model

    @model.setter
    def model(self, model: LinkModel) -> None:
        self.link.model = model

    def check_loop(self) -> None:
        """Raise RadioLoopError unless called from the loop the radio was created in."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not self.loop:
            raise RadioLoopError(
                "this virtual radio was created in another event loop; Bumble objects are bound to the loop they "
                "were created in: create a new Radio inside each asyncio.run()"
            )

    def next_address(self) -> str:
        """A fresh random static address (two top bits set), distinct per device on this radio."""
        n = next(self._numbers)
        return f"C0:DE:00:00:{n >> 8:02X}:{n & 0xFF:02X}"

    async def new_device(self, name: str, address: str | None = None) -> Device:
        """A powered Bumble device with its own controller on this radio's link."""
        self.check_loop()
        address = address or self.next_address()
        controller = RadioController(name, link=self.link)
        config = DeviceConfiguration(name=name, address=hci.Address(address))
        device = Device(config=config, host=Host(controller, AsyncPipeSink(controller)))
        await device.power_on()
        self.devices.append(device)
        return device

    async def adapter(self) -> Device:
        """The host computer's Bluetooth adapter (one per radio, shared by scanners and clients)."""
        self.check_loop()
        if self._adapter is None:
            self._adapter = await self.new_device("host adapter", "C0:DE:00:00:FF:FF")
        return self._adapter

    def scanner_backend(self) -> type:
        """A bleak scanner backend class bound to this radio: ``BleakScanner(backend=radio.scanner_backend())``."""
        from dorsal.virtual_radio.bleak_backend import BumbleScanner

        return type("BumbleScanner", (BumbleScanner,), {"radio": self})

    def client_backend(self) -> type:
        """A bleak client backend class bound to this radio: ``BleakClient(dev, backend=radio.client_backend())``."""
        from dorsal.virtual_radio.bleak_backend import BumbleClient

        return type("BumbleClient", (BumbleClient,), {"radio": self})

    async def micropython_ble(self, address: str | None = None):  # noqa: ANN201 - avoids an import cycle in the hint
        """A stand-in for MicroPython's ``bluetooth.BLE()`` on a new peripheral device of this radio."""
        from dorsal.virtual_radio.micropython_ble import BLE

        device = await self.new_device("MPY BTSTACK", address)
        return BLE(self, device)
