"""The demo workbook: a realistic owner's book of clients and invoices, dated relative to `today`.

Deterministic (seeded), so the same `today` gives the same workbook. What it exercises:

- every aging bucket, and invoices exactly 3 days before due and 2, 7 and 21 days overdue, so each
  reminder stage is due on the demo's run day (with the simulated history of `demo.py`);
- every owner status (blank, Sent, Paid, Draft, Disputed, On Hold, Void, Written Off), partial and
  over-payments, a Hold Until in the future, PO numbers, payment links, notes to the client;
- clients in English, Korean and Chinese, USD / KRW / CNY / EUR, terms in words, 일 and 天, blank due dates;
- a Description per invoice (what it is for, shown to the client), the owner's own formula column, styles,
  a frozen header, a Status drop-down;
- deliberate problems: an amount 'abc', an issue date 'next week', a duplicate Invoice No, an unknown
  Client ID, a client with an invalid email and one with none (each row is reported, the rest is processed).
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

CLIENT_HEADERS = ["Client ID", "Name", "Contact Name", "Email", "CC", "Language", "Payment Terms", "Reminders",
                  "Tax ID", "Address", "Phone", "Notes"]
INVOICE_HEADERS = ["Invoice No", "Client ID", "Description", "Issue Date", "Due Date", "Currency", "Amount",
                   "Amount incl. VAT", "Amount Paid", "Paid Date", "Status", "Hold Until", "PO Number",
                   "Payment Link", "Note to Client"]

# (id, name, contact, email, cc, language, terms, reminders, currency)
CLIENTS = [
    ("C-001", "Northwind Traders", "Dana Whitfield", "ap@northwind.example.com", "", "en", "Net 30", "", "USD"),
    ("C-002", "Bluebird Bakery", "Sam Ortiz", "sam@bluebird.example.com", "", "en", "14 days", "", "USD"),
    ("C-003", "Harbor Lights Dental", "Priya Natarajan", "billing@harborlights.example.org; priya@harborlights.example.org", "", "en", "Net 15", "", "USD"),
    ("C-004", "Redwood Legal LLP", "Marcus Hale", "accounts@redwoodlegal.example.com", "mhale@redwoodlegal.example.com", "en", "30 days", "", "USD"),
    ("C-005", "Quill & Ink Publishing", "Eleanor Price", "eleanor@quillink.example.com", "", "en", "Due on receipt", "", "USD"),
    ("C-006", "Summit Outdoor Gear", "Jake Morrison", "finance@summitgear.example.com", "", "", "Net 30", "", "USD"),
    ("C-007", "Lantern Coffee Roasters", "Mia Chen", "mia@lanterncoffee.example.com", "", "en", "", "", "USD"),
    ("C-008", "Oakridge Veterinary", "Tom Becker", "office@oakridgevet.example.com", "", "en", "Net 30", "off", "USD"),
    ("C-009", "Atelier Lumière", "Claire Dubois", "claire@atelier-lumiere.example.com", "", "en", "Net 30", "", "EUR"),
    ("C-010", "Greenline Logistics", "Omar Farouk", "billing(at)greenline.example.com", "", "en", "Net 30", "", "USD"),
    ("C-011", "Pixel Forge Games", "Lena Park", "", "", "en", "Net 30", "", "USD"),
    ("C-101", "한빛상사", "김민수", "accounts@hanbit.example.co.kr", "", "ko", "30일", "", "KRW"),
    ("C-102", "서울디자인랩", "이서연", "seoyeon@seoul-designlab.example.co.kr", "", "ko", "15일", "", "KRW"),
    ("C-103", "푸른바다식품", "박지훈", "finance@purunbada.example.co.kr", "", "ko", "30일", "", "KRW"),
    ("C-104", "누리소프트", "최유진", "billing@nurisoft.example.co.kr", "cfo@nurisoft.example.co.kr", "ko", "45일", "", "KRW"),
    ("C-105", "한결건축사무소", "정다은", "daeun@hangyeol.example.co.kr", "", "ko", "", "", "KRW"),
    ("C-106", "별빛카페", "강현우", "hyunwoo@byeolbit.example.co.kr", "", "ko", "즉시", "", "KRW"),
    ("C-201", "上海星辰科技有限公司", "王芳", "finance@xingchen.example.cn", "", "zh", "30天", "", "CNY"),
    ("C-202", "深圳云帆贸易", "李强", "liqiang@yunfan.example.cn", "", "zh", "45天", "", "CNY"),
    ("C-203", "杭州青竹文化传媒", "陈静", "chenjing@qingzhu.example.cn", "", "zh", "30天", "", "CNY"),
    ("C-204", "北京瑞达咨询", "张伟", "zhangwei@ruida.example.cn", "", "zh", "15天", "", "CNY"),
    ("C-205", "成都锦城餐饮", "刘洋", "liuyang@jincheng.example.cn", "", "zh", "即付", "", "CNY"),
    ("C-012", "Maple Street Florist", "Rosa Alvarez", "rosa@maplestreetflorist.example.com", "", "en", "Net 30", "", "USD"),
    ("C-013", "Brightside Tutoring", "Kevin O'Neill", "kevin@brightside.example.org", "", "en", "Net 30", "", "USD"),
    ("C-014", "Copperleaf Architects", "Hannah Schmidt", "accounts@copperleaf.example.com", "", "en", "Net 30", "", "EUR"),
]

PROJECTS = {
    "en": ["Website redesign", "Brand identity", "Monthly retainer", "Photo shoot", "Menu design", "Annual report",
           "Social media kit", "Packaging", "Newsletter templates", "Trade show booth"],
    "ko": ["홈페이지 리뉴얼", "브랜드 아이덴티티", "월간 유지보수", "제품 촬영", "카탈로그 디자인", "패키지 디자인"],
    "zh": ["官网改版", "品牌视觉设计", "月度维护", "产品摄影", "画册设计", "包装设计"],
}

# Days overdue on `today` for the open invoices (negative = not yet due), chosen to hit every bucket and stage.
OPEN_DAYS = [-25, -12, -6, -3, -3, -1, 0, 2, 2, 4, 7, 7, 9, 12, 16, 21, 21, 26, 33, 38, 45, 52, 58, 64, 71, 85,
             95, 120, 150, 200]


def _amount(rng: random.Random, currency: str) -> Decimal:
    if currency == "KRW":
        return Decimal(rng.choice([450, 800, 1200, 1650, 2400, 3300, 5200]) * 1000)
    if currency == "CNY":
        return Decimal(rng.choice([2800, 4500, 6800, 8800, 12000, 18500]))
    return Decimal(rng.choice([350, 480, 750, 1250, 1800, 2400, 3150, 4800, 6200])) + Decimal(rng.choice([0, 0, 50, 99])) / 100


def build_demo_workbook(path: Path, today: date, with_payments: bool = False) -> None:
    """Write the demo workbook to `path` (see the module docstring for what it holds)."""
    rng = random.Random(42)
    wb = openpyxl.Workbook()
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="2F5D50")

    ws = wb.active
    ws.title = "Clients"
    ws.append(CLIENT_HEADERS)
    for i, (cid, name, contact, email, cc, lang, terms, reminders, _cur) in enumerate(CLIENTS):
        ws.append([cid, name, contact, email, cc, lang, terms, reminders, f"TAX-{1000 + i}",
                   f"{10 + i} Example Road", f"+1 555 01{i:02d}", ""])
    _style_sheet(ws, header_font, header_fill, [10, 28, 18, 44, 30, 10, 16, 10, 12, 22, 16, 20])

    # the owner's note to the client, in the client's language (it stands in the message as written)
    thanks_note = {"en": "Thank you for choosing us for this project.", "ko": "이번 프로젝트를 맡겨 주셔서 감사합니다.",
                   "zh": "感谢您选择我们承接本项目。"}
    inv = wb.create_sheet("Invoices")
    inv.append(INVOICE_HEADERS)
    rows: list[list] = []
    serial = 0

    def add(client_idx: int, due: date | None, *, issue: date | None = None, status: str = "", paid: Decimal | None = None,
            paid_date: date | None = None, hold: date | None = None, amount=None, currency: str | None = None,
            po: str = "", link: bool = False, note: str = "", no: str | None = None) -> None:
        nonlocal serial
        serial += 1
        cid, _n, _c, _e, _cc, lang, _t, _r, cur = CLIENTS[client_idx]
        currency = cur if currency is None else currency
        number = no or f"INV-{today.year}-{serial:04d}"
        issue = issue or (due - timedelta(days=30) if due else today - timedelta(days=20))
        amt = amount if amount is not None else _amount(rng, currency or "USD")
        project = rng.choice(PROJECTS[lang or "en"])
        rows.append([number, cid, project, issue, due, currency, amt, None, paid, paid_date, status, hold, po,
                     f"https://pay.example.com/inv/{number}" if link else "", note])

    n_clients = len(CLIENTS)
    good = [i for i, c in enumerate(CLIENTS) if c[0] not in ("C-010", "C-011")]
    # Open invoices across every bucket and stage.
    for k, days in enumerate(OPEN_DAYS * 3):
        client = good[k % len(good)]
        due = today - timedelta(days=days + (k // len(OPEN_DAYS)) * 0)
        add(client, due, po=f"PO-{4100 + k}" if k % 4 == 0 else "", link=k % 3 == 0,
            note=thanks_note[CLIENTS[client][5] or "en"] if k % 11 == 0 else "")
    # Paid invoices, some late, for the clients' payment records.
    for k in range(30):
        client = good[(k * 7) % len(good)]
        due = today - timedelta(days=20 + 5 * k)
        late = rng.choice([0, 0, 3, 8, 15, 30])
        amt = _amount(rng, CLIENTS[client][8])
        add(client, due, status="Paid", paid=amt, amount=amt, paid_date=due + timedelta(days=late))
    # Partial payments, an over-payment, and every owner status.
    for k in range(5):
        client = good[(k * 5 + 3) % len(good)]
        amt = _amount(rng, CLIENTS[client][8])
        add(client, today - timedelta(days=[3, 15, 40, 70, -5][k]), paid=(amt * Decimal("0.4")).quantize(amt), amount=amt)
    amt = Decimal("980.00")
    add(0, today - timedelta(days=12), paid=Decimal("1000.00"), amount=amt, paid_date=today - timedelta(days=5))
    add(1, today - timedelta(days=30), status="Draft")
    add(2, today + timedelta(days=20), status="Draft")
    add(3, today - timedelta(days=35), status="Disputed", note="We are reviewing the hours with you.")
    add(4, today - timedelta(days=18), status="On Hold")
    add(5, today - timedelta(days=60), status="Void")
    add(6, today - timedelta(days=220), status="Written Off")
    add(11, today - timedelta(days=10), hold=today + timedelta(days=6), po="PO-KR-2210")
    add(17, today - timedelta(days=9), hold=today - timedelta(days=1))
    # Blank due dates: from the client's terms.
    for k, client in enumerate([0, 1, 11, 12, 17, 18, 3, 19, 13, 4]):
        terms_days = 0
        add(client, None, issue=today - timedelta(days=[5, 10, 20, 33, 40, 3, 28, 50, 12, 1][k] + terms_days))
    # Text and serial-number dates, text amounts: valid, the tool reads them.
    add(0, None, issue=None, amount="$1,250.00")
    rows[-1][3] = (today - timedelta(days=32)).isoformat()
    rows[-1][4] = (today - timedelta(days=2)).isoformat()
    add(11, today - timedelta(days=7), amount="₩1,200,000")
    rows[-1][3] = (today - timedelta(days=37) - date(1899, 12, 30)).days  # an Excel serial number
    # Deliberate problems.
    add(1, today - timedelta(days=15), amount="abc")
    add(2, None, issue=today)
    rows[-1][3] = "next week"
    dup = f"INV-{today.year}-0007"
    add(5, today - timedelta(days=40), no=dup)
    add(7, today - timedelta(days=5))
    rows[-1][1] = "C-999"
    add(good[0], today - timedelta(days=4))
    rows[-1][1] = "C-010"  # invalid email
    add(good[0], today - timedelta(days=9))
    rows[-1][1] = "C-011"  # no email
    del n_clients

    for r, row in enumerate(rows, start=2):
        inv.append(row)
        inv.cell(r, 8).value = f"=IF(ISNUMBER(G{r}),G{r}*1.1,\"\")"
        for col in (4, 5, 10, 12):
            if not isinstance(inv.cell(r, col).value, (str, int)):
                inv.cell(r, col).number_format = "yyyy-mm-dd"
        money = "#,##0" if row[5] == "KRW" else "#,##0.00"
        for col in (7, 8, 9):
            inv.cell(r, col).number_format = money
    _style_sheet(inv, header_font, header_fill, [16, 10, 22, 12, 12, 9, 14, 16, 13, 12, 12, 12, 12, 40, 40])
    dv = DataValidation(type="list", formula1='"Draft,Sent,Paid,Disputed,On Hold,Void,Written Off"', allow_blank=True)
    inv.add_data_validation(dv)
    dv.add(f"K2:K{len(rows) + 200}")

    notes = wb.create_sheet("Notes")
    notes["A1"] = "Owner's notes: this sheet is mine; sheet-sync never touches it."
    notes["A2"] = "Call Northwind about the Q4 retainer."
    notes["A3"] = "=COUNTA(Invoices!A:A)-1"

    if with_payments:
        pay = wb.create_sheet("Payments")
        pay.append(["Invoice No", "Date", "Amount", "Method", "Reference"])
        for row in rows:
            if isinstance(row[8], Decimal) and row[8] > 0:
                pay.append([row[0], row[9] or today - timedelta(days=3), row[8], "Bank transfer", f"REF-{row[0]}"])
        _style_sheet(pay, header_font, header_fill, [16, 12, 14, 16, 20])
    wb.save(path)


def _style_sheet(ws, font, fill, widths) -> None:
    from openpyxl.utils import get_column_letter

    for cell in ws[1]:
        cell.font = font
        cell.fill = fill
    ws.freeze_panes = "A2"
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
