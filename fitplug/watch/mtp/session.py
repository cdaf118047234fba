"""MTP transactions over a transport: a session, storages, objects (list, get, send, delete).

The transport moves whole containers (:class:`Transport`); :mod:`.usb` is the
one over libusb, the tests' responder simulator is another. Errors are
:class:`MtpError` (a :class:`~fitplug.errors.DeviceError`) with words a
runner can act on: a busy watch is asked again a few times, a watch unplugged
mid-transfer says so, a short transfer is never taken for a whole file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol, Self

from fitplug.errors import DeviceError
from fitplug.watch.mtp import ptp
from fitplug.watch.mtp.ptp import Container, DeviceInfo, Kind, ObjectInfo, Op, Rc, StorageInfo


class Transport(Protocol):
    def send(self, raw: bytes) -> None:
        """Send one whole container."""

    def receive(self) -> bytes:
        """Receive one whole container (raises :class:`TransportGone` / :class:`TransportTimeout`)."""

    def close(self) -> None: ...


class TransportGone(Exception):
    """The device went away (unplugged, or reset by another program)."""


class TransportTimeout(Exception):
    """The device did not answer in time."""


class MtpError(DeviceError):
    """An MTP operation failed; ``code`` is the response code when the watch gave one."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


_WORDS = {
    Rc.STORE_FULL: "the watch's storage is full",
    Rc.STORE_READ_ONLY: "the watch's storage is read-only",
    Rc.ACCESS_DENIED: "the watch refused access",
    Rc.DEVICE_BUSY: "the watch stayed busy",
    Rc.INCOMPLETE_TRANSFER: "the transfer was incomplete",
    Rc.INVALID_OBJECT_HANDLE: "the file is no longer on the watch",
    Rc.SESSION_NOT_OPEN: "no MTP session is open",
    Rc.OPERATION_NOT_SUPPORTED: "the watch does not support this operation",
}


def _rc_text(rc: int) -> str:
    try:
        return _WORDS.get(Rc(rc), Rc(rc).name.lower().replace("_", " "))
    except ValueError:
        return f"response 0x{rc:04x}"


class Session:
    """One MTP session on a transport. Use as a context manager, or call :meth:`open` and :meth:`close`."""

    def __init__(
        self,
        transport: Transport,
        *,
        busy_retries: int = 5,
        busy_wait_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.transport = transport
        self.busy_retries = busy_retries
        self.busy_wait_s = busy_wait_s
        self.sleep = sleep
        self._tid = 0
        self.is_open = False

    # --- transactions --------------------------------------------------------------------

    def _next(self) -> int:
        self._tid = (self._tid + 1) & 0xFFFFFFFF or 1  # 0 is for OpenSession only
        return self._tid

    def _receive(self) -> Container:
        try:
            raw = self.transport.receive()
        except TransportGone:
            raise MtpError(
                "the watch was unplugged (or reset) in the middle of a transfer; "
                "nothing half-written is kept: plug it in and run the command again"
            ) from None
        except TransportTimeout:
            raise MtpError("the watch stopped answering; unplug it, plug it in and run the command again") from None
        except ptp.ProtocolError as exc:
            self._drain()
            raise MtpError(
                f"{exc}; the transfer was not used (run the command again)", Rc.INCOMPLETE_TRANSFER
            ) from None
        try:
            return ptp.parse(raw)
        except ptp.ProtocolError as exc:
            raise MtpError(f"the watch sent a broken MTP container ({exc}); the transfer was not used") from None

    def _drain(self) -> None:
        """After a broken data phase, take the response the watch still sends, so the next transaction starts clean."""
        try:
            self.transport.receive()
        except (TransportGone, TransportTimeout, ptp.ProtocolError):
            pass

    def _send(self, raw: bytes) -> None:
        try:
            self.transport.send(raw)
        except TransportGone:
            raise MtpError(
                "the watch was unplugged (or reset) in the middle of a transfer; plug it in and run the command again"
            ) from None
        except TransportTimeout:
            raise MtpError("the watch stopped taking data; unplug it, plug it in and run the command again") from None

    def transact(
        self, op: int, *params: int, data_out: bytes | None = None, tid: int | None = None
    ) -> tuple[Container, bytes | None]:
        """One transaction; a busy watch is asked again up to ``busy_retries`` times."""
        for attempt in range(self.busy_retries + 1):
            resp, data = self._once(op, params, data_out, tid)
            if resp.code != Rc.DEVICE_BUSY or attempt == self.busy_retries:
                break
            self.sleep(self.busy_wait_s * (attempt + 1))
        if resp.code != Rc.OK:
            raise MtpError(f"{Op(op).name.lower().replace('_', ' ')}: {_rc_text(resp.code)}", resp.code)
        return resp, data

    def _once(
        self, op: int, params: tuple[int, ...], data_out: bytes | None, tid: int | None
    ) -> tuple[Container, bytes | None]:
        transaction = self._next() if tid is None else tid
        self._send(ptp.command(op, transaction, *params).encode())
        if data_out is not None:
            self._send(ptp.data(op, transaction, data_out).encode())
        data: bytes | None = None
        reply = self._receive()
        if reply.kind is Kind.DATA:
            data = reply.payload
            reply = self._receive()
        if reply.kind is not Kind.RESPONSE:
            raise MtpError(f"the watch answered with a {reply.kind.name.lower()} container, not a response")
        if reply.transaction != transaction:
            raise MtpError(f"the watch answered transaction {reply.transaction}, not {transaction}")
        return reply, data

    # --- operations ------------------------------------------------------------------------

    def device_info(self) -> DeviceInfo:
        _, raw = self.transact(Op.GET_DEVICE_INFO, tid=0)
        return DeviceInfo.decode(raw or b"")

    def open(self) -> None:
        try:
            self.transact(Op.OPEN_SESSION, 1, tid=0)
        except MtpError as exc:
            if exc.code != Rc.SESSION_ALREADY_OPEN:
                raise
            # a session left open by a killed run: close it and start a clean one
            self.transact(Op.CLOSE_SESSION)
            self.transact(Op.OPEN_SESSION, 1, tid=0)
        self._tid = 0
        self.is_open = True

    def close(self) -> None:
        if self.is_open:
            try:
                self.transact(Op.CLOSE_SESSION)
            except MtpError:
                pass  # unplugged already: nothing to close
            self.is_open = False

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def storage_ids(self) -> list[int]:
        _, raw = self.transact(Op.GET_STORAGE_IDS)
        return ptp.Reader(raw or b"").u32_array()

    def storage_info(self, storage: int) -> StorageInfo:
        _, raw = self.transact(Op.GET_STORAGE_INFO, storage)
        return StorageInfo.decode(raw or b"")

    def object_handles(self, storage: int, parent: int = ptp.ROOT) -> list[int]:
        _, raw = self.transact(Op.GET_OBJECT_HANDLES, storage, 0, parent)
        return ptp.Reader(raw or b"").u32_array()

    def object_info(self, handle: int) -> ObjectInfo:
        _, raw = self.transact(Op.GET_OBJECT_INFO, handle)
        return ObjectInfo.decode(raw or b"")

    def get_object(self, handle: int, expected_size: int | None = None) -> bytes:
        """The object's bytes; a transfer shorter than the object is an error, never a file."""
        _, raw = self.transact(Op.GET_OBJECT, handle)
        raw = raw or b""
        if expected_size is not None and len(raw) != expected_size:
            raise MtpError(
                f"the watch sent {len(raw)} of the file's {expected_size} bytes; not used", Rc.INCOMPLETE_TRANSFER
            )
        return raw

    def send_object(self, storage: int, parent: int, name: str, data: bytes) -> int:
        """Create ``name`` in ``parent`` with ``data``; its handle. A failed transfer leaves no object."""
        info = ObjectInfo(storage=storage, format=ptp.FORMAT_UNDEFINED, size=len(data), parent=parent, name=name)
        resp, _ = self.transact(Op.SEND_OBJECT_INFO, storage, parent, data_out=info.encode())
        params = resp.params
        handle = params[2] if len(params) >= 3 else 0
        try:
            self.transact(Op.SEND_OBJECT, data_out=data)
        except MtpError:
            if handle:
                try:
                    self.delete_object(handle)
                except MtpError:
                    pass  # unplugged: the watch drops an object whose data never completed
            raise
        return handle

    def make_folder(self, storage: int, parent: int, name: str) -> int:
        info = ObjectInfo(
            storage=storage,
            format=ptp.FORMAT_FOLDER,
            size=0,
            parent=parent,
            name=name,
            association_type=ptp.ASSOCIATION_FOLDER,
        )
        resp, _ = self.transact(Op.SEND_OBJECT_INFO, storage, parent, data_out=info.encode())
        params = resp.params
        if len(params) < 3:
            raise MtpError(f"the watch did not say where it made the folder {name}")
        return params[2]

    def delete_object(self, handle: int) -> None:
        self.transact(Op.DELETE_OBJECT, handle, 0)
