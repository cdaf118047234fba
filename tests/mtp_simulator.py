"""An MTP responder modelling a Garmin watch, on USB bulk endpoints, written from the PTP/MTP specs.

It stands in for the watch fitplug cannot reach here (no USB device): the
pyusb-shaped :class:`SimulatedWatch` takes bulk writes and answers bulk reads
as a device does (containers, transaction ids, sessions, response codes) and
keeps a storage tree shaped like a Garmin's::

    Internal Storage/GARMIN/{Activity, NewFiles, Workouts, Schedules, GarminDevice.xml}

Faults a runner meets, switched on by attributes: ``busy`` (answer
DeviceBusy to that many transactions), ``short_reads`` (send only part of a
GetObject's data, the transfer ending early), ``unplug_after`` (vanish once
that many data bytes have moved), ``held`` (another program has the
interface: the claim fails).
"""

from __future__ import annotations

import errno
import struct
from collections import deque
from dataclasses import dataclass, field

from fitplug.watch.mtp import ptp
from fitplug.watch.mtp.ptp import Kind, ObjectInfo, Op, Rc, StorageInfo

EP_OUT, EP_IN = 0x01, 0x81
MAX_PACKET = 512
STORAGE = 0x00010001


class USBError(OSError):
    """Shaped like ``usb.core.USBError``: errno and libusb's backend code."""

    def __init__(self, message: str, code: int, err: int) -> None:
        super().__init__(err, message)
        self.backend_error_code = code


class USBTimeoutError(USBError):
    pass


@dataclass
class Obj:
    parent: int  # 0: the storage's root
    name: str
    folder: bool
    data: bytes = b""


@dataclass
class SimulatedWatch:
    """A Garmin watch answering MTP on two bulk endpoints."""

    model: str = "Forerunner 965"
    objects: dict[int, Obj] = field(default_factory=dict)
    capacity: int = 64 * 1024 * 1024
    busy: int = 0
    short_reads: int = 0
    unplug_after: int | None = None
    unplugged: bool = False
    session: int | None = None
    log: list[str] = field(default_factory=list)
    _out: bytearray = field(default_factory=bytearray)
    _in: deque[bytes] = field(default_factory=deque)
    _pending: tuple[int, int, tuple[int, ...]] | None = None  # a command waiting for its data phase
    _send_target: int | None = None  # the handle SendObjectInfo made, waiting for SendObject
    _moved: int = 0
    _expected: int = 0
    _next_handle: int = 1

    def __post_init__(self) -> None:
        if not self.objects:
            garmin = self.add(0, "GARMIN", folder=True)
            for name in ("Activity", "NewFiles", "Workouts", "Schedules"):
                self.add(garmin, name, folder=True)
            self.add(
                garmin,
                "GarminDevice.xml",
                data=f"<Device><Model><Description>{self.model}</Description></Model></Device>".encode(),
            )

    # --- the tree ------------------------------------------------------------------------

    def add(self, parent: int, name: str, *, folder: bool = False, data: bytes = b"") -> int:
        handle = self._next_handle
        self._next_handle += 1
        self.objects[handle] = Obj(parent, name, folder, data)
        return handle

    def find(self, path: str) -> int:
        parent = 0
        for part in path.split("/"):
            parent = next(h for h, o in self.objects.items() if o.parent == parent and o.name == part)
        return parent

    def listing(self, path: str) -> dict[str, bytes]:
        folder = self.find(path)
        return {o.name: o.data for o in self.objects.values() if o.parent == folder}

    def replug(self) -> None:
        """Unplug and plug in again: sessions and half-done transfers are gone, the storage stays."""
        self.unplugged = False
        self.unplug_after = None
        self.session = None
        self._out.clear()
        self._in.clear()
        self._pending = None
        if self._send_target is not None:
            self.objects.pop(self._send_target, None)
            self._send_target = None

    # --- USB bulk endpoints (pyusb's Device.write / Device.read) -------------------------------

    def _count(self, n: int) -> None:
        self._moved += n
        if self.unplug_after is not None and self._moved > self.unplug_after:
            self._unplug()

    def _unplug(self) -> None:
        self.unplugged = True
        if self._send_target is not None:  # data never completed: the object is dropped
            self.objects.pop(self._send_target, None)
            self._send_target = None
        raise USBError("No such device (it may have been disconnected)", -4, errno.ENODEV)

    def write(self, endpoint: int, data: bytes, timeout: int | None = None) -> int:
        if self.unplugged:
            raise USBError("No such device", -4, errno.ENODEV)
        assert endpoint == EP_OUT
        self._out += bytes(data)
        while len(self._out) >= ptp.HEADER_SIZE:
            length = struct.unpack_from("<I", self._out)[0]
            if len(self._out) < length:
                self._count(len(data))
                return len(data)
            raw, self._out = bytes(self._out[:length]), self._out[length:]
            self._handle(ptp.parse(raw))
        self._count(len(data))
        return len(data)

    def read(self, endpoint: int, size: int, timeout: int | None = None) -> bytes:
        if self.unplugged:
            raise USBError("No such device", -4, errno.ENODEV)
        assert endpoint == EP_IN
        if not self._in:
            raise USBTimeoutError("Operation timed out", -7, errno.ETIMEDOUT)
        transfer = self._in[0]
        chunk = transfer[:size]
        if len(chunk) == len(transfer):
            self._in.popleft()
        else:
            self._in[0] = transfer[size:]
        self._count(len(chunk))
        return chunk

    # --- the responder ---------------------------------------------------------------------

    def _reply(
        self, rc: int, tid: int, *params: int, data: bytes | None = None, op: int = 0, short: bool = False
    ) -> None:
        if data is not None:
            raw = ptp.data(op, tid, data).encode()
            if short:
                raw = raw[: ptp.HEADER_SIZE + len(data) // 2 + 1]  # the transfer ends early
            self._in.append(raw)
            if len(raw) % MAX_PACKET == 0:
                self._in.append(b"")  # zero-length packet
        self._in.append(ptp.response(rc, tid, *params).encode())

    def _handle(self, c: ptp.Container) -> None:
        if c.kind is Kind.DATA:
            if self._pending is None:
                return
            op, tid, params = self._pending
            self._pending = None
            self._data_phase(op, tid, params, c.payload)
            return
        if c.kind is not Kind.COMMAND:
            return
        self.log.append(Op(c.code).name)
        if self.busy and c.code not in (Op.OPEN_SESSION, Op.GET_DEVICE_INFO):
            self.busy -= 1
            # the data phase that follows (SendObjectInfo, SendObject) finds nothing pending: dropped
            self._reply(Rc.DEVICE_BUSY, c.transaction)
            return
        if c.code in (Op.SEND_OBJECT_INFO, Op.SEND_OBJECT):
            self._pending = (c.code, c.transaction, c.params)
            return
        self._command(c.code, c.transaction, c.params)

    def _command(self, op: int, tid: int, p: tuple[int, ...]) -> None:
        if op == Op.GET_DEVICE_INFO:
            info = ptp.DeviceInfo("Garmin", self.model, "0000cafe", tuple(int(o) for o in Op))
            self._reply(Rc.OK, tid, data=info.encode(), op=op)
            return
        if op == Op.OPEN_SESSION:
            if self.session is not None:
                self._reply(Rc.SESSION_ALREADY_OPEN, tid, self.session)
            else:
                self.session = p[0]
                self._reply(Rc.OK, tid)
            return
        if self.session is None:
            self._reply(Rc.SESSION_NOT_OPEN, tid)
            return
        if op == Op.CLOSE_SESSION:
            self.session = None
            self._reply(Rc.OK, tid)
        elif op == Op.GET_STORAGE_IDS:
            self._reply(Rc.OK, tid, data=ptp.pack_u32_array([STORAGE]), op=op)
        elif op == Op.GET_STORAGE_INFO:
            if p[0] != STORAGE:
                self._reply(Rc.INVALID_STORAGE_ID, tid)
                return
            used = sum(len(o.data) for o in self.objects.values())
            info = StorageInfo(3, 2, 0, self.capacity, self.capacity - used, 0xFFFFFFFF, "Internal Storage", "")
            self._reply(Rc.OK, tid, data=info.encode(), op=op)
        elif op == Op.GET_OBJECT_HANDLES:
            parent = 0 if p[2] in (ptp.ROOT, 0) else p[2]
            if parent and (parent not in self.objects or not self.objects[parent].folder):
                self._reply(Rc.INVALID_PARENT_OBJECT, tid)
                return
            handles = [h for h, o in self.objects.items() if o.parent == parent]
            self._reply(Rc.OK, tid, data=ptp.pack_u32_array(handles), op=op)
        elif op == Op.GET_OBJECT_INFO:
            o = self.objects.get(p[0])
            if o is None:
                self._reply(Rc.INVALID_OBJECT_HANDLE, tid)
                return
            info = ObjectInfo(
                STORAGE,
                ptp.FORMAT_FOLDER if o.folder else ptp.FORMAT_UNDEFINED,
                len(o.data),
                o.parent or 0,
                o.name,
                ptp.ASSOCIATION_FOLDER if o.folder else 0,
                "20261122T093000",
            )
            self._reply(Rc.OK, tid, data=info.encode(), op=op)
        elif op == Op.GET_OBJECT:
            o = self.objects.get(p[0])
            if o is None or o.folder:
                self._reply(Rc.INVALID_OBJECT_HANDLE, tid)
                return
            short = self.short_reads > 0
            self.short_reads -= short
            self._reply(Rc.INCOMPLETE_TRANSFER if short else Rc.OK, tid, data=o.data, op=op, short=short)
        elif op == Op.DELETE_OBJECT:
            if p[0] not in self.objects:
                self._reply(Rc.INVALID_OBJECT_HANDLE, tid)
                return
            doomed = {p[0]}
            while True:  # a folder goes with what it holds
                more = {h for h, o in self.objects.items() if o.parent in doomed} - doomed
                if not more:
                    break
                doomed |= more
            for h in doomed:
                del self.objects[h]
            self._reply(Rc.OK, tid)
        else:
            self._reply(Rc.OPERATION_NOT_SUPPORTED, tid)

    def _data_phase(self, op: int, tid: int, p: tuple[int, ...], payload: bytes) -> None:
        if self.session is None:
            self._reply(Rc.SESSION_NOT_OPEN, tid)
            return
        if op == Op.SEND_OBJECT_INFO:
            info = ObjectInfo.decode(payload)
            parent = 0 if p[1] in (ptp.ROOT, 0) else p[1]
            if parent and (parent not in self.objects or not self.objects[parent].folder):
                self._reply(Rc.INVALID_PARENT_OBJECT, tid)
                return
            used = sum(len(o.data) for o in self.objects.values())
            if used + info.size > self.capacity:
                self._reply(Rc.STORE_FULL, tid)
                return
            handle = self.add(parent, info.name, folder=info.is_folder)
            self._send_target = None if info.is_folder else handle
            self._expected = info.size
            self._reply(Rc.OK, tid, STORAGE, parent or ptp.ROOT, handle)
        elif op == Op.SEND_OBJECT:
            target = self._send_target
            if target is None:
                self._reply(Rc.GENERAL_ERROR, tid)  # SendObject without SendObjectInfo (spec: NoValidObjectInfo)
                return
            self._send_target = None
            if len(payload) != self._expected:
                del self.objects[target]
                self._reply(Rc.INCOMPLETE_TRANSFER, tid)
                return
            self.objects[target].data = payload
            self._reply(Rc.OK, tid)
