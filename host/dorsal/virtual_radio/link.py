"""A timed LE link: Bumble's in-process LocalLink with connection events.

Bumble's LocalLink hands every packet to the peer controller at once. A real
LE connection only moves data at connection events, one every connection
interval, and only as many packets as fit into an event. This link delivers
each L2CAP PDU at the time it would arrive over the air.

The model (per connection, both directions share the events):

- Events start at ``anchor + k * interval``; the anchor is the connection's
  first data packet, so the phase against the sender's own timing is arbitrary,
  as on a real link.
- A PDU queued at time t goes out in the first event at or after t that still
  has room. An LL data PDU carries up to ``ll_payload_octets`` (251 with Data
  Length Extension, which current phones, laptops, NimBLE and btstack
  negotiate), so an L2CAP PDU of n octets needs ceil(n / ll_payload_octets) LL
  packets.
- Each LL packet takes its airtime on the LE 1M PHY (8 us per octet: 1 preamble
  + 4 access address + 2 header + payload + 3 CRC, Core spec Vol 6 Part B 2.1),
  plus the other side's empty packet (80 us) and two inter-frame spaces of
  150 us. An event holds at most ``packets_per_event`` packets (hosts and
  controllers typically schedule 4-6; FACTS.md: "up to ~6 packets per
  interval") and must end before the next event starts.
- A PDU arrives when its last LL packet has been sent in its event.

Figures for the firmware's notifications at MTU 247 (a 235-octet segment is a
242-octet L2CAP PDU: one LL packet, 2.02 ms on air plus 0.38 ms for the
exchange):

==============  ===================  ===============================
interval        packets per event    notifications per second (max)
==============  ===================  ===============================
7.5 ms          3 (airtime bound)    400
30 ms           6                    200
50 ms           6                    120
==============  ===================  ===============================

Latency of a lone notification: the wait for the next event, uniform in
[0, interval), plus its airtime, so mean ~interval/2 + 2.4 ms, worst
interval + 2.4 ms. ``LinkModel.capacity_per_s`` and ``latency_range_ms``
compute these figures.

Measured through bleak and the firmware's BLE code (tests/virtual_radio): bursts
of 235-octet notifications at 422, 206 and 120 per second (7.5, 30, 50 ms); a lone
notification's latency 4-12, 4-33 and 6-58 ms (the Python stacks add ~1.5 ms, the
event loop a few ms of jitter); newest sample of a frame to host decode, p99 57,
80 and 62 ms (the firmware drains its FIFO every 50 ms).
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field

from bumble import core, hci
from bumble.link import LocalLink

#: LE 1M PHY: 1 us per bit.
_US_PER_OCTET = 8
#: preamble 1 + access address 4 + header 2 + CRC 3
_LL_FRAMING_OCTETS = 10
#: the peer's empty PDU in the same exchange (10 octets) plus two T_IFS of 150 us
_EXCHANGE_OVERHEAD_US = 10 * _US_PER_OCTET + 2 * 150
#: L2CAP basic header (length + channel id)
L2CAP_HEADER_OCTETS = 4
_ATT_CID = b"\x04\x00"
_ATT_HANDLE_VALUE_NOTIFICATION = 0x1B


@dataclass(frozen=True)
class LinkModel:
    """Timing of one LE connection.

    interval_ms: connection interval in ms (7.5 to 4000 in steps of 1.25, Core spec).
    packets_per_event: most LL data packets the controllers put into one event.
    ll_payload_octets: largest LL data payload (27 without, 251 with Data Length Extension).
    """

    interval_ms: float = 30.0
    packets_per_event: int = 6
    ll_payload_octets: int = 251

    def __post_init__(self) -> None:
        if not 7.5 <= self.interval_ms <= 4000.0:
            raise ValueError(f"connection interval {self.interval_ms} ms is outside 7.5-4000 ms")
        if self.packets_per_event < 1 or not 27 <= self.ll_payload_octets <= 251:
            raise ValueError("packets_per_event must be >= 1 and ll_payload_octets within 27-251")

    def packet_us(self, payload_octets: int) -> int:
        """Time one LL data packet of this payload occupies in an event, in us."""
        return (payload_octets + _LL_FRAMING_OCTETS) * _US_PER_OCTET + _EXCHANGE_OVERHEAD_US

    def packets_fitting(self, payload_octets: int) -> int:
        """LL packets of this payload that fit into one event."""
        by_time = int((self.interval_ms * 1000 - 150) // self.packet_us(payload_octets))
        return max(1, min(self.packets_per_event, by_time))

    def capacity_per_s(self, att_value_octets: int) -> float:
        """Most notifications per second carrying this many value octets (ATT header 3 octets)."""
        pdu = att_value_octets + 3 + L2CAP_HEADER_OCTETS
        per_pdu = math.ceil(pdu / self.ll_payload_octets)
        last = pdu - (per_pdu - 1) * self.ll_payload_octets
        if per_pdu == 1:
            per_event = self.packets_fitting(last)
        else:
            per_event = self.packets_fitting(self.ll_payload_octets) / per_pdu
        return per_event * 1000.0 / self.interval_ms

    def latency_range_ms(self, att_value_octets: int) -> tuple[float, float]:
        """Earliest and latest arrival of a lone notification after it was queued, in ms."""
        pdu = att_value_octets + 3 + L2CAP_HEADER_OCTETS
        airtime_ms = 0.0
        left = pdu
        while left > 0:
            n = min(left, self.ll_payload_octets)
            airtime_ms += self.packet_us(n) / 1000.0
            left -= n
        return airtime_ms, self.interval_ms + airtime_ms


@dataclass
class _Connection:
    """Event bookkeeping of one connection (both directions)."""

    anchor_s: float
    event: int = -1  # index of the latest event holding packets
    used: int = 0  # packets in that event
    used_us: int = 0  # airtime used in that event
    queued: int = 0  # PDUs scheduled and not yet delivered
    reserved: int = 0  # notifications handed to a host stack, not yet at the link
    pending: dict[float, list] = field(default_factory=dict)  # delivery time -> callbacks, in order


class TimedLink(LocalLink):
    """LocalLink whose LE data moves at connection events (see the module notes).

    The model can be changed between connections (``link.model = LinkModel(...)``),
    like a host choosing its interval; it is read when a connection starts.
    """

    def __init__(self, model: LinkModel | None = None) -> None:
        super().__init__()
        self.model = model or LinkModel()
        self._connections: dict[frozenset[bytes], tuple[_Connection, LinkModel]] = {}

    def _key(self, a: hci.Address, b: hci.Address) -> frozenset[bytes]:
        return frozenset((bytes(a), bytes(b)))

    def _entry(self, a: hci.Address, b: hci.Address) -> tuple[_Connection, LinkModel]:
        key = self._key(a, b)
        entry = self._connections.get(key)
        if entry is None:
            entry = (_Connection(anchor_s=asyncio.get_running_loop().time()), self.model)
            self._connections[key] = entry
        return entry

    def queued_pdus(self, a: hci.Address, b: hci.Address) -> int:
        """PDUs between a and b not yet delivered, including notifications still in a host stack."""
        entry = self._connections.get(self._key(a, b))
        return entry[0].queued + entry[0].reserved if entry is not None else 0

    def reserve_notification(self, a: hci.Address, b: hci.Address) -> None:
        """A notification from a to b was handed to a's host stack: count it as queued from now on."""
        self._entry(a, b)[0].reserved += 1

    def forget(self, a: hci.Address, b: hci.Address) -> None:
        """The connection between a and b ended: the next one starts a fresh schedule."""
        self._connections.pop(self._key(a, b), None)

    def send_acl_data(self, sender_controller, destination_address, transport, data) -> None:  # noqa: ANN001
        if transport != core.PhysicalTransport.LE:
            super().send_acl_data(sender_controller, destination_address, transport, data)
            return
        destination = self.find_le_controller(destination_address)
        if destination is None:
            return
        source = sender_controller.random_address
        loop = asyncio.get_running_loop()
        now_s = loop.time()
        conn, model = self._entry(source, destination_address)
        if conn.reserved and len(data) > 4 and data[2:4] == _ATT_CID and data[4] == _ATT_HANDLE_VALUE_NOTIFICATION:
            conn.reserved -= 1
        at_s = self._schedule(conn, model, now_s, len(data))  # data is the whole L2CAP PDU
        conn.queued += 1
        deliveries = conn.pending.get(at_s)
        if deliveries is None:
            deliveries = conn.pending[at_s] = []
            loop.call_at(at_s, self._deliver, conn, at_s)
        deliveries.append((destination, source, transport, bytes(data)))

    def _schedule(self, conn: _Connection, model: LinkModel, now_s: float, octets: int) -> float:
        interval_s = model.interval_ms / 1000.0
        first = math.ceil((now_s - conn.anchor_s) / interval_s - 1e-9)
        if first > conn.event:
            conn.event, conn.used, conn.used_us = first, 0, 0
        budget_us = model.interval_ms * 1000 - 150
        left = octets
        while left > 0:
            n = min(left, model.ll_payload_octets)
            cost = model.packet_us(n)
            if conn.used >= model.packets_per_event or (conn.used and conn.used_us + cost > budget_us):
                conn.event, conn.used, conn.used_us = conn.event + 1, 0, 0
            conn.used += 1
            conn.used_us += cost
            left -= n
        return conn.anchor_s + conn.event * interval_s + conn.used_us / 1e6

    def _deliver(self, conn: _Connection, at_s: float) -> None:
        for destination, source, transport, data in conn.pending.pop(at_s, ()):
            conn.queued -= 1
            destination.on_link_acl_data(source, transport, data)

