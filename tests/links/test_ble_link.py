"""The BLE link over the virtual radio, against the firmware's own BLE peripheral: scanning, connecting,
streaming, and reconnects with backfill so that every sample arrives exactly once, in order."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
from linkrig import LinkReader, run

from dorsal.decode import SOURCE_BACKLOG, StreamDecoder
from dorsal.links.base import LinkError
from dorsal.links.ble import BleLink, scan
from dorsal.protocol import wire
from dorsal.virtual_radio import LinkModel, Radio
from dorsal.virtual_radio.wearable import make_wearable

FIELDS = ("seq", "t_s", "qw", "qx", "qy", "qz", "ax_mps2", "ay_mps2", "az_mps2", "gx_rps", "gy_rps", "gz_rps",
          "status")


class Consumer(LinkReader):
    """Reads a BLE link's batches in a task, as the dashboard does."""

    def samples(self) -> np.ndarray:
        return np.concatenate(self.parts)

    def snapshot(self) -> tuple[np.ndarray, Any]:
        """Everything handed out so far (read or not yet read by the consumer) and the stats, at one instant."""
        return np.concatenate(self.parts + self.link._out), self.link.stats()

    async def wait_for(self, check: Any, timeout_s: float) -> None:
        await self.until(check, timeout_s, "timed out")

    async def stop(self) -> None:
        await self.close()


def reference(frames: list[bytes]) -> np.ndarray:
    """The uninterrupted stream: every data frame the app produced, decoded."""
    return StreamDecoder().decode([f for f in frames if f[1] == wire.MSG_DATA])


def link_on(radio: Radio, **kw: Any) -> BleLink:
    return BleLink(scanner_backend=radio.scanner_backend(), client_backend=radio.client_backend(),
                   scan_timeout_s=1.0, **kw)


async def _wearable(radio: Radio, **kw: Any) -> tuple[Any, list[bytes]]:
    w = await make_wearable(radio, **kw)
    produced: list[bytes] = []
    w.app.sinks.append(lambda m: produced.append(bytes(m)))
    return w, produced


def test_scan_lists_the_wearable_with_name_address_and_rssi() -> None:
    async def body() -> tuple[list[Any], str]:
        radio = Radio(LinkModel(interval_ms=30))
        w, _ = await _wearable(radio)
        found = await scan(1.0, radio.scanner_backend(), read_battery=True, client_backend=radio.client_backend())
        name = w.name
        await w.stop()
        return found, name

    found, name = run(body)
    assert [f.name for f in found] == [name]
    assert found[0].address and found[0].rssi_dbm is not None and found[0].rssi_dbm < 0
    assert found[0].battery_percent is not None and 0 <= found[0].battery_percent <= 100


def test_connects_to_the_only_wearable_in_range_and_streams_decoded_samples_at_100_hz() -> None:
    async def body() -> tuple[Any, ...]:
        radio = Radio(LinkModel(interval_ms=30))
        w, produced = await _wearable(radio)
        c = Consumer(link_on(radio))
        await c.wait_for(lambda: c.link.samples >= 300, 20)
        await c.stop()
        await w.stop()
        return c.samples(), reference(produced), c.last, c.states

    got, ref, last, states = run(body)
    assert states[0] in ("searching", "connecting") and "streaming" in states
    assert got.size >= 300 and np.all(np.diff(got["seq"]) == 1)
    assert last.stats.rate_hz == 100.0 and last.stats.mtu == 247 and last.info.imu == "icm42688p"
    at = np.searchsorted(ref["seq"], got["seq"][0])
    for f in FIELDS:
        np.testing.assert_array_equal(got[f], ref[f][at : at + got.size], err_msg=f)
    assert last.stats.latency_ms_p50 is not None and 0 < last.stats.latency_ms_p50 < last.stats.latency_ms_p99 + 1e-9
    print(f"latency at 30 ms interval: p50 {last.stats.latency_ms_p50} ms, p99 {last.stats.latency_ms_p99} ms")


def test_connecting_by_a_name_nobody_has_keeps_searching() -> None:
    async def body() -> list[str]:
        radio = Radio(LinkModel(interval_ms=30))
        w, _ = await _wearable(radio)
        c = Consumer(link_on(radio, target="dorsal-none"))
        await asyncio.sleep(2.5)
        await c.stop()
        await w.stop()
        return c.states

    states = run(body)
    assert states[0] == "searching" and "streaming" not in states


def test_two_wearables_in_range_without_a_name_is_a_clear_error() -> None:
    async def body() -> str:
        radio = Radio(LinkModel(interval_ms=30))
        a, _ = await _wearable(radio)
        b, _ = await _wearable(radio)
        link = link_on(radio)
        try:
            async for _ in link.batches():
                pass
        except LinkError as exc:
            return str(exc)
        finally:
            await a.stop()
            await b.stop()
        return ""

    message = run(body)
    assert "2 wearables in range" in message and "--ble NAME|ADDR" in message


def test_repeated_disconnects_from_both_sides_lose_nothing_and_duplicate_nothing() -> None:
    # drops of 0.5-2 s, ended by the wearable and by the host, each followed by a reconnect and a backfill
    drops = [("wearable", 1.0), ("host", 1.5), ("wearable", 0.5), ("host", 1.0)]

    async def body() -> tuple[Any, ...]:
        radio = Radio(LinkModel(interval_ms=30))
        w, produced = await _wearable(radio)
        c = Consumer(link_on(radio))
        await c.wait_for(lambda: c.link.samples >= 100, 20)
        for side, seconds in drops:
            if side == "wearable":
                await w.out_of_reach(seconds, "wearable")
            else:
                w.in_reach = False
                await c.link.client.disconnect()
                await asyncio.sleep(seconds)
                await w.back_in_reach()
            await c.wait_for(lambda: c.link.connected and c.link.samples > 0, 20)
            await asyncio.sleep(0.5)
        # let the last backfill finish: the link hands out everything up to the live stream
        end_seq = w.app.seq
        await c.wait_for(lambda: (c.link.merge.next_seq or 0) >= end_seq, 40)
        got, stats = c.snapshot()
        await c.stop()
        await w.stop()
        return got, reference(produced), stats

    got, ref, stats = run(body, timeout_s=90)
    assert np.all(np.diff(got["seq"]) == 1), "a gap or a repeat in what the link handed out"
    at = np.searchsorted(ref["seq"], got["seq"][0])
    for f in FIELDS:
        np.testing.assert_array_equal(got[f], ref[f][at : at + got.size], err_msg=f)
    assert stats.disconnects >= len(drops) and stats.connects >= len(drops) + 1
    assert stats.samples_lost == 0
    recovered = int(np.count_nonzero(got["source"] == SOURCE_BACKLOG))
    assert stats.samples_recovered == recovered
    assert recovered >= 0.8 * 100 * sum(s for _, s in drops)  # the gaps came back from the backlog
    print(f"{len(drops)} drops: {got.size} samples, {recovered} recovered, {stats.duplicates} duplicates "
          f"dropped, {stats.backlog_requests} backlog requests, lost {stats.samples_lost}")


def test_a_gap_longer_than_the_backlog_counts_exactly_the_lost_samples() -> None:
    async def body() -> tuple[Any, ...]:
        radio = Radio(LinkModel(interval_ms=30))
        w, produced = await _wearable(radio, backlog_samples=150)  # 1.5 s at 100 Hz
        c = Consumer(link_on(radio))
        await c.wait_for(lambda: c.link.samples >= 100, 20)
        await w.out_of_reach(3.0)
        await c.wait_for(lambda: c.link.connected, 20)
        end_seq = w.app.seq
        await c.wait_for(lambda: (c.link.merge.next_seq or 0) >= end_seq, 20)
        got, stats = c.snapshot()
        await c.stop()
        await w.stop()
        return got, reference(produced), stats

    got, ref, stats = run(body)
    missing = int(np.sum(np.diff(got["seq"]) - 1))
    assert np.all(np.diff(got["seq"]) >= 1)  # in order, no repeats
    assert missing > 0 and stats.samples_lost == missing
    assert stats.samples_recovered == int(np.count_nonzero(got["source"] == SOURCE_BACKLOG)) > 0
    idx = np.searchsorted(ref["seq"], got["seq"])
    for f in FIELDS:  # what arrived is right, on both sides of the gap
        np.testing.assert_array_equal(got[f], ref[f][idx], err_msg=f)
    print(f"gap beyond a 150-sample backlog: {missing} lost, {stats.samples_recovered} recovered")
