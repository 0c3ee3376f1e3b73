"""The "1 MB file holding a 1 GB sheet" of issue 11, and its kin, each synced by a whole process.

    python bench/whitespace_bomb.py [--out DIR]

For each case it builds a small .xlsx (two invoices due a gentle reminder), pads one sheet's XML as it is
streamed into the zip (tests/workbooks.py pad_sheet: the padding is never held in memory), runs
`sheet-sync sync` in a process of its own and prints the build time, the file size, what the sheet unpacks
to, the sync's wall time, its peak memory, its exit code, the messages sent and whether the workbook's
bytes changed:

- 1 GB of blank space in Invoices: refused in one sentence, nothing sent, nothing written;
- 200 MB of blank space (under the 250 MB bound): read and written back;
- 1,048,576 formatted empty rows (a sheet formatted to the bottom): read and written back.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from workbooks import invoice, pad_sheet, simple_book, write_config  # noqa: E402

AS_OF = date(2026, 11, 23)
CHILD = """
import json, re, sys
from pathlib import Path
from sheet_sync.cli import main
code = main(["sync", "--config", sys.argv[1], "--as-of", sys.argv[2]])
hwm = re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1)
print(json.dumps({"code": code, "maxrss_mb": int(hwm) / 1024}))
"""  # VmHWM, not ru_maxrss: the latter keeps, across exec, the size of the process that forked this one


def formatted_rows(last: int):
    batch = []
    for n in range(4, last + 1):
        batch.append(b'<row r="%d" ht="15" customHeight="1"/>' % n)
        if len(batch) == 10_000:
            yield b"".join(batch)
            batch = []
    yield b"".join(batch)


CASES = {
    "1 GB of blank space": dict(pad_bytes=1_000_000_000),
    "200 MB of blank space": dict(pad_bytes=200_000_000),
    "1,048,576 formatted empty rows": dict(chunks_of=lambda: formatted_rows(1_048_576)),
}


def run(name: str, folder: Path, pad_bytes: int = 0, chunks_of=None) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    due = AS_OF.replace(day=AS_OF.day - 2)
    wb = simple_book(folder / "book.xlsx", [invoice("A", due=due), invoice("B", "C2", due=due, currency="KRW")])
    started = time.perf_counter()
    pad_sheet(wb, "Invoices", pad_bytes, chunks=chunks_of() if chunks_of else None)
    built = time.perf_counter() - started
    write_config(folder, wb)
    import zipfile

    with zipfile.ZipFile(wb) as z:
        unpacked = max(i.file_size for i in z.infolist())
    before = wb.read_bytes()
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, str(folder / "sheet-sync.toml"), AS_OF.isoformat()],
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    child = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"case": name, "build_s": round(built, 2), "file_mb": round(len(before) / 1e6, 2),
            "sheet_unpacks_mb": round(unpacked / 1e6), "sync_s": round(wall, 2), "peak_mb": round(child["maxrss_mb"]),
            "exit": child["code"], "sent": len(list((folder / "outbox").glob("*.eml"))) if (folder / "outbox").exists() else 0,
            "workbook_changed": wb.read_bytes() != before, "stderr": proc.stderr.strip()[:300]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bomb-"))
    print("| case | build | file | sheet unpacks to | sync | peak memory | exit | sent | workbook changed |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for i, (name, kw) in enumerate(CASES.items()):
        r = run(name, out / str(i), **kw)
        print(f"| {r['case']} | {r['build_s']} s | {r['file_mb']} MB | {r['sheet_unpacks_mb']} MB | {r['sync_s']} s | "
              f"{r['peak_mb']} MB | {r['exit']} | {r['sent']} | {'yes' if r['workbook_changed'] else 'no'} |")
        if r["stderr"]:
            print(f"|   stderr: {r['stderr']} |")


if __name__ == "__main__":
    main()
