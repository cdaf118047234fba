"""``GARMIN/GarminDevice.xml``, the watch's own description: model, firmware, and its folders per FIT type.

A watch says, for each FIT file type it handles (4 activities, 5 workouts, 7 schedules…), the folder
it takes files of that type in through (``InputToUnit``: ``GARMIN/NewFiles``) and the folder it keeps
them in (``OutputFromUnit`` or ``InputOutput``: ``GARMIN/Workouts``). Read with the standard XML
parser, namespaces honoured, size bounded; a document type or entity declaration (the way XML bombs
and outside references come in) is refused before parsing, as is anything that is not the manifest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fitplug.errors import DeviceError

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

#: the manifest of a watch is a few kilobytes; anything larger is not one
MAX_MANIFEST_BYTES = 1024 * 1024
#: FIT file types fitplug deals in
ACTIVITY, WORKOUT, SCHEDULE = 4, 5, 7
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Folders:
    """Where a watch takes one FIT type in, and where it keeps it (paths under the device root)."""

    #: files of this type put here are taken in (``InputToUnit``)
    inbox: str | None = None
    #: the watch's own folder for them (``OutputFromUnit`` / ``InputOutput``)
    own: str | None = None


@dataclass(frozen=True, slots=True)
class Manifest:
    model: str | None = None
    part_number: str | None = None
    #: the firmware as the watch shows it: ``27.09`` for SoftwareVersion 2709
    software: str | None = None
    #: FIT file type → its folders (only the types the watch lists)
    types: dict[int, Folders] = field(default_factory=dict)

    def folder(self, fit_type: int, default: str, *, inbox: bool = False) -> str:
        """The folder under ``GARMIN`` the watch keeps ``fit_type`` in (``inbox``: takes it in through), as
        its manifest names it; ``default`` when it names none there."""
        folders = self.types.get(fit_type)
        path = (folders.inbox if inbox else folders.own) if folders is not None else None
        top, _, rest = (path or "").partition("/")
        return rest if top.casefold() == "garmin" and rest else default

    def takes(self, fit_type: int) -> bool:
        folders = self.types.get(fit_type)
        return folders is not None and (folders.inbox is not None or folders.own is not None)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(node: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in node if _local(c.tag) == name), None)


def _text(node: ET.Element | None, name: str, limit: int = 200) -> str | None:
    found = _child(node, name) if node is not None else None
    text = (found.text or "").strip() if found is not None else ""
    return text[:limit] if text and text.isprintable() else None


def parse_manifest(data: bytes, label: str = "GarminDevice.xml") -> Manifest:
    """The manifest in ``data``; :class:`DeviceError` naming ``label`` when it is not one."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise DeviceError(f"{label}: {len(data)} bytes is no watch's manifest; not read")
    if _DECLARATION.search(data):
        raise DeviceError(f"{label}: a document type or entity declaration; not read (no watch writes one)")
    import xml.etree.ElementTree as ET  # here: only a watch's manifest needs an XML parser

    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise DeviceError(f"{label}: not readable XML ({exc}); not read") from exc
    if _local(root.tag) != "Device":
        raise DeviceError(f"{label}: not a Garmin device manifest (its root is <{_local(root.tag)}>)")
    model = _child(root, "Model")
    version = _text(model, "SoftwareVersion", 12)
    software = f"{int(version) // 100}.{int(version) % 100:02d}" if version and version.isdigit() else version
    types: dict[int, Folders] = {}
    storage = _child(root, "MassStorageMode")
    for data_type in storage if storage is not None else []:
        if _local(data_type.tag) != "DataType":
            continue
        name = _text(data_type, "Name", 40) or ""
        match = re.fullmatch(r"FIT_TYPE_(\d{1,3})", name)
        if match is None:
            continue
        inbox = own = None
        for entry in data_type:
            if _local(entry.tag) != "File":
                continue
            path = _text(_child(entry, "Location"), "Path", 200)
            if path is None or ".." in path.split("/") or path.startswith(("/", "\\")):
                continue
            direction = _text(entry, "TransferDirection", 40)
            if direction == "InputToUnit":
                inbox = inbox or path
            elif direction in ("OutputFromUnit", "InputOutput"):
                own = own or path
        types[int(match.group(1))] = Folders(inbox, own)
    return Manifest(_text(model, "Description", 80), _text(model, "PartNumber", 40), software, types)
