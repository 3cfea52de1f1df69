"""The firmware's own BLE code (firmware/dorsal_ble.py) as the peripheral on the virtual radio, reached by
unmodified bleak code: scan, connect, MTU, streaming, commands, disconnects from either side, reconnect."""

from __future__ import annotations

import asyncio
import struct

from radiorig import Host, make_wearable, model, run

from dorsal.protocol import wire
from dorsal.virtual_radio import Radio


def test_scan_finds_the_wearable_by_service_uuid_with_its_name_from_the_scan_response(firmware) -> None:  # noqa: ANN001
    async def body() -> tuple:
        radio = Radio(model(30))
        wearable = await make_wearable(radio)
        host = Host(radio)
        device = await host.find()
        await wearable.stop()
        return device, host.last_adv, wearable.app.ble.name

    device, adv, name = run(body)
    assert adv.local_name == name and device.name == name and name.startswith(wire.NAME_PREFIX)
    assert wire.SERVICE_UUID in adv.service_uuids
    assert adv.rssi < 0


def test_a_passive_scan_sees_the_service_but_not_the_name(firmware) -> None:  # noqa: ANN001
    async def body() -> list:
        radio = Radio(model(30))
        wearable = await make_wearable(radio)
        from bleak import BleakScanner

        found = await BleakScanner.discover(timeout=0.5, return_adv=True, service_uuids=[wire.SERVICE_UUID],
                                            scanning_mode="passive", backend=radio.scanner_backend())
        await wearable.stop()
        return list(found.values())

    found = run(body)
    assert len(found) == 1
    _, adv = found[0]
    assert wire.SERVICE_UUID in adv.service_uuids and adv.local_name is None  # no scan request, no response


def test_connect_negotiates_mtu_247_and_finds_the_protocol_characteristics(firmware) -> None:  # noqa: ANN001
    async def body() -> tuple:
        radio = Radio(model(30))
        wearable = await make_wearable(radio)
        host = Host(radio)
        client = await host.connect(await host.find())
        uuids = {c.uuid for s in client.services for c in s.characteristics}
        info = wire.decode_info(bytes(await client.read_gatt_char(wire.INFO_CHAR_UUID)))
        mtu, firmware_mtu = client.mtu_size, wearable.app.ble.mtu
        await client.disconnect()
        await wearable.stop()
        return mtu, firmware_mtu, uuids, info

    mtu, firmware_mtu, uuids, info = run(body)
    assert mtu == 247 and firmware_mtu == 247  # both sides saw the exchange (IRQ 21 on the firmware)
    assert {wire.DATA_CHAR_UUID, wire.CONTROL_CHAR_UUID, wire.RESPONSE_CHAR_UUID, wire.INFO_CHAR_UUID} <= uuids
    assert info["imu"] == "icm42688p"


def test_the_firmware_streams_frames_the_host_decodes_with_continuous_sequence_numbers(firmware) -> None:  # noqa: ANN001
    async def body() -> tuple:
        radio = Radio(model(30))
        wearable = await make_wearable(radio)
        host = Host(radio)
        client = await host.connect(await host.find())
        status = await host.command(wire.CMD_START, 7)
        await asyncio.sleep(2.0)
        await client.disconnect()
        await wearable.stop()
        return status, host

    status, host = run(body)
    assert status[2] == wire.OK
    frames = [h for _, h in host.frames()]
    assert frames, "no data frames arrived"
    assert all(b[2] == a[2] + a[5] for a, b in zip(frames, frames[1:])), "a gap or a repeat in sequence numbers"
    samples = sum(h[5] for h in frames)
    assert samples >= 0.8 * 100 * 2.0  # 100 Hz, less the first frame still filling
    assert max(host.segment_sizes) <= 247 - 3 and max(host.segment_sizes) > 20  # MTU-sized, not cut to 20
    for _, m in host.messages:
        if m[1] == wire.MSG_DATA:
            assert len(wire.decode_data(m)[1]) == wire.decode_header(m)[5]


def test_a_command_written_with_response_gets_its_response(firmware) -> None:  # noqa: ANN001
    async def body() -> tuple:
        radio = Radio(model(30))
        wearable = await make_wearable(radio)
        host = Host(radio)
        client = await host.connect(await host.find())
        identify = await host.command(wire.CMD_IDENTIFY, 41)
        refused = await host.command(wire.CMD_SET_RATE, 42, (5,))  # 5 Hz is below the 10 Hz floor
        await client.disconnect()
        await wearable.stop()
        return identify, refused

    identify, refused = run(body)
    assert identify[0] == wire.CMD_IDENTIFY and identify[1] == 41 and identify[2] == wire.OK
    assert wire.decode_info(identify[3])["imu"] == "icm42688p"
    assert refused[1] == 42 and refused[2] == wire.ERR_BAD_VALUE


def test_peripheral_disconnect_fires_the_callback_and_the_host_reconnects_and_backfills(firmware) -> None:  # noqa: ANN001
    async def body() -> tuple:
        radio = Radio(model(30))
        wearable = await make_wearable(radio)
        host = Host(radio)
        await host.connect(await host.find())
        await host.command(wire.CMD_START, 1)
        await asyncio.sleep(1.0)
        wearable.ble.gap_disconnect(wearable.app.ble.conn)  # the wearable ends the link
        await asyncio.wait_for(host.disconnected.wait(), 2.0)
        connected_after = host.client.is_connected
        await asyncio.sleep(1.0)  # out of reach: samples go to the backlog only
        before = [h for _, h in host.frames()]
        client = await host.connect(await host.find())
        await host.command(wire.CMD_START, 2)
        resume = before[-1][2] + before[-1][5]
        backlog = await host.command(wire.CMD_BACKLOG, 3, (resume, wire.BACKLOG_TO_NOW))
        count = struct.unpack("<III", backlog[3])[2]
        for _ in range(100):  # the backlog is paced after live data: wait for all of it
            await asyncio.sleep(0.1)
            if sum(h[5] for _, h in host.frames() if h[1] == wire.MSG_DATA_BACKLOG) >= count:
                break
        after = [h for _, h in host.frames()][len(before):]
        await client.disconnect()
        await wearable.stop()
        return connected_after, host.disconnects, before, after, backlog

    connected_after, disconnects, before, after, backlog = run(body)
    assert not connected_after and disconnects >= 1
    assert backlog[2] == wire.OK and struct.unpack("<III", backlog[3])[2] >= 90  # ~1 s out of reach
    got = {}
    for h in before + after:
        for i in range(h[5]):
            got[h[2] + i] = got.get(h[2] + i, 0) + 1
    seqs = sorted(got)
    assert seqs == list(range(seqs[0], seqs[-1] + 1)), "the backfill left a gap"
    assert any(h[1] == wire.MSG_DATA_BACKLOG for h in after), "nothing came from the backlog"
    assert len(seqs) >= 0.85 * 100 * 4.0


def test_host_disconnect_reaches_the_firmware_which_advertises_again(firmware) -> None:  # noqa: ANN001
    async def body() -> tuple:
        radio = Radio(model(30))
        wearable = await make_wearable(radio)
        host = Host(radio)
        client = await host.connect(await host.find())
        was = wearable.app.ble.connected()
        await client.disconnect()
        await asyncio.sleep(0.1)
        now = wearable.app.ble.connected()
        callback = host.disconnects
        again = await host.find()
        await wearable.stop()
        return was, now, callback, again

    was, now, callback, again = run(body)
    assert was and not now
    assert callback == 1  # bleak's disconnected_callback on a disconnect the host asked for too (as BlueZ)
    assert again is not None
