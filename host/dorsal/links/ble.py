"""The BLE link with bleak: scan by the dorsal service UUID, connect, subscribe, reconnect forever.

``backend`` is bleak's own injection point: None is the platform's stack;
``dorsal.virtual_radio.Radio`` gives backends for the virtual radio (tests,
``--sim --link ble``). Only bleak's public API is used, so the same code runs
on both.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dorsal.links.base import DeviceInfo, Link, LinkDown, LinkError, backoff_delays
from dorsal.protocol import wire

#: Longest pause between reconnect scans. A gap is the time out of reach plus the reconnect, and it must fit
#: in the device's backlog (61 s on the XIAO ESP32-C3): with a 5 s pause a 60 s drop became a 66 s gap and
#: lost samples in the accelerated 2-hour session (dorsal.virtual_radio.session); scanning is only listening.
RECONNECT_CAP_S = 0.5

BATTERY_LEVEL_UUID = "00002a19-0000-1000-8000-00805f9b34fb"
SCAN_TIMEOUT_S = 3.0
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Found:
    """A wearable seen by a scan."""

    name: str
    address: str
    rssi_dbm: int | None
    battery_percent: int | None
    device: Any  # bleak's BLEDevice, for connecting


def _no_adapter(exc: BaseException) -> LinkError:
    return LinkError(f"no Bluetooth adapter is available ({type(exc).__name__}: {exc}); "
                     "`dorsal doctor` checks the Bluetooth set-up; `dorsal watch --sim --link ble` runs without one")


def _matches(target: str | None, name: str, address: str) -> bool:
    if target is None:
        return True
    return target.lower() in (name.lower(), address.lower())


async def scan(timeout_s: float = SCAN_TIMEOUT_S, backend: type | None = None, target: str | None = None,
               read_battery: bool = False, client_backend: type | None = None) -> list[Found]:
    """Wearables advertising the dorsal service, strongest first. Raises LinkError when there is no adapter.

    With ``target`` (a name or an address) the scan stops at the first match. The battery level is not
    advertised: with ``read_battery`` each wearable is connected briefly to read it.
    """
    from bleak import BleakScanner

    seen: dict[str, Found] = {}
    done = asyncio.Event()

    def on_adv(device: Any, adv: Any) -> None:
        if wire.SERVICE_UUID not in [u.lower() for u in adv.service_uuids]:
            return
        name = adv.local_name or device.name or ""
        old = seen.get(device.address)
        if not name and old is not None:
            name = old.name
        seen[device.address] = Found(name, device.address, adv.rssi, None, device)
        if target is not None and name and _matches(target, name, device.address):
            done.set()

    kwargs: dict[str, Any] = {"service_uuids": [wire.SERVICE_UUID]}
    if backend is not None:
        kwargs["backend"] = backend
    try:
        scanner = BleakScanner(on_adv, **kwargs)
        await scanner.start()
    except Exception as exc:  # noqa: BLE001 - every platform fails differently without an adapter
        raise _no_adapter(exc) from None
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), timeout_s)
    finally:
        await scanner.stop()
    found = sorted(seen.values(), key=lambda f: -(f.rssi_dbm if f.rssi_dbm is not None else -999))
    if read_battery:
        found = [await _with_battery(f, client_backend) for f in found]
    return found


async def _with_battery(found: Found, client_backend: type | None) -> Found:
    from bleak import BleakClient

    kwargs: dict[str, Any] = {"backend": client_backend} if client_backend is not None else {}
    try:
        async with BleakClient(found.device, timeout=CONNECT_TIMEOUT_S, **kwargs) as client:
            level = bytes(await client.read_gatt_char(BATTERY_LEVEL_UUID))
    except Exception:  # noqa: BLE001 - a wearable that walked away keeps its row, without a battery level
        return found
    return Found(found.name, found.address, found.rssi_dbm, level[0] if level else None, found.device)


class BleLink(Link):
    """Scans, connects by name or address (or the only wearable in range), streams, reconnects forever."""

    source = "ble"

    def __init__(self, target: str | None = None, *, scanner_backend: type | None = None,
                 client_backend: type | None = None, scan_timeout_s: float = SCAN_TIMEOUT_S,
                 record: str | None = None, batch_s: float = 0.1,
                 delays: Callable[[], Any] = lambda: backoff_delays(0.2, RECONNECT_CAP_S)) -> None:
        super().__init__(record=record, batch_s=batch_s)
        self.target = target
        self.scanner_backend = scanner_backend
        self.client_backend = client_backend
        self.scan_timeout_s = scan_timeout_s
        self.client: Any = None
        self._delays = delays
        self._reassembler = wire.Reassembler()

    async def _find(self) -> Found | None:
        found = await scan(self.scan_timeout_s, self.scanner_backend, self.target)
        named = [f for f in found if _matches(self.target, f.name, f.address)]
        if self.target is None and len(named) > 1:
            listed = ", ".join(f"{f.name or '?'} ({f.address})" for f in named)
            raise LinkError(f"{len(named)} wearables in range: {listed}; choose one with --ble NAME|ADDR")
        return named[0] if named else None

    async def _run(self) -> None:
        self._set_state("searching")
        delays = self._delays()
        while not self.closed:
            found = await self._find()
            if found is None:
                await asyncio.sleep(next(delays))
                continue
            # reconnect to this very wearable from now on
            self.target = found.address
            self.rssi_dbm = found.rssi_dbm
            self.info = DeviceInfo(name=found.name, address=found.address, rssi_dbm=found.rssi_dbm)
            self._set_state("connecting" if self.connects == 0 else "reconnecting")
            try:
                await self._session(found)
                delays = self._delays()
            except (LinkDown, TimeoutError, OSError) as exc:
                self._went_down()
                self._note({"link": "connect failed", "why": f"{type(exc).__name__}: {exc}"})
            except Exception as exc:  # noqa: BLE001 - bleak raises BleakError and backend errors alike
                if isinstance(exc, LinkError):
                    raise
                self._went_down()
                self._note({"link": "connect failed", "why": f"{type(exc).__name__}: {exc}"})
            if self.closed:
                break
            self._set_state("reconnecting")
            await asyncio.sleep(next(delays))

    async def _session(self, found: Found) -> None:
        from bleak import BleakClient

        loop = asyncio.get_running_loop()
        gone = asyncio.Event()

        def on_disconnect(_client: Any) -> None:
            loop.call_soon_threadsafe(gone.set)

        kwargs: dict[str, Any] = {"backend": self.client_backend} if self.client_backend is not None else {}
        client = BleakClient(found.device, disconnected_callback=on_disconnect, timeout=CONNECT_TIMEOUT_S, **kwargs)
        self.client = client
        try:
            await client.connect()
            self.mtu = client.mtu_size
            self._reassembler = wire.Reassembler()
            await client.start_notify(wire.DATA_CHAR_UUID, self._on_segment)
            await client.start_notify(wire.RESPONSE_CHAR_UUID, self._on_response_value)
            with contextlib.suppress(Exception):
                level = bytes(await client.read_gatt_char(BATTERY_LEVEL_UUID))
                if level:
                    self.battery_percent = level[0]
                await client.start_notify(BATTERY_LEVEL_UUID, self._on_battery)
            self._went_up()
            await self._handshake()
            self._set_state("streaming")
            await gone.wait()
        finally:
            self._reassembler.reset()
            self._went_down()
            self.client = None
            if client.is_connected:
                with contextlib.suppress(Exception):
                    await client.disconnect()

    def _on_segment(self, _char: Any, data: bytearray) -> None:
        before = self._reassembler.errors
        msg = self._reassembler.feed(bytes(data))
        self.decode_errors += self._reassembler.errors - before
        if msg is not None:
            self._on_message(msg)

    def _on_response_value(self, _char: Any, data: bytearray) -> None:
        self._on_message(bytes(data))

    def _on_battery(self, _char: Any, data: bytearray) -> None:
        if data:
            self.battery_percent = data[0]

    async def _send(self, message: bytes) -> None:
        client = self.client
        if client is None or not client.is_connected:
            raise LinkDown()
        try:
            await client.write_gatt_char(wire.CONTROL_CHAR_UUID, message, response=True)
        except Exception as exc:  # noqa: BLE001 - a write on a link that just dropped
            raise LinkDown() from exc

    async def _close_transport(self) -> None:
        client = self.client
        if client is not None and client.is_connected:
            with contextlib.suppress(Exception):
                await client.disconnect()
