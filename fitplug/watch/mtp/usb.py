"""MTP over USB through libusb (pyusb, with libusb-package's native library): ``pip install 'fitplug[mtp]'``.

For where nothing mounts the watch (macOS; Linux without gvfs). Windows'
own MTP driver holds the watch, so libusb cannot claim it there; use the
drive Windows shows instead.

A watch is the USB interface of class 6 (still image) or a vendor-specific
one named "MTP", with a bulk-out, a bulk-in and an interrupt endpoint.
Containers go out as one bulk transfer each (a zero-length packet closes one
that fills its last packet); coming in, a container is read until its length
field is met, and a transfer that ends (short packet) before that is an
incomplete transfer, never a file.

**Only ever run against the tests' simulator** (tests/mtp_simulator.py):
no real watch has been driven by this module.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from typing import Any, Protocol

from fitplug.errors import DeviceError
from fitplug.watch.mtp import ptp
from fitplug.watch.mtp.session import Session, TransportGone, TransportTimeout
from fitplug.watch.mtp.watch import MtpWatch

GARMIN_VENDOR_ID = 0x091E
#: USB interface class "still image" (PTP/MTP)
STILL_IMAGE_CLASS = 6
_CHUNK = 64 * 1024
#: libusb's LIBUSB_ERROR_NO_DEVICE / LIBUSB_ERROR_BUSY / LIBUSB_ERROR_ACCESS
_NO_DEVICE, _BUSY, _ACCESS = -4, -6, -3

HELD_MESSAGE = (
    "the watch is held by another program (Garmin Express, Android File Transfer, or the "
    "desktop's gvfs MTP mount): quit it, or eject the watch in the file manager, then run the "
    "command again; where the desktop mounted it, use that folder with --device instead"
)


class BulkDevice(Protocol):
    """What pyusb's ``usb.core.Device`` offers and the transport uses."""

    def write(self, endpoint: int, data: bytes, timeout: int | None = None) -> int: ...

    def read(self, endpoint: int, size: int, timeout: int | None = None) -> Any: ...


def _gone(exc: Exception) -> bool:
    code = getattr(exc, "backend_error_code", None)
    return code == _NO_DEVICE or getattr(exc, "errno", None) in (errno.ENODEV, errno.ENXIO)


def _is_timeout(exc: Exception) -> bool:
    return type(exc).__name__ == "USBTimeoutError" or getattr(exc, "errno", None) == errno.ETIMEDOUT


@dataclass
class UsbTransport:
    """Whole PTP containers over a bulk endpoint pair."""

    device: BulkDevice
    ep_out: int
    ep_in: int
    max_packet: int = 512
    timeout_ms: int = 5000
    #: the most one transfer may bring (a FIT file is a few megabytes): a watch that claims more is refused
    max_bytes: int = 128 * 1024 * 1024 + 4096

    def _call(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args, self.timeout_ms)
        except Exception as exc:  # pyusb raises usb.core.USBError and its subclass USBTimeoutError
            if _is_timeout(exc):
                raise TransportTimeout(str(exc)) from exc
            if _gone(exc):
                raise TransportGone(str(exc)) from exc
            raise DeviceError(f"USB error talking to the watch: {exc}") from exc

    def send(self, raw: bytes) -> None:
        for start in range(0, len(raw), _CHUNK):
            self._call(self.device.write, self.ep_out, raw[start : start + _CHUNK])
        if raw and len(raw) % self.max_packet == 0:
            self._call(self.device.write, self.ep_out, b"")  # a zero-length packet ends the transfer

    def receive(self) -> bytes:
        first = bytes(self._call(self.device.read, self.ep_in, _CHUNK))
        length, *_ = ptp.parse_header(first)
        if length > self.max_bytes:
            raise ptp.ProtocolError(
                f"the watch offers {length} bytes in one transfer; fitplug takes at most {self.max_bytes}"
            )
        buf = bytearray(first)
        last = len(first)
        while len(buf) < length:
            if last % self.max_packet:  # a short packet ended the transfer before the container did
                raise ptp.ProtocolError(f"incomplete transfer: {len(buf)} of {length} bytes")
            chunk = bytes(self._call(self.device.read, self.ep_in, _CHUNK))
            last = len(chunk)
            if not chunk:
                raise ptp.ProtocolError(f"incomplete transfer: {len(buf)} of {length} bytes")
            buf += chunk
        if len(buf) > length:
            raise ptp.ProtocolError(f"container says {length} bytes, {len(buf)} arrived")
        if length % self.max_packet == 0 and last:
            try:  # the zero-length packet that closes a full last packet
                self._call(self.device.read, self.ep_in, self.max_packet)
            except TransportTimeout:
                pass
        return bytes(buf)

    def close(self) -> None:
        return None


def open_usb_watch() -> tuple[UsbTransport, Any]:
    """The one MTP watch on USB, claimed; (transport, pyusb device). :class:`DeviceError` says why not."""
    try:
        import usb.core
        import usb.util
    except ImportError:
        raise DeviceError("talking MTP over USB needs the optional extra: pip install 'fitplug[mtp]'") from None
    backend = None
    try:
        import libusb_package  # the native libusb shipped as a wheel

        backend = libusb_package.get_libusb1_backend()
    except ImportError:
        pass  # the system's libusb, if pyusb finds one
    try:
        found = list(usb.core.find(find_all=True, backend=backend, idVendor=GARMIN_VENDOR_ID) or [])
    except usb.core.NoBackendError:
        raise DeviceError("no libusb found: pip install 'fitplug[mtp]' (it ships one)") from None
    candidates = [(dev, intf) for dev in found for intf in _mtp_interfaces(dev)]
    if not candidates:
        raise DeviceError(
            "no Garmin watch found on USB in MTP mode; plug it in (USB mode: MTP, in the watch's system settings)"
        )
    if len(candidates) > 1:
        raise DeviceError("several Garmin watches are on USB; plug in only the one to use")
    dev, intf = candidates[0]
    try:
        if dev.is_kernel_driver_active(intf.bInterfaceNumber):
            dev.detach_kernel_driver(intf.bInterfaceNumber)
    except (NotImplementedError, usb.core.USBError):
        pass
    try:
        usb.util.claim_interface(dev, intf.bInterfaceNumber)
    except usb.core.USBError as exc:
        if getattr(exc, "backend_error_code", None) in (_BUSY, _ACCESS) or exc.errno in (errno.EBUSY, errno.EACCES):
            raise DeviceError(HELD_MESSAGE) from None
        raise DeviceError(f"cannot claim the watch's MTP interface: {exc}") from None
    ep_out = ep_in = None
    for ep in intf:
        kind = usb.util.endpoint_type(ep.bmAttributes)
        if kind == usb.util.ENDPOINT_TYPE_BULK:
            if usb.util.endpoint_direction(ep.bEndpointAddress) == usb.util.ENDPOINT_OUT:
                ep_out = ep
            else:
                ep_in = ep
    if ep_out is None or ep_in is None:
        raise DeviceError("the watch's MTP interface has no bulk endpoints")
    transport = UsbTransport(dev, ep_out.bEndpointAddress, ep_in.bEndpointAddress, ep_in.wMaxPacketSize or 512)
    return transport, dev


def _mtp_interfaces(dev: Any) -> list[Any]:
    found = []
    try:
        for cfg in dev:
            for intf in cfg:
                if intf.bInterfaceClass == STILL_IMAGE_CLASS or intf.bInterfaceClass == 0xFF:
                    found.append(intf)
    except (OSError, ValueError, AttributeError):  # a device whose descriptors cannot be read
        return []
    return found[:1]


def connect_usb_watch() -> MtpWatch:
    """The one Garmin watch on USB, over MTP, with an open session and its GARMIN folder found."""
    transport, _ = open_usb_watch()
    return MtpWatch.connect(Session(transport))
