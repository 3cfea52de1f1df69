"""A CPython stand-in for MicroPython's ``bluetooth`` module on a Bumble peripheral.

The firmware's BLE code (``firmware/dorsal_ble.py``) takes a BLE object; with
this one it runs unmodified as a peripheral on the virtual radio, reached by
the host's bleak code through real ATT/GATT. Only MicroPython's documented API
is offered (docs.micropython.org, ``bluetooth`` module), with its IRQ event
numbers and data tuple shapes, so code that runs here runs on a board.

Where MicroPython's ports differ, this follows NimBLE (ESP32):

- ``gatts_notify`` sends whether or not the central subscribed, cut to the
  negotiated MTU - 3 octets (as real stacks do), and raises
  ``OSError(ENOMEM)`` while ``tx_buffers`` notifications wait for the link
  (NimBLE's mbuf pool; MicroPython's ESP32 build has 12 blocks of msys_1).
- Advertising stops when a central connects (a connectable legacy advertisement).
- IRQs are called from the event loop, one at a time, like MicroPython's
  scheduled (soft) BLE callbacks.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bumble import att, gatt, hci
from bumble.core import UUID as BumbleUUID
from bumble.device import AdvertisingType, Connection, Device

if TYPE_CHECKING:
    from dorsal.virtual_radio.radio import Radio

logger = logging.getLogger(__name__)

# IRQ events and their data (MicroPython docs, bluetooth.BLE.irq)
IRQ_CENTRAL_CONNECT = 1  # (conn_handle, addr_type, addr)
IRQ_CENTRAL_DISCONNECT = 2  # (conn_handle, addr_type, addr)
IRQ_GATTS_WRITE = 3  # (conn_handle, attr_handle)
IRQ_GATTS_READ_REQUEST = 4  # (conn_handle, attr_handle)
IRQ_GATTS_INDICATE_DONE = 20  # (conn_handle, value_handle, status)
IRQ_MTU_EXCHANGED = 21  # (conn_handle, mtu)
IRQ_CONNECTION_UPDATE = 27  # (conn_handle, conn_interval, conn_latency, supervision_timeout, status)
# the names MicroPython code uses
_IRQ_CENTRAL_CONNECT = IRQ_CENTRAL_CONNECT
_IRQ_CENTRAL_DISCONNECT = IRQ_CENTRAL_DISCONNECT
_IRQ_GATTS_WRITE = IRQ_GATTS_WRITE
_IRQ_GATTS_READ_REQUEST = IRQ_GATTS_READ_REQUEST
_IRQ_GATTS_INDICATE_DONE = IRQ_GATTS_INDICATE_DONE
_IRQ_MTU_EXCHANGED = IRQ_MTU_EXCHANGED
_IRQ_CONNECTION_UPDATE = IRQ_CONNECTION_UPDATE

# characteristic flags (the low byte equals the GATT properties)
FLAG_BROADCAST = 0x0001
FLAG_READ = 0x0002
FLAG_WRITE_NO_RESPONSE = 0x0004
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010
FLAG_INDICATE = 0x0020

ADDR_PUBLIC = 0
ADDR_RANDOM = 1
DEFAULT_BUFFER_OCTETS = 20  # MicroPython's default characteristic buffer
TX_BUFFERS = 12


class UUID:
    """bluetooth.UUID: a 16-bit int, or a string such as "6f9d0001-...", or "0x180F"."""

    def __init__(self, value: int | str) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UUID) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"UUID({self.value!r})"


def _bumble_uuid(u: Any) -> BumbleUUID:
    # accepts this module's UUID, any object with `.value` (the rig's), an int or a str
    v = getattr(u, "value", u)
    if isinstance(v, int):
        return BumbleUUID.from_16_bits(v)
    text = str(v)
    if text.lower().startswith("0x"):
        return BumbleUUID.from_16_bits(int(text, 16))
    return BumbleUUID(text)


class BLE:
    """bluetooth.BLE on a Bumble device of a virtual radio (see the module notes)."""

    UUID = UUID

    def __init__(self, radio: Radio, device: Device) -> None:
        self.radio = radio
        self.device = device
        self._active = False
        self._handler: Callable[[int, tuple], Any] | None = None
        self._values: dict[int, bytes] = {}
        self._buffers: dict[int, tuple[int, bool]] = {}
        self._conns: dict[int, Connection] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._ops: asyncio.Queue[Callable[[], Any]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self.tx_buffers = TX_BUFFERS
        self.gap_name = b"MPY BTSTACK"
        self.device.on(Device.EVENT_CONNECTION, self._on_connection)

    # ------------------------------------------------------------ plumbing
    def _run(self, make: Callable[[], Any]) -> None:
        # stack operations that are asynchronous in Bumble run in call order, one at a time
        self.radio.check_loop()
        self._ops.put_nowait(make)
        if self._worker is None or self._worker.done():
            self._worker = self.radio.loop.create_task(self._work())

    async def _work(self) -> None:
        while not self._ops.empty():
            op = self._ops.get_nowait()
            try:
                await op()
            except Exception:  # one failed operation must not stop the ones queued after it
                logger.exception("virtual radio: a BLE stack operation failed")

    async def settle(self) -> None:
        """Wait until the stack operations asked for so far are done (a test convenience, not MicroPython)."""
        while self._worker is not None and not self._worker.done():
            await asyncio.shield(self._worker)

    def _irq(self, event: int, data: tuple) -> None:
        if self._handler is not None:
            self._handler(event, data)

    # ------------------------------------------------------------ configuration
    def active(self, active: bool | None = None) -> bool | None:
        self.radio.check_loop()
        if active is None:
            return self._active
        self._active = bool(active)
        return None

    def config(self, *names: str, **values: Any) -> Any:
        self.radio.check_loop()
        if names:
            (name,) = names
            if name == "mac":
                address = self.device.random_address
                return (ADDR_RANDOM, bytes(reversed(bytes(address))))
            if name == "mtu":
                return self.device.gatt_server.max_mtu
            if name in ("gap_name", "name"):
                return self.gap_name
            raise ValueError(f"unknown config param {name!r}")
        for name, value in values.items():
            if name == "mtu":
                if not 23 <= value <= 517:
                    raise ValueError("mtu must be 23..517")
                self.device.gatt_server.max_mtu = value
            elif name in ("gap_name", "name"):
                self.gap_name = value if isinstance(value, bytes) else str(value).encode()
                self.device.name = self.gap_name.decode()
            else:
                raise ValueError(f"unknown config param {name!r}")
        return None

    def irq(self, handler: Callable[[int, tuple], Any]) -> None:
        self.radio.check_loop()
        self._handler = handler

    # ------------------------------------------------------------ GAP
    def gap_advertise(self, interval_us: int | None, adv_data: bytes | None = None, resp_data: bytes | None = None,
                      connectable: bool = True) -> None:
        self._require_active()

        async def apply() -> None:
            if self.device.is_advertising:
                await self.device.stop_advertising()
            if interval_us is None:
                return
            interval_ms = max(20.0, interval_us / 1000.0)
            await self.device.start_advertising(
                advertising_type=(AdvertisingType.UNDIRECTED_CONNECTABLE_SCANNABLE if connectable
                                  else AdvertisingType.UNDIRECTED_SCANNABLE),
                advertising_data=bytes(adv_data or b""),
                scan_response_data=bytes(resp_data or b""),
                advertising_interval_min=interval_ms,
                advertising_interval_max=interval_ms,
            )

        self._run(apply)

    def gap_disconnect(self, conn_handle: int) -> bool:
        self._require_active()
        connection = self._conns.get(conn_handle)
        if connection is None:
            return False
        self._run(lambda: connection.disconnect())
        return True

    # ------------------------------------------------------------ GATT server
    def gatts_register_services(self, services: Any) -> tuple[tuple[int, ...], ...]:
        self._require_active()
        built = []
        for service_uuid, chars in services:
            characteristics = []
            for spec in chars:
                characteristics.append(self._characteristic(spec))
            built.append((gatt.Service(_bumble_uuid(service_uuid), [c for c, _ in characteristics]), characteristics))
        self.device.add_services([s for s, _ in built])
        handles = []
        for _, characteristics in built:
            hs: list[int] = []
            for characteristic, descriptors in characteristics:
                hs.append(characteristic.handle)
                self._values.setdefault(characteristic.handle, b"")
                for d in descriptors:
                    hs.append(d.handle)
                    self._values.setdefault(d.handle, b"")
            handles.append(tuple(hs))
        return tuple(handles)

    def _characteristic(self, spec: Any) -> tuple[gatt.Characteristic, list[gatt.Descriptor]]:
        uuid, flags = spec[0], spec[1]
        descriptors = [self._descriptor(d) for d in (spec[2] if len(spec) > 2 else ())]
        holder: list[gatt.Attribute] = []
        permissions = 0
        if flags & FLAG_READ:
            permissions |= gatt.Attribute.READABLE
        if flags & (FLAG_WRITE | FLAG_WRITE_NO_RESPONSE):
            permissions |= gatt.Attribute.WRITEABLE
        value = gatt.CharacteristicValue(read=lambda conn: self._read(conn, holder[0].handle),
                                         write=lambda conn, data: self._written(conn, holder[0].handle, data))
        characteristic = gatt.Characteristic(_bumble_uuid(uuid), gatt.Characteristic.Properties(flags & 0xFF),
                                             gatt.Attribute.Permissions(permissions), value, descriptors)
        holder.append(characteristic)
        return characteristic, descriptors

    def _descriptor(self, spec: Any) -> gatt.Descriptor:
        uuid, flags = spec[0], spec[1]
        holder: list[gatt.Attribute] = []
        permissions = (gatt.Attribute.READABLE if flags & FLAG_READ else 0) | (
            gatt.Attribute.WRITEABLE if flags & FLAG_WRITE else 0)
        value = att.AttributeValue(read=lambda conn: self._read(conn, holder[0].handle),
                                   write=lambda conn, data: self._written(conn, holder[0].handle, data))
        descriptor = gatt.Descriptor(_bumble_uuid(uuid), gatt.Attribute.Permissions(permissions), value)
        holder.append(descriptor)
        return descriptor

    def _read(self, connection: Connection, handle: int) -> bytes:
        return self._values.get(handle, b"")

    def _written(self, connection: Connection, handle: int, data: bytes) -> None:
        size, append = self._buffers.get(handle, (DEFAULT_BUFFER_OCTETS, False))
        data = bytes(data)
        if append:
            data = (self._values.get(handle, b"") + data)[-size:]
        self._values[handle] = data[:size]
        self._irq(IRQ_GATTS_WRITE, (connection.handle, handle))

    def gatts_read(self, value_handle: int) -> bytes:
        self.radio.check_loop()
        if value_handle not in self._values:
            raise OSError(errno.EINVAL)
        return self._values[value_handle]

    def gatts_write(self, value_handle: int, data: bytes, send_update: bool = False) -> None:
        self.radio.check_loop()
        if value_handle not in self._values:
            raise OSError(errno.EINVAL)
        self._values[value_handle] = bytes(data)
        if send_update:
            for handle, connection in self._conns.items():
                cccd = self.device.gatt_server.subscribers.get(connection, {}).get(value_handle)
                if cccd and cccd[0] & 0x03:
                    self.gatts_notify(handle, value_handle)

    def gatts_set_buffer(self, value_handle: int, size: int, append: bool = False) -> None:
        self.radio.check_loop()
        self._buffers[value_handle] = (size, bool(append))

    def gatts_notify(self, conn_handle: int, value_handle: int, data: bytes | None = None) -> None:
        self._require_active()
        connection = self._conns.get(conn_handle)
        if connection is None:
            raise OSError(errno.ENOTCONN)
        if self.radio.link.queued_pdus(connection.self_address, connection.peer_address) >= self.tx_buffers:
            raise OSError(errno.ENOMEM)
        value = bytes(data) if data is not None else self._values.get(value_handle, b"")
        value = value[: connection.att_mtu - 3]
        pdu = att.ATT_Handle_Value_Notification(attribute_handle=value_handle, attribute_value=value)
        self.radio.link.reserve_notification(connection.self_address, connection.peer_address)
        self.device.gatt_server.send_gatt_pdu(connection, bytes(pdu))

    # ------------------------------------------------------------ events from the stack
    def _on_connection(self, connection: Connection) -> None:
        if connection.role != hci.Role.PERIPHERAL:
            return
        handle = connection.handle
        self._conns[handle] = connection
        peer = connection.peer_address
        addr = bytes(reversed(bytes(peer)))
        addr_type = ADDR_PUBLIC if peer.is_public else ADDR_RANDOM

        def on_mtu() -> None:
            self._irq(IRQ_MTU_EXCHANGED, (handle, connection.att_mtu))

        def on_disconnection(reason: int) -> None:
            self._conns.pop(handle, None)
            self.radio.link.forget(connection.self_address, peer)
            self._irq(IRQ_CENTRAL_DISCONNECT, (handle, addr_type, addr))

        connection.on(connection.EVENT_CONNECTION_ATT_MTU_UPDATE, on_mtu)
        connection.on(connection.EVENT_DISCONNECTION, on_disconnection)
        self._irq(IRQ_CENTRAL_CONNECT, (handle, addr_type, addr))

    def _require_active(self) -> None:
        self.radio.check_loop()
        if not self._active:
            raise OSError(errno.EPERM)  # MicroPython: the stack is not active
