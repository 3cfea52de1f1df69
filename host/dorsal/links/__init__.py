"""How the host talks to the wearable: one interface (``Link``), several transports.

- ``BleLink`` (bleak): scan by the dorsal service UUID, connect, reconnect forever, backfill from the
  device's backlog after every gap;
- ``SerialLink`` (pyserial ``serial_for_url``): a board on USB serial, found by its USB ids;
- ``ReplayLink``: a recording at 1x, Nx or as fast as possible;
- ``open_link(args)``: the link `dorsal watch` (and `dorsal demo --link`) asks for, including the
  virtual wearable over the virtual radio or a virtual board's serial port.

Every link yields ``LinkBatch`` objects from ``batches()`` (what dashboard/feed.py reads): the samples
in seq order, each exactly once, the link state and ``LinkStats``.
"""

from dorsal.links.base import DeviceInfo, Link, LinkBatch, LinkError, LinkStats

__all__ = ["DeviceInfo", "Link", "LinkBatch", "LinkError", "LinkStats", "open_link"]


def open_link(args):  # noqa: ANN001, ANN201 - argparse.Namespace in, a link out (imports stay lazy)
    from dorsal.links.open import open_link as _open

    return _open(args)
