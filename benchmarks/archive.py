"""Build a benchmark archive: N distinct FIT activity files of realistic shape.

Half (``--generated-share``) are runs written by the SDK Encoder with
second-by-second records (30 min to 4 h); the rest are activity files from
``../shared/fit-corpus`` that fitdecode reads cleanly. Every copy is made
distinct by patching its ``file_id.serial_number`` and ``time_created`` bytes
in place and recomputing the file CRC, so each file has its own sha256 and
its own identity on a watch. The output is deterministic for a given seed.

    python benchmarks/archive.py OUT_DIR --files 2000        # about 300 MB
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import shutil
import struct
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fitfiles import make_activity, session

from fitplug.activities.files.fitfile import crc16

CORPUS = next(
    (p / "shared" / "fit-corpus" for p in (ROOT.parent, ROOT.parent.parent)
     if (p / "shared" / "fit-corpus" / "MANIFEST.tsv").is_file()),
    None,
)  # fmt: skip

#: durations of the generated runs, seconds
RUN_LENGTHS_S = (1800, 2700, 3600, 4500, 5400, 7200, 10800, 14400)


def corpus_sources(corpus: Path | None = CORPUS) -> list[bytes]:
    """Activity files of the shared corpus that fitdecode reads without complaint."""
    if corpus is None:
        return []
    out = []
    with (corpus / "MANIFEST.tsv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if (
                row["fit_file_type"] == "activity"
                and row["category"] != "broken"
                and row["decodes_with_fitdecode"] == "yes"
                and int(row["size_bytes"]) > 10_000
            ):
                data = (corpus / row["relpath"]).read_bytes()
                if _file_id_spots(data) is not None:
                    out.append(data)
    return out


def generated_sources(seed: int = 0) -> list[bytes]:
    """Runs written by the SDK Encoder, one per length in RUN_LENGTHS_S."""
    rng = random.Random(seed)
    out = []
    for length in RUN_LENGTHS_S:
        start = dt.datetime(2026, 1, 1, 6, tzinfo=dt.UTC) + dt.timedelta(
            days=rng.randrange(300), seconds=rng.randrange(43200)
        )
        km = length / 3600 * rng.uniform(9, 13)
        out.append(
            make_activity(
                sessions=[session(start=start, elapsed_s=float(length), distance_m=km * 1000)],
                records=length,
                time_created=start,
            )
        )
    return out


def _file_id_spots(data: bytes) -> tuple[int | None, int | None, str] | None:
    """Byte offsets of serial_number and time_created in the first file_id message."""
    if len(data) < 14 or data[8:12] != b".FIT":
        return None
    p = data[0]
    end = p + int.from_bytes(data[4:8], "little")
    layouts: dict[int, tuple[int, list[tuple[int, int]], str]] = {}
    while p < end:
        h = data[p]
        if h & 0x80:
            local = (h >> 5) & 3
            p += 1 + sum(size for _, size in layouts[local][1])
        elif h & 0x40:
            big = data[p + 2] == 1
            mesg = struct.unpack_from(">H" if big else "<H", data, p + 3)[0]
            n = data[p + 5]
            fields = [(data[q], data[q + 1]) for q in range(p + 6, p + 6 + 3 * n, 3)]
            q = p + 6 + 3 * n
            if h & 0x20:
                ndev = data[q]
                fields += [(-1, data[r + 1]) for r in range(q + 1, q + 1 + 3 * ndev, 3)]
                q += 1 + 3 * ndev
            layouts[h & 0x0F] = (mesg, fields, ">" if big else "<")
            p = q
        else:
            mesg, fields, endian = layouts[h & 0x0F]
            if mesg == 0:
                spots: dict[int, int] = {}
                at = p + 1
                for num, size in fields:
                    if num in (3, 4) and size == 4:
                        spots[num] = at
                    at += size
                if not spots:
                    return None
                return spots.get(3), spots.get(4), endian
            p += 1 + sum(size for _, size in fields)
    return None


def make_distinct(data: bytes, serial: int, created_shift_s: int) -> bytes:
    """``data`` with a new file_id serial number and time_created, file CRC fixed."""
    spots = _file_id_spots(data)
    if spots is None:
        raise ValueError("no file_id serial_number/time_created to patch")
    serial_at, created_at, endian = spots
    out = bytearray(data)
    if serial_at is not None:
        struct.pack_into(endian + "I", out, serial_at, serial)
    if created_at is not None:
        old = struct.unpack_from(endian + "I", out, created_at)[0]
        if old in (0, 0xFFFFFFFF):
            old = 1_000_000_000
        struct.pack_into(endian + "I", out, created_at, (old + created_shift_s) & 0xFFFFFFFF)
    end = data[0] + int.from_bytes(data[4:8], "little")
    struct.pack_into("<H", out, end, crc16(bytes(out), 0, end))
    return bytes(out)


def build_archive(out_dir: Path, files: int, *, seed: int = 0, generated_share: float = 0.5) -> list[Path]:
    """Write ``files`` distinct activity files into ``out_dir``; return their paths."""
    rng = random.Random(seed)
    corpus = corpus_sources()
    generated = generated_sources(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    serials = rng.sample(range(1_000_000, 4_000_000_000), files)
    for i in range(files):
        pool = generated if (not corpus or rng.random() < generated_share) else corpus
        src = pool[rng.randrange(len(pool))]
        data = make_distinct(src, serials[i], rng.randrange(1, 10_000_000))
        path = out_dir / f"activity-{i:05d}.fit"
        path.write_bytes(data)
        paths.append(path)
    return paths


def first_files(archive: Path, files: int, out_dir: Path) -> Path:
    """A folder holding exactly the first ``files`` files of ``archive`` (hard links, else copies), for a
    sync of that many: ``archive`` itself when it holds no more."""
    paths = sorted(archive.glob("activity-*.fit"))
    if len(paths) < files:
        raise SystemExit(f"{archive} holds {len(paths)} files, fewer than {files}: build it with archive.py")
    if len(paths) == files and len(list(archive.glob("*.fit"))) == files:
        return archive
    out_dir.mkdir(parents=True, exist_ok=True)
    for src in paths[:files]:
        dst = out_dir / src.name
        if dst.exists():
            continue
        try:
            os.link(src, dst)
        except OSError:
            shutil.copyfile(src, dst)
    return out_dir


#: where a Garmin Connect export keeps the FIT files: a zip inside the export's zip
EXPORT_INNER = "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip"


def build_export(archive: Path, out: Path) -> Path:
    """``out``: a zip shaped as a Garmin Connect export, the files of ``archive`` in a deflated zip that is
    itself deflated in the outer one (as Connect nests them), a JSON file beside it."""
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    inner = out.with_suffix(".inner.tmp")
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(archive.glob("activity-*.fit")):
            z.write(path, path.name)
    part = out.with_suffix(".tmp")
    with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(inner, EXPORT_INNER)
        z.writestr("DI_CONNECT/DI-Connect-User/user_profile.json", "{}")
    inner.unlink()
    part.replace(out)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--generated-share", type=float, default=0.5)
    args = parser.parse_args(argv)
    paths = build_archive(args.out_dir, args.files, seed=args.seed,
                          generated_share=args.generated_share)  # fmt: skip
    total = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} files, {total / 1e6:.1f} MB, to {args.out_dir}")


if __name__ == "__main__":
    main()
