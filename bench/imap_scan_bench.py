"""How long the reply and bounce scan takes on a full mailbox, and that it fetches headers first.

    python bench/imap_scan_bench.py [MESSAGES] [--repeat N]

Starts the tests' Dovecot (tests/imap_server.py) on 127.0.0.1, puts MESSAGES (5,000) into INBOX with IMAP
APPEND: newsletters and other people's mail, with 10 replies to the tool's reminders, 5 out-of-office answers
and 2 bounces among them. Then, with a Book whose Reminder Log holds those reminders, runs the scan
(`mail.mailbox.scan`) and the classification (`replies.classify`) and prints, as Markdown: the messages
searched, how many had their headers fetched and how many were fetched whole, every FETCH in order, the
replies and bounces found, the scan's time (median of --repeat), and for comparison the time to fetch every
message whole (what a scan without the header pass would cost). Needs `dovecot` (apt-get install
dovecot-imapd).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import mail_samples as ms  # noqa: E402
from imap_server import PASSWORD, DovecotServer, imap_toml  # noqa: E402
from workbooks import invoice, memory_book, write_config  # noqa: E402

LOG = ["Logged At", "Invoice No", "Client ID", "Stage", "To", "Subject", "Message ID", "Transport", "State", "Detail"]
CLIENTS = [[f"C{k}", f"Client {k}", f"ap@client{k}.example.com", "", "", ("en", "ko", "zh")[k % 3], "Net 30", ""]
           for k in range(50)]


def noise(i: int) -> bytes:
    body = ("Our autumn sale ends Sunday. " * 40 + "\n") * 3  # a few kB, as a newsletter is
    return ms.reply(f"news{i % 97}@shop{i % 13}.example.org", body, subject=f"Offer {i}",
                    message_id=f"<n{i}@shop.example.org>", when=datetime(2026, 11, 10, tzinfo=timezone.utc)
                    + timedelta(minutes=i))


def mailbox(n: int) -> list[bytes]:
    special: dict[int, bytes] = {}
    step = n // 20
    for k in range(10):
        special[step * k + 1] = ms.reply(f"ap@client{k}.example.com", f"Paid invoice INV-{k} yesterday.\n\n> reminder",
                                         in_reply_to=f"<inv-{k}.firm@studio.example.com>",
                                         message_id=f"<reply-{k}@client{k}.example.com>")
    for k, language in enumerate(("en", "ko", "zh", "en", "ko")):
        special[step * (10 + k) + 2] = ms.out_of_office(language, f"ap@client{k}.example.com",
                                                        f"<inv-{k}.firm@studio.example.com>", k)
    special[step * 16 + 3] = ms.dsn("<inv-20.firm@studio.example.com>", "ap@client20.example.com")
    special[step * 17 + 3] = ms.daemon_notice("<inv-21.firm@studio.example.com>", "ap@client21.example.com")
    return [special.get(i) or noise(i) for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("messages", nargs="?", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import trustme

    from sheet_sync.mail.mailbox import connect, scan
    from sheet_sync.replies import Bounce, Reply, classify, mail_index

    with DovecotServer(trustme.CA()) as server, tempfile.TemporaryDirectory() as tmp:
        os.environ["IMAP_PASSWORD"] = PASSWORD
        started = time.perf_counter()
        mails = mailbox(args.messages)
        with server.client() as c:
            for i in range(0, len(mails), 500):
                c.multiappend("INBOX", mails[i:i + 500])
        appended = time.perf_counter() - started
        size = sum(len(m) for m in mails)

        config = write_config(Path(tmp), Path(tmp) / "book.xlsx", imap_toml(server.port, "none"))
        log = [[datetime(2026, 11, 12, 9), f"INV-{k}", f"C{k}", "firm", f"ap@client{k}.example.com", "Payment overdue",
                f"<inv-{k}.firm@studio.example.com>", "smtp", "sent", ""] for k in range(50)]
        book = memory_book(config, [invoice(f"INV-{k}", f"C{k}", due=date(2026, 10, 20)) for k in range(50)],
                           clients=CLIENTS, extra={"Reminder Log": [LOG, *log]})
        index = mail_index(book, config)

        times, found = [], None
        for _ in range(args.repeat):
            t = time.perf_counter()
            found = scan(config, date(2026, 11, 12) - timedelta(days=30), index)
            items = classify(found.mails, index, config)
            times.append(time.perf_counter() - t)

        client = connect(config)  # the comparison: every message fetched whole
        client.select_folder("INBOX", readonly=True)
        t = time.perf_counter()
        ids = client.search(["ALL"])
        for i in range(0, len(ids), 500):
            client.fetch(ids[i:i + 500], ["BODY.PEEK[]"])
        whole = time.perf_counter() - t
        client.logout()

    replies = [i for i in items if isinstance(i, Reply)]
    bounces = [i for i in items if isinstance(i, Bounce)]
    print(f"## The reply and bounce scan, {args.messages:,} messages in INBOX ({size / 1e6:.1f} MB)\n")
    print(f"{platform.python_version()}, {platform.system()}, {os.cpu_count()} CPUs; Dovecot on 127.0.0.1; "
          f"APPEND of the mailbox took {appended:.1f} s\n")
    print("| searched | headers fetched | fetched whole | bytes received | replies | bounces | scan + classify "
          "(median) | every message whole, no parsing |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {found.searched:,} | {found.headers:,} | {found.bodies:,} | "
          f"{(found.header_bytes + found.body_bytes) / 1e6:.2f} MB | {len(replies)} | {len(bounces)} | "
          f"{statistics.median(times):.2f} s | {whole:.2f} s, {size / 1e6:.1f} MB |")
    runs: list[list] = []
    for f in found.fetches:
        if runs and runs[-1][0] == f:
            runs[-1][1] += 1
        else:
            runs.append([f, 1])
    print("\nThe FETCH commands, in order: " + "; ".join(f"{f} (x{n} FETCHes)" if n > 1 else f for f, n in runs))


if __name__ == "__main__":
    main()
