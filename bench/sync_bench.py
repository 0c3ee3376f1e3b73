"""How fast a sync is, by workbook size, next to what reading and rewriting the same file costs; what a sync
sends to Google Sheets; how many reminders a second go out by SMTP. Prints Markdown tables.

    python bench/sync_bench.py [SIZES...] [--repeat N] [--no-google] [--no-smtp] [--reminders N]

Sizes default to 10 1000 10000; 100000 runs only when named. For each size, on a workbook made by
bench/make_workbooks.py (after its first sync):

- **Excel**: the re-run `sheet-sync sync` (nothing new to send) as a whole process, its wall time and peak
  memory, and in the same run, each in a process of its own, pandas `read_excel(engine="calamine")` of
  every sheet and openpyxl `load_workbook` + `save`; the ratios; the sync's own stage times
  (`stage_seconds`: read, load, age, plan, render, send, write). Medians of `--repeat` runs (3 up to
  10,000 invoices, 1 above); the workbook is put back as it was after the first sync before each run.
- **Google Sheets** (the emulator in tests/, real gspread client, 127.0.0.1): the first sync's requests,
  largest request body and bytes sent; then about 1 % of the invoices change (tests/realistic_book.py
  `owner_week`) and the re-run's requests, largest body and bytes, also as a share of the first sync's.
- **SMTP**: `--reminders` clients (1,000), one invoice each due a reminder, in en/ko/zh and four
  currencies; one sync sends them to the tests' SMTP server (STARTTLS and login, in its own process) over
  one connection; reminders a second = reminders / (render + send seconds), and all in (the whole run);
  the median of `--repeat` runs (3).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from make_workbooks import AS_OF, make, write_config, write_xlsx  # noqa: E402

STAGES = ("read", "load", "age", "plan", "render", "send", "write")
TIMEOUT = 1800  # seconds for one measured process
PYTHON = sys.executable


def machine() -> str:
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), "0")
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return (f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}, {cpu}), "
            f"{int(mem) / 1024 / 1024:.1f} GiB memory, Python {platform.python_version()}, {platform.system()} "
            f"{platform.release()}")


def measured(task: str, *args: str, env: dict | None = None) -> dict:
    """Run bench/measure_one.py TASK in a process of its own: its wall time, peak memory and result."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    started = time.perf_counter()
    subprocess.run([PYTHON, str(HERE / "measure_one.py"), out, task, *args], check=True, timeout=TIMEOUT,
                   stdout=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    wall = time.perf_counter() - started
    result = json.loads(Path(out).read_text(encoding="utf-8"))
    os.unlink(out)
    return {"wall": wall, **result}


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


# ---- Excel ----------------------------------------------------------------------------------------

def excel(n: int, repeat: int, folder: Path) -> dict:
    started = time.perf_counter()
    book, config = make(n, folder)
    built = time.perf_counter() - started
    pristine = folder / "after-first-sync.xlsx"
    shutil.copy2(book, pristine)
    syncs, reads, trips = [], [], []
    for _ in range(repeat):
        shutil.copy2(pristine, book)
        syncs.append(measured("sync", str(config), AS_OF.isoformat()))
        reads.append(measured("calamine", str(book)))
        trips.append(measured("openpyxl", str(book), str(folder / "round-trip.xlsx")))
    stages = {s: statistics.median(r["stage_seconds"].get(s, 0.0) for r in syncs) for s in STAGES}
    return {
        "n": n, "size_mb": book.stat().st_size / 1e6, "built": built,
        "sync": median_of(syncs, "wall"), "sync_mb": max(r["maxrss_mb"] for r in syncs),
        "calamine": median_of(reads, "wall"), "calamine_mb": max(r["maxrss_mb"] for r in reads),
        "openpyxl": median_of(trips, "wall"), "openpyxl_mb": max(r["maxrss_mb"] for r in trips),
        "stages": stages, "sent": syncs[-1]["sent"], "exit": syncs[-1]["exit_code"], "writer": syncs[-1]["writer"],
    }


# ---- Google Sheets ------------------------------------------------------------------------------------

def google(n: int, folder: Path) -> dict:
    from realistic_book import owner_week, realistic_sheets
    from sheets_emulator import Emulator

    from workbooks import sheet_config

    from sheet_sync import api

    em = Emulator().start()
    try:
        for title, rows in realistic_sheets(n, AS_OF).items():
            em.add_sheet(title, rows, grid_rows=len(rows) + 100)
        folder.mkdir(parents=True, exist_ok=True)
        config = sheet_config(folder, em, '[mail]\ntransport = "outbox"\nfrom = "billing@bench-studio.example.com"\n'
                                          'outbox_dir = "outbox"\ndaily_cap = 100000')
        started = time.perf_counter()
        api.sync(config, as_of=AS_OF)
        first_wall = time.perf_counter() - started
        first = (len(em.requests), max(em.request_bytes), sum(em.request_bytes))
        changed = owner_week(em, AS_OF, max(1, n // 100))
        em.requests.clear(), em.request_bytes.clear()
        started = time.perf_counter()
        api.sync(config, as_of=AS_OF)
        again_wall = time.perf_counter() - started
        again = (len(em.requests), max(em.request_bytes), sum(em.request_bytes))
        return {"n": n, "first": first, "first_wall": first_wall, "again": again, "again_wall": again_wall,
                "changed": len(changed)}
    finally:
        em.stop()


# ---- SMTP ---------------------------------------------------------------------------------------------

def smtp(count: int, folder: Path, repeat: int) -> dict:
    """`count` reminders, one per client, through one SMTP connection to the tests' server in its own process;
    the median of `repeat` runs."""
    import random

    from realistic_book import CLIENT_HEADERS, INVOICE_HEADERS, KINDS

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(3)
    clients, invoices = [], []
    for k in range(count):
        lang, currency, _, terms, names = KINDS[k % len(KINDS)]
        clients.append([f"S{k:04d}", f"{names[k % len(names)]} {k}", f"ap{k}@client{k}.example.com", "", f"Contact {k}",
                        lang, terms[0], "", "", "", "", ""])
        due = AS_OF - timedelta(days=rng.choice([2, 3, 4]))  # the gentle stage is due
        amount = rng.randrange(100, 5000) * (1000 if currency == "KRW" else 1)
        invoices.append([f"R-{k:05d}", f"S{k:04d}", "", due - timedelta(days=30), due, currency, amount, None, None,
                         "", None, f"PO-{k}" if k % 4 == 0 else "", f"https://pay.example.com/R-{k:05d}" if k % 2 else "",
                         "", "Monthly retainer"])
    book = write_xlsx(folder / "reminders.xlsx", {"Clients": [CLIENT_HEADERS, *clients],
                                                  "Invoices": [INVOICE_HEADERS, *invoices]})
    pristine = folder / "reminders-unsent.xlsx"
    shutil.copy2(book, pristine)
    runs = []
    for _ in range(repeat):  # each run from the unsent book, to a fresh server
        shutil.copy2(pristine, book)
        for leftover in folder.glob(".reminders*"):  # the last run's journal and lock
            leftover.unlink()
        runs.append(_smtp_run(folder, book))
    best = sorted(runs, key=lambda r: r["render"] + r["send"])[len(runs) // 2]  # the median run
    return {"count": count, **best}


def _smtp_run(folder: Path, book: Path) -> dict:
    from smtp_server import PASSWORD, mail_toml

    ca_file = folder / "ca.pem"
    server = subprocess.Popen([PYTHON, str(HERE / "smtp_server_process.py"), str(ca_file)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(server.stdout.readline())
        config = write_config(folder, book, mail_toml(port, mail="daily_cap = 100000"))
        run = measured("sync", str(config), AS_OF.isoformat(),
                       env={"SSL_CERT_FILE": str(ca_file), "SMTP_PASSWORD": PASSWORD})
    finally:
        server.stdin.close()
        seen = json.loads(server.stdout.readline() or "{}")
        server.wait(timeout=60)
    stages = run["stage_seconds"]
    return {"sent": run["sent"], "received": seen.get("received"), "logins": seen.get("logins"),
            "render": stages.get("render", 0.0), "send": stages.get("send", 0.0), "wall": run["wall"]}


# ---- the tables -------------------------------------------------------------------------------------------

def excel_table(rows: list[dict]) -> str:
    out = ["| invoices | workbook | writer | re-run sync | peak memory | calamine read | openpyxl load+save "
           "| sync ÷ calamine | sync ÷ openpyxl | " + " | ".join(STAGES) + " |",
           "|---:" * (9 + len(STAGES)) + "|"]
    for r in rows:
        out.append(f"| {r['n']:,} | {r['size_mb']:.1f} MB | {r['writer'] or '-'} | {r['sync']:.2f} s | {r['sync_mb']:.0f} MB "
                   f"| {r['calamine']:.2f} s | {r['openpyxl']:.2f} s | {r['sync'] / r['calamine']:.1f} × "
                   f"| {r['sync'] / r['openpyxl']:.2f} × | "
                   + " | ".join(f"{r['stages'][s]:.2f}" for s in STAGES) + " |")
    return "\n".join(out)


def google_table(rows: list[dict]) -> str:
    out = ["| invoices | first sync: requests | largest body | bytes sent | time | re-run: invoices changed | requests "
           "| largest body | bytes sent | share of first | time |", "|---:" * 11 + "|"]
    for r in rows:
        (q1, big1, all1), (q2, big2, all2) = r["first"], r["again"]
        out.append(f"| {r['n']:,} | {q1} | {big1 / 1e3:,.1f} kB | {all1 / 1e3:,.1f} kB | {r['first_wall']:.2f} s "
                   f"| {r['changed']} | {q2} | {big2 / 1e3:,.1f} kB | {all2 / 1e3:,.1f} kB | {100 * all2 / all1:.1f} % "
                   f"| {r['again_wall']:.2f} s |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10, 1_000, 10_000])
    parser.add_argument("--repeat", type=int, default=0, help="runs per measure (default 3 up to 10,000, 1 above)")
    parser.add_argument("--no-google", action="store_true")
    parser.add_argument("--no-smtp", action="store_true")
    parser.add_argument("--reminders", type=int, default=1_000)
    args = parser.parse_args()

    print(f"Machine: {machine()}\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="sheet-sync-bench-") as tmp:
        root = Path(tmp)
        rows = []
        for n in args.sizes:
            rows.append(excel(n, args.repeat or (3 if n <= 10_000 else 1), root / f"excel-{n}"))
            print(f"excel {n:,}: done (workbook built and first-synced in {rows[-1]['built']:.1f} s)",
                  file=sys.stderr, flush=True)
        print("### Excel (.xlsx): a re-run sync against reading and rewriting the same file\n")
        print(excel_table(rows) + "\n", flush=True)
        if not args.no_google:
            grows = []
            for n in args.sizes:
                grows.append(google(n, root / f"google-{n}"))
                print(f"google {n:,}: done", file=sys.stderr, flush=True)
            print("### Google Sheets (emulator): requests and bytes\n")
            print(google_table(grows) + "\n", flush=True)
        if not args.no_smtp:
            s = smtp(args.reminders, root / "smtp", args.repeat or 3)
            rate = s["sent"] / (s["render"] + s["send"]) if s["render"] + s["send"] else 0.0
            print("### SMTP: reminders rendered and sent over one connection (STARTTLS, login)\n")
            print("| reminders | sent | received by the server | logins | render | send | reminders a second "
                  "| whole run | all in |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            print(f"| {s['count']:,} | {s['sent']:,} | {s['received']:,} | {s['logins']} | {s['render']:.2f} s "
                  f"| {s['send']:.2f} s | {rate:.0f} /s | {s['wall']:.2f} s | {s['sent'] / s['wall']:.0f} /s |",
                  flush=True)


if __name__ == "__main__":
    main()
