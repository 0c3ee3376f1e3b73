"""The config file: every problem at once with its key, known column and sheet names, defaults."""
from __future__ import annotations

import tomllib
from dataclasses import fields, is_dataclass
from decimal import Decimal
from pathlib import Path
from typing import get_type_hints

import pytest

from sheet_sync.config import (
    DEFAULT_STAGES, AgingConfig, Business, Config, GmailConfig, GoogleConfig, MailConfig, RemindersConfig,
    SmtpConfig, Stage, WorkbookConfig, load_config,
)
from sheet_sync.errors import SheetSyncError

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sheet-sync.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(SheetSyncError) as info:
        load_config(write(tmp_path, text))
    return str(info.value)


def test_three_mistakes_are_reported_together_each_with_its_key(tmp_path):
    message = error_of(tmp_path, """
[aging]
timezone = "Mars/Olympus"
[mail]
transprt = "smtp"
[mail.smtp]
port = "587"
""")
    assert message == (
        "Config: 3 problems in sheet-sync.toml:\n"
        "  aging.timezone 'Mars/Olympus' is not a time zone; use an IANA name like 'Asia/Seoul'.\n"
        "  mail.smtp.port must be a whole number, not text; write it without quotes.\n"
        "  unknown key mail.transprt (did you mean mail.transport?); see config.example.toml for the keys."
    )


def test_one_mistake_is_one_sentence(tmp_path):
    assert error_of(tmp_path, '[mail]\ntransport = "pigeon"\n') == (
        "Config: mail.transport must be 'outbox', 'gmail' or 'smtp', not 'pigeon'.")


def test_every_kind_of_mistake_names_its_full_key(tmp_path):
    message = error_of(tmp_path, """
colour = "blue"
[business]
name = 5
[workbook]
date_order = "DYM"
[aging]
buckets = [60, 30]
default_currency = "DOLLARS"
[reminders]
send_days = ["mon", "funday"]
holidays = "XX"
write_off_below = { USD = -1 }
[reminders.stages.gentle]
enabled = "yes"
[reminders.stages.firmest]
offset = 9
[mail]
pause_seconds = true
[mail.smpt]
host = "smtp.example.com"
[google]
send_window = -1
""").splitlines()
    assert message[0] == "Config: 13 problems in sheet-sync.toml:"
    assert [line.split()[0] for line in message[1:]] == [
        "business.name", "workbook.date_order", "aging.buckets", "aging.default_currency", "reminders.send_days",
        "reminders.holidays", "unknown", "reminders.stages.gentle.enabled", "reminders.write_off_below.USD",
        "mail.pause_seconds", "unknown", "google.send_window", "unknown",
    ]
    assert "  unknown section [reminders.stages.firmest] (did you mean [reminders.stages.firm]?);" in "\n".join(message)
    assert "  unknown section [mail.smpt] (did you mean [mail.smtp]?);" in "\n".join(message)
    assert message[-1] == "  unknown key colour; see config.example.toml for the keys."


def test_a_misspelt_column_key_names_the_known_headers(tmp_path):
    message = error_of(tmp_path, '[workbook.columns]\n"Invoce No" = "Invoice #"\n"Amount" = "Total"\n')
    assert message.startswith('Config: workbook.columns."Invoce No" is not a header sheet-sync knows '
                              '(did you mean "Invoice No"?); the known headers are Clients: Client ID, Name, Email,')
    for header in ("Payment Terms", "Due Date", "Amount Paid", "Note to Client", "Sync Notes", "Method", "Message ID"):
        assert header in message


def test_column_and_sheet_keys_match_ignoring_case_and_spaces(tmp_path):
    config = load_config(write(tmp_path, """
[workbook.sheets]
invoices = "Bills"
aging_summary = "Summary"
reminder_log = ""
[workbook.columns]
"Invoice No" = "Invoice #"
"amount paid" = "Paid"
"""))
    assert config.workbook.sheets == {"Invoices": "Bills", "Aging Summary": "Summary"}
    assert config.sheet_name("Invoices") == "Bills" and config.sheet_name("Reminder Log") == "Reminder Log"
    assert config.column_name("Invoice No") == "Invoice #" and config.column_name("Amount Paid") == "Paid"
    assert config.column_name("Amount") == "Amount"


def test_a_misspelt_sheet_key_and_a_key_given_twice(tmp_path):
    message = error_of(tmp_path, '[workbook.sheets]\ninvoice = "Bills"\n[workbook.columns]\n'
                                 'Amount = "Total"\namount = "Sum"\n')
    assert message == (
        "Config: 2 problems in sheet-sync.toml:\n"
        "  workbook.sheets.invoice is not a sheet sheet-sync knows (did you mean invoices?); the sheets are "
        "clients, invoices, payments, line_items, recurring, aging, aging_summary, reminder_log, outgoing.\n"
        "  workbook.columns.amount names the same as workbook.columns.Amount; keep one of them."
    )


def test_text_from_the_file_never_appears_in_a_message(tmp_path):
    message = error_of(tmp_path, '[mail.smtp]\npassword = "hunter2-secret"\nport = "hunter3-secret"\n'
                                 '[google]\napi_endpoint = { key = "hunter4-secret" }\n')
    assert "secret" not in message
    assert "unknown key mail.smtp.password" in message and "google.api_endpoint must be text, not a table." in message


def test_the_example_documents_the_defaults(tmp_path):
    example = write(tmp_path, EXAMPLE.read_text(encoding="utf-8"))
    assert load_config(example) == Config(
        workbook=WorkbookConfig(path=tmp_path / "invoices.xlsx"),
        mail=MailConfig(outbox_dir=tmp_path / "outbox"),
        source=example,
    )


def keys_of(cls: type, prefix: str = "") -> list[str]:
    """Every key a section's dataclass reads, dotted, with [sections] as keys too."""
    hints = get_type_hints(cls)
    keys = []
    for f in fields(cls):
        name = f.metadata.get("toml", f.name)  # None: not a key (Config.source)
        if name is None:
            continue
        keys.append(prefix + name)
        if is_dataclass(hints[f.name]):
            keys += keys_of(hints[f.name], f"{prefix}{name}.")
    return keys


def test_the_example_names_every_key():
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))

    def present(key: str) -> bool:
        table = data
        for part in key.split("."):
            if not isinstance(table, dict) or part not in table:
                return False
            table = table[part]
        return True

    keys = keys_of(Config)
    assert "mail.smtp.port" in keys and "mail.from" in keys and "reminders.final_reply_days" in keys
    commented = ("workbook.google_sheet", "reminders.late_fee")  # off by default: shown commented out, with examples
    missing = [k for k in keys if not present(k) and k not in commented]
    assert missing == []
    text = EXAMPLE.read_text(encoding="utf-8")
    assert all(f"# {k.split('.')[-1]} = " in text for k in commented)


FULL = """
[business]
name = "Maple & Pine Studio"
email = "billing@maple-pine.example.com"
phone = "+1 555 0100"
address = "12 Harbour Street, Portland, ME 04101"
tax_id = "EIN 12-3456789"
signature = "Jamie Lee"
payment_instructions = { default = "Bank transfer to 000123.", KRW = "국민은행 123-45.", zh = "银行转账。" }

[workbook]
google_sheet = " https://docs.google.com/spreadsheets/d/KEY/edit "
date_order = "mdy"
[workbook.sheets]
invoices = "Bills"
[workbook.columns]
"Invoice No" = "Invoice #"

[aging]
timezone = "Asia/Seoul"
basis = "issue_date"
buckets = [15, 45]
default_currency = "krw"

[reminders]
default_language = "ko"
send_days = ["Monday", "wed"]
holidays = "kr"
templates_dir = "my-templates"
needs_attention_days = 10
write_off_below = 50000
early_payment_discount_percent = "2.5"
early_payment_discount_days = 10
final_reply_days = 5
[reminders.stages.upcoming]
offset = -5
[reminders.stages.firm]
enabled = false

[mail]
transport = "smtp"
from = "billing@maple-pine.example.com"
from_name = "Maple & Pine"
reply_to = "jamie@maple-pine.example.com"
bcc = "archive@maple-pine.example.com"
digest_to = "jamie@maple-pine.example.com"
outbox_dir = "/var/outbox"
redirect_to = "test@maple-pine.example.com"
pause_seconds = 2
daily_cap = 40
[mail.smtp]
host = "smtp.example.com"
port = 465
user = "billing@maple-pine.example.com"
security = "ssl"
timeout = 10
[mail.gmail]
user = "studio@gmail.com"
oauth2_file = "~/oauth.json"

[google]
api_endpoint = "http://127.0.0.1:8080"
send_window = 0
"""


def test_a_full_config_loads_every_value(tmp_path):
    path = write(tmp_path, FULL)
    config = load_config(path)
    assert config == Config(
        business=Business(
            name="Maple & Pine Studio", email="billing@maple-pine.example.com", phone="+1 555 0100",
            address="12 Harbour Street, Portland, ME 04101", tax_id="EIN 12-3456789", signature="Jamie Lee",
            payment_instructions_by={"default": "Bank transfer to 000123.", "KRW": "국민은행 123-45.", "zh": "银行转账。"},
        ),
        workbook=WorkbookConfig(
            google_sheet="https://docs.google.com/spreadsheets/d/KEY/edit", date_order="MDY",
            sheets={"Invoices": "Bills"}, columns={"Invoice No": "Invoice #"},
        ),
        aging=AgingConfig(timezone="Asia/Seoul", basis="issue_date", buckets=(15, 45), default_currency="KRW"),
        reminders=RemindersConfig(
            default_language="ko", send_days=("mon", "wed"), holidays="KR", templates_dir=tmp_path / "my-templates",
            stages=(Stage("upcoming", -5, 0), Stage("gentle", 2, 0), Stage("firm", 7, 3, enabled=False),
                    Stage("final", 21, 3)),
            needs_attention_days=10, write_off_below={"KRW": Decimal("50000")}, discount_percent=Decimal("2.5"),
            discount_days=10, reply_days=5,
        ),
        mail=MailConfig(
            transport="smtp", from_="billing@maple-pine.example.com", from_name="Maple & Pine",
            reply_to="jamie@maple-pine.example.com", bcc="archive@maple-pine.example.com",
            digest_to="jamie@maple-pine.example.com", outbox_dir=Path("/var/outbox"),
            redirect_to="test@maple-pine.example.com", pause_seconds=2.0, daily_cap=40,
            smtp=SmtpConfig(host="smtp.example.com", port=465, user="billing@maple-pine.example.com", security="ssl",
                            timeout=10),
            gmail=GmailConfig(user="studio@gmail.com", oauth2_file=Path("~/oauth.json").expanduser()),
        ),
        google=GoogleConfig(api_endpoint="http://127.0.0.1:8080", send_window=0),
        source=path,
    )
    assert config.tz.key == "Asia/Seoul" and config.reminders.weekmask == "1010000"
    assert config.sheet_name("Invoices") == "Bills" and config.column_name("Invoice No") == "Invoice #"
    business = config.business
    assert business.payment_instructions == "Bank transfer to 000123."
    assert business.payment_instructions_for("KRW", "ko") == "국민은행 123-45."
    assert business.payment_instructions_for("CNY", "zh") == "银行转账。"
    assert business.payment_instructions_for("USD", "en") == "Bank transfer to 000123."


def test_absent_keys_take_their_defaults(tmp_path):
    path = write(tmp_path, '[business]\nname = "Solo"\npayment_instructions = "Pay by card."\n[mail.smtp]\nhost = "h"\n')
    config = load_config(path)
    assert config.business == Business(name="Solo", payment_instructions_by={"default": "Pay by card."})
    assert config.business.payment_instructions_for("KRW", "ko") == "Pay by card."
    assert config.workbook == WorkbookConfig(path=None, google_sheet="", date_order="DMY", sheets={}, columns={})
    assert config.aging == AgingConfig(timezone="UTC", basis="due_date", buckets=(30, 60, 90), default_currency="USD")
    assert config.reminders == RemindersConfig()
    assert config.reminders.stages == DEFAULT_STAGES
    assert config.reminders.send_days == ("mon", "tue", "wed", "thu", "fri") and config.reminders.templates_dir is None
    assert (config.reminders.write_off_below, config.reminders.discount_percent) == ({}, Decimal(0))
    assert config.mail == MailConfig(outbox_dir=tmp_path / "outbox", smtp=SmtpConfig(host="h"))
    assert (config.mail.from_, config.mail.smtp.port, config.mail.smtp.security) == ("you@example.com", 587, "starttls")
    assert config.google == GoogleConfig(api_endpoint="", send_window=20)
    assert load_config(write(tmp_path, "")).mail.outbox_dir == tmp_path / "outbox"  # no [mail] at all


def test_one_write_off_amount_is_in_the_default_currency(tmp_path):
    config = load_config(write(tmp_path, '[reminders]\nwrite_off_below = 100\n[aging]\ndefault_currency = "EUR"\n'))
    assert config.reminders.write_off_below == {"EUR": Decimal(100)}
    config = load_config(write(tmp_path, '[reminders]\nwrite_off_below = { usd = 100, KRW = "100000" }\n'))
    assert config.reminders.write_off_below == {"USD": Decimal(100), "KRW": Decimal(100000)}


def test_stage_order_and_both_workbooks_are_checked_across_keys(tmp_path):
    message = error_of(tmp_path, '[workbook]\npath = "a.xlsx"\ngoogle_sheet = "KEY"\n'
                                 '[reminders.stages.gentle]\noffset = 30\n')
    assert message == (
        "Config: 2 problems in sheet-sync.toml:\n"
        "  set either workbook.path or workbook.google_sheet, not both.\n"
        "  reminders.stages offsets must increase from upcoming to final, and gaps must not be negative."
    )


def test_mail_imap_defaults_and_its_keys_problems_by_name(tmp_path):
    from sheet_sync.config import ImapConfig

    config = load_config(write(tmp_path, '[mail.imap]\nhost = "imap.gmail.com"\nuser = "me@gmail.com"\n'))
    assert config.mail.imap == ImapConfig(host="imap.gmail.com", user="me@gmail.com")
    assert (config.mail.imap.port, config.mail.imap.security, config.mail.imap.folders) == (993, "ssl", ("INBOX",))
    assert config.reminders.reply_pause_days == 7 and not load_config(write(tmp_path, "")).mail.imap.on
    message = error_of(tmp_path, '[mail.imap]\nhost = "imap.example.com"\nsecurity = "none"\nfolders = []\n'
                                 '[reminders]\nreply_pause_days = -1\n')
    assert "mail.imap.folders must list one or more folder names" in message
    assert "reminders.reply_pause_days must be 0 or more, not -1." in message
    message = error_of(tmp_path, '[mail.imap]\nhost = "imap.example.com"\nsecurity = "none"\n')
    assert "mail.imap.user must name the mailbox's login" in message
    assert "mail.imap.security = 'none' sends the password in the clear" in message
    assert load_config(write(tmp_path, '[mail.imap]\nhost = "127.0.0.1"\nuser = "u"\nsecurity = "none"\n')).mail.imap.on
