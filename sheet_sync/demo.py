"""`sheet-sync demo`: a workbook dated relative to today, a config, and a real sync to an outbox.

So that one run shows every stage, the demo's Reminder Log is filled by simulating the daily
runs of the past weeks with the same pure policy the real job uses.
"""
from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from sheet_sync import api
from sheet_sync.aging import age
from sheet_sync.config import load_config
from sheet_sync.load import load_book, wanted_sheets
from sheet_sync.mail.message import make_message_id
from sheet_sync.backends import get_backend
from sheet_sync.model import INVOICES, REMINDER_LOG, LogEntry, SendState, WritePlan
from sheet_sync.policy import make_calendar, plan
from sheet_sync.result import SyncResult

DEMO_CONFIG = """\
# sheet-sync demo config (made by `sheet-sync demo`). See config.example.toml for every key.
[business]
name = "Maple & Pine Studio"
email = "billing@maple-pine.example.com"
phone = "+1 555 0100"
address = "12 Harbour Street, Portland, ME 04101"
tax_id = "12-3456789"
tax_id_label = "EIN"  # shown as written, in every language: a US EIN is not a Korean 사업자등록번호
signature = "Jamie Lee, Maple & Pine Studio"

# How to pay, per currency: a US routing number is no use to a client paying in won, yuan or euros.
[business.payment_instructions]
default = "Bank transfer (USD) to Maple & Pine Studio, Harbour Bank, account 000123456, routing (ABA) 021000021. Please quote the invoice number."
EUR = "International transfer in EUR to Maple & Pine Studio, Harbour Bank, 1 Main St, Portland ME 04101, USA; SWIFT/BIC HRBRUS33, account 000123456. Please quote the invoice number."
KRW = "해외 송금(원화, KRW): 받는 분 Maple & Pine Studio, 은행 Harbour Bank(1 Main St, Portland ME 04101, USA), SWIFT/BIC HRBRUS33, 계좌번호 000123456. 송금 메모에 인보이스 번호를 적어 주세요."
CNY = "境外电汇（人民币，CNY）：收款人 Maple & Pine Studio，收款银行 Harbour Bank（1 Main St, Portland ME 04101, USA），SWIFT/BIC HRBRUS33，账号 000123456。请在附言中注明发票编号。"

[workbook]
path = "invoices.xlsx"

[aging]
timezone = "UTC"
default_currency = "USD"

[reminders]
default_language = "en"
# The demo sends every day, so that it shows every stage whatever day you run it.
# The default is Monday to Friday.
send_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
write_off_below = { USD = 100, KRW = 100000, CNY = 500, EUR = 100 }

[mail]
transport = "outbox"
from = "billing@maple-pine.example.com"
from_name = "Maple & Pine Studio"
outbox_dir = "outbox"
"""

HISTORY_DAYS = 75


def run_demo(folder: Path, today: date | None = None) -> tuple[SyncResult, Path]:
    """Write the demo files into `folder` (replacing an earlier demo's) and run a sync."""
    from sheet_sync.demo_data import build_demo_workbook

    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / "sheet-sync.toml"
    config_path.write_text(DEMO_CONFIG, encoding="utf-8")
    config = load_config(config_path)
    today = today or api.today(config)
    workbook = config.workbook.path
    for stale in (workbook, workbook.with_name(f"{workbook.stem}.bak.xlsx")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(config.mail.outbox_dir, ignore_errors=True)
    build_demo_workbook(workbook, today)
    add_history(config, today)
    result = api.sync(config, as_of=today)
    return result, folder


def simulate_history(book, config, today: date, days: int = HISTORY_DAYS) -> list[LogEntry]:
    """The Reminder Log that daily runs over the past `days` days would have written."""
    log: list[LogEntry] = []
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        dated = replace(book, log=tuple(log))
        report = age(dated, config, day)
        decisions = plan(report, dated, config, make_calendar(config, day))
        at = datetime.combine(day, time(9, 0), tzinfo=timezone.utc)
        for no, d in decisions.items():
            if d.send:
                client = next(i.client_id for i in book.invoices if i.invoice_no == no)
                emails = ", ".join(book.clients[client].emails)
                log.append(LogEntry(at, no, client, d.send, emails, f"({d.send} reminder for {no})",
                                    make_message_id(config.mail.from_, no, d.send, client), "outbox", SendState.SENT,
                                    "simulated history for the demo"))
    return log


def add_history(config, today: date) -> None:
    """The simulated past runs into the Reminder Log, written as a sync writes it (through the backend)."""
    backend = get_backend(config)
    book = load_book(backend.read(wanted_sheets(config)), config)
    history = simulate_history(book, config, today)
    backend.apply(WritePlan(
        invoices_sheet=config.sheet_name(INVOICES), invoice_no_header=config.column_name("Invoice No"),
        tool_columns=(), invoice_updates={}, row_updates={}, log_sheet=config.sheet_name(REMINDER_LOG),
        log_append=tuple(e.as_row(config.tz) for e in history)))
