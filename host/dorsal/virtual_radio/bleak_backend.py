"""A bleak backend on the virtual radio.

bleak lets a caller choose the backend (``BleakScanner(backend=...)``,
``BleakClient(..., backend=...)``); everything else is bleak's own public API.
The backend classes find their radio in the class attribute ``radio`` (use
``Radio.scanner_backend()`` / ``Radio.client_backend()``, which return
subclasses bound to one radio, so nothing global is patched) or in a
``radio=`` keyword argument.

The client behaves like bleak's BlueZ backend where it matters to an
application: it asks for an ATT MTU of 517 right after connecting (the
peripheral's limit decides), discovers all services, characteristics and
descriptors before ``connect()`` returns, and calls ``disconnected_callback``
whenever the link goes down, whichever side ended it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ClassVar

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError
from bleak.uuids import normalize_uuid_str
from bumble import att, hci
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.gatt_client import CharacteristicProxy

from dorsal.virtual_radio.radio import Radio

#: What BlueZ asks for (its default MTU); the peripheral's own limit decides.
REQUESTED_MTU = 517
#: bleak's list of property names, by GATT property bit
_PROPERTY_NAMES = ((0x01, "broadcast"), (0x02, "read"), (0x04, "write-without-response"), (0x08, "write"),
                   (0x10, "notify"), (0x20, "indicate"), (0x40, "authenticated-signed-writes"),
                   (0x80, "extended-properties"))


def _uuid_text(uuid: Any) -> str:
    """A Bumble UUID as bleak spells UUIDs: full 128-bit, lower case."""
    return normalize_uuid_str(uuid.to_hex_str("-").lower())


def _radio_of(owner: Any, kwargs: dict[str, Any]) -> Radio:
    radio = kwargs.pop("radio", None) or owner.radio
    if radio is None:
        raise BleakError("no virtual radio: use Radio.scanner_backend()/client_backend() or pass radio=")
    radio.check_loop()
    return radio


def advertisement_data(adv: Advertisement, raw: bytes) -> AdvertisementData:
    """bleak's AdvertisementData from advertising (plus scan-response) AD structures."""
    name = None
    uuids: list[str] = []
    manufacturer: dict[int, bytes] = {}
    service_data: dict[str, bytes] = {}
    tx_power = None
    i = 0
    while i + 1 < len(raw):
        n = raw[i]
        if n == 0 or i + 1 + n > len(raw):
            break
        kind, value = raw[i + 1], bytes(raw[i + 2 : i + 1 + n])
        i += 1 + n
        if kind in (0x08, 0x09):
            if kind == 0x09 or name is None:
                name = value.decode("utf-8", "replace")
        elif kind in (0x02, 0x03):
            uuids += [normalize_uuid_str(f"{int.from_bytes(value[j:j + 2], 'little'):04x}")
                      for j in range(0, len(value) - 1, 2)]
        elif kind in (0x06, 0x07):
            for j in range(0, len(value) - 15, 16):
                h = value[j : j + 16][::-1].hex()
                uuids.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
        elif kind == 0x0A and value:
            tx_power = int.from_bytes(value[:1], "little", signed=True)
        elif kind == 0xFF and len(value) >= 2:
            manufacturer[int.from_bytes(value[:2], "little")] = value[2:]
        elif kind == 0x16 and len(value) >= 2:
            service_data[normalize_uuid_str(f"{int.from_bytes(value[:2], 'little'):04x}")] = value[2:]
    return AdvertisementData(local_name=name, manufacturer_data=manufacturer, service_data=service_data,
                             service_uuids=uuids, tx_power=tx_power, rssi=adv.rssi, platform_data=(adv,))


class BumbleScanner(BaseBleakScanner):
    """bleak scanner backend on the virtual radio's host adapter."""

    radio: ClassVar[Radio | None] = None

    def __init__(self, detection_callback: Any, service_uuids: list[str] | None,
                 scanning_mode: str = "active", **kwargs: Any) -> None:
        super().__init__(detection_callback, service_uuids)
        self._radio = _radio_of(self, kwargs)
        self._active = scanning_mode != "passive"
        self._adapter: Device | None = None

    async def start(self) -> None:
        self._radio.check_loop()
        self.seen_devices = {}
        self._adapter = await self._radio.adapter()
        self._adapter.on(Device.EVENT_ADVERTISEMENT, self._on_advertisement)
        await self._adapter.start_scanning(active=self._active, filter_duplicates=False)

    async def stop(self) -> None:
        self._radio.check_loop()
        if self._adapter is None:
            return
        self._adapter.remove_listener(Device.EVENT_ADVERTISEMENT, self._on_advertisement)
        if self._adapter.is_scanning:
            await self._adapter.stop_scanning()
        self._adapter = None

    def _on_advertisement(self, adv: Advertisement) -> None:
        data = advertisement_data(adv, bytes(adv.data))
        if not self.is_allowed_uuid(data.service_uuids):
            return
        address = adv.address.to_string(with_type_qualifier=False)
        self._radio.known_addresses[address] = adv.address
        device = self.create_or_update_device(address, address, data.local_name, adv.address, data)
        self.call_detection_callbacks(device, data)


class BumbleClient(BaseBleakClient):
    """bleak client backend on the virtual radio's host adapter."""

    radio: ClassVar[Radio | None] = None

    def __init__(self, address_or_ble_device: BLEDevice | str, *, disconnected_callback: Callable[[], None] | None,
                 timeout: float, services: set[str] | None = None, **kwargs: Any) -> None:
        radio = _radio_of(self, kwargs)
        super().__init__(address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout)
        self._radio = radio
        self._details = address_or_ble_device.details if isinstance(address_or_ble_device, BLEDevice) else None
        self._name = address_or_ble_device.name if isinstance(address_or_ble_device, BLEDevice) else None
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._subscriptions: dict[int, Callable[[bytes], None]] = {}

    @property
    def name(self) -> str:
        return self._name or self.address

    @property
    def mtu_size(self) -> int:
        return self._connection.att_mtu if self._connection is not None else att.ATT_DEFAULT_MTU

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    def _peer_address(self) -> hci.Address:
        if isinstance(self._details, hci.Address):
            return self._details
        known = self._radio.known_addresses.get(self.address.upper())
        return known if known is not None else hci.Address(self.address, hci.Address.RANDOM_DEVICE_ADDRESS)

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        self._radio.check_loop()
        if self._connection is not None:
            return
        adapter = await self._radio.adapter()
        try:
            connection = await adapter.connect(self._peer_address(), timeout=self._timeout)
        except Exception as e:  # Bumble raises its own timeout and HCI errors
            raise BleakDeviceNotFoundError(self.address, f"could not connect to {self.address}: {e}") from e
        self._connection = connection
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        try:
            self._peer = Peer(connection)
            await self._peer.request_mtu(REQUESTED_MTU)
            self.services = await self._discover()
        except BaseException:
            await self.disconnect()
            raise

    async def _discover(self) -> BleakGATTServiceCollection:
        assert self._peer is not None
        collection = BleakGATTServiceCollection()
        for service in await self._peer.discover_services():
            bservice = BleakGATTService(service, service.handle, _uuid_text(service.uuid))
            collection.add_service(bservice)
            for characteristic in await service.discover_characteristics():
                props = [name for bit, name in _PROPERTY_NAMES if characteristic.properties & bit]
                bchar = BleakGATTCharacteristic(characteristic, characteristic.handle, _uuid_text(characteristic.uuid),
                                                props, lambda: self.mtu_size - 3, bservice)
                collection.add_characteristic(bchar)
                for descriptor in await characteristic.discover_descriptors():
                    collection.add_descriptor(BleakGATTDescriptor(descriptor, descriptor.handle,
                                                                  _uuid_text(descriptor.type), bchar))
        return collection

    def _on_disconnection(self, reason: int) -> None:
        self._connection = None
        self._peer = None
        self._subscriptions.clear()
        if self._disconnected_callback is not None:
            self._disconnected_callback()

    async def disconnect(self) -> None:
        self._radio.check_loop()
        connection = self._connection
        if connection is None:
            return
        done = asyncio.get_running_loop().create_future()
        connection.once(connection.EVENT_DISCONNECTION, lambda reason: done.done() or done.set_result(reason))
        await connection.disconnect()
        await asyncio.wait_for(done, self._timeout)

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        raise BleakError("pairing is not modelled by the virtual radio")

    async def unpair(self) -> None:
        raise BleakError("pairing is not modelled by the virtual radio")

    def _proxy(self, attribute: BleakGATTCharacteristic | BleakGATTDescriptor) -> Any:
        if self._connection is None:
            raise BleakError("Not connected")
        return attribute.obj

    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, **kwargs: Any) -> bytearray:
        try:
            return bytearray(await self._proxy(characteristic).read_value())
        except att.ATT_Error as e:
            raise BleakGATTProtocolError(e.error_code) from e

    async def read_gatt_descriptor(self, descriptor: BleakGATTDescriptor, **kwargs: Any) -> bytearray:
        try:
            return bytearray(await self._proxy(descriptor).read_value())
        except att.ATT_Error as e:
            raise BleakGATTProtocolError(e.error_code) from e

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: Any, response: bool) -> None:
        try:
            await self._proxy(characteristic).write_value(bytes(data), with_response=response)
        except att.ATT_Error as e:
            raise BleakGATTProtocolError(e.error_code) from e

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        try:
            await self._proxy(descriptor).write_value(bytes(data), with_response=True)
        except att.ATT_Error as e:
            raise BleakGATTProtocolError(e.error_code) from e

    async def start_notify(self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback,
                           **kwargs: Any) -> None:
        proxy: CharacteristicProxy = self._proxy(characteristic)

        def deliver(value: bytes) -> None:
            callback(bytearray(value))

        self._subscriptions[characteristic.handle] = deliver
        try:
            await proxy.subscribe(deliver)
        except att.ATT_Error as e:
            raise BleakGATTProtocolError(e.error_code) from e

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        proxy: CharacteristicProxy = self._proxy(characteristic)
        deliver = self._subscriptions.pop(characteristic.handle, None)
        await proxy.unsubscribe(deliver)
