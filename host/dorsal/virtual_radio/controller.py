"""Bumble's virtual controller with working scan responses.

Bumble 0.0.236's ``Controller.on_advertising_pdu`` answers an active scan
with a scan-response report that repeats the advertising data instead of the
advertiser's scan-response data, and flags the advertisement as not scannable.
A scanner therefore never sees what a peripheral puts into its scan response
(our firmware puts its name there: flags + a 128-bit UUID leave no room in the
advertisement). This subclass reports what a real controller would: the
advertisement (connectable, scannable, legacy PDU), then, when the scan is
active and the advertiser has scan-response data, that data as the response.
Everything else (periodic advertising, connection creation) stays Bumble's.
"""

from __future__ import annotations

from bumble import hci, ll
from bumble.controller import Controller

_Ext = hci.HCI_LE_Extended_Advertising_Report_Event
_Legacy = hci.HCI_LE_Advertising_Report_Event
RSSI_DBM = -50


class RadioController(Controller):
    """A virtual controller whose scans carry the advertiser's real scan response."""

    passive_scan: bool = False

    def on_hci_le_set_scan_parameters_command(self, command):  # noqa: ANN001, ANN201
        self.passive_scan = command.le_scan_type == 0
        return super().on_hci_le_set_scan_parameters_command(command)

    def on_hci_le_set_extended_scan_parameters_command(self, command):  # noqa: ANN001, ANN201
        # one scan type per PHY; the first one decides
        types = getattr(command, "scan_types", None) or [1]
        self.passive_scan = types[0] == 0
        return super().on_hci_le_set_extended_scan_parameters_command(command)

    def scan_response_of(self, address: hci.Address) -> bytes | None:
        """The scan-response data the controller advertising as `address` would answer with."""
        for c in self.link.controllers:
            legacy = c.le_legacy_advertiser
            if legacy.enabled and legacy.address == address:
                return bytes(legacy.scan_response_data)
            for adv_set in c.advertising_sets.values():
                if adv_set.enabled and adv_set.address == address:
                    return bytes(adv_set.scan_response_data)
        return None

    def on_advertising_pdu(self, pdu: ll.AdvInd | ll.AdvExtInd) -> None:
        scanning = self.le_scan_enable
        if scanning:
            self._report(pdu)
        # the rest of Bumble's handling, without its scan reports
        self.le_scan_enable = False
        try:
            super().on_advertising_pdu(pdu)
        finally:
            self.le_scan_enable = scanning

    def _report(self, pdu: ll.AdvInd | ll.AdvExtInd) -> None:
        response = None if self.passive_scan else self.scan_response_of(pdu.advertiser_address)
        scannable = response is not None
        if self.le_features & hci.LeFeatureMask.LE_EXTENDED_ADVERTISING:
            kind = _Ext.EventType.CONNECTABLE_ADVERTISING | _Ext.EventType.LEGACY_ADVERTISING_PDU_USED
            if scannable:
                kind |= _Ext.EventType.SCANNABLE_ADVERTISING
            self._send_extended(pdu, kind, pdu.data)
            if scannable:
                self._send_extended(pdu, kind | _Ext.EventType.SCAN_RESPONSE, response)
        else:
            self._send_legacy(pdu, _Legacy.EventType.ADV_IND, pdu.data)
            if scannable:
                self._send_legacy(pdu, _Legacy.EventType.SCAN_RSP, response)

    def _send_extended(self, pdu: ll.AdvInd | ll.AdvExtInd, event_type: int, data: bytes) -> None:
        report = _Ext.Report(
            event_type=event_type,
            address_type=pdu.advertiser_address.address_type,
            address=pdu.advertiser_address,
            primary_phy=hci.Phy.LE_1M,
            secondary_phy=hci.Phy.LE_1M,
            advertising_sid=0,
            tx_power=_Ext.TX_POWER_INFORMATION_NOT_AVAILABLE,
            rssi=RSSI_DBM,
            periodic_advertising_interval=0,
            direct_address_type=0,
            direct_address=hci.Address.ANY,
            data=data,
        )
        self.send_hci_packet(_Ext([report]))

    def _send_legacy(self, pdu: ll.AdvInd | ll.AdvExtInd, event_type: int, data: bytes) -> None:
        report = _Legacy.Report(
            event_type=event_type,
            address_type=pdu.advertiser_address.address_type,
            address=pdu.advertiser_address,
            data=data,
            rssi=RSSI_DBM,
        )
        self.send_hci_packet(_Legacy([report]))
