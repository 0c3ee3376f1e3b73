"""A realistic owner's book of any size, for the benchmark and the large-sheet tests. Seeded: the same
`n`, `as_of` and `seed` give the same sheets.

Two years of invoices in the order they were issued, over clients writing in English (USD, some EUR),
Korean (KRW) and Chinese (CNY), with their own terms; most old invoices paid through the Payments sheet
(one or two payments each), some partly paid, some late (so a first sync sends reminders), a few
Disputed, On Hold, Draft, Void or Written Off; PO numbers, payment links, notes, a description and the
owner's own Project column; one to three Line Items per invoice that add up to its Amount.

    realistic_sheets(n, as_of)      -> {sheet name: rows (headers first)}, dates as `date`
    owner_week(emulator, as_of, k)  -> about k invoices changed on a synced emulator's sheet
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

CLIENT_HEADERS = ["Client ID", "Name", "Email", "CC", "Contact Name", "Language", "Payment Terms", "Reminders",
                  "Tax ID", "Address", "Phone", "Notes"]
INVOICE_HEADERS = ["Invoice No", "Client ID", "Project", "Issue Date", "Due Date", "Currency", "Amount",
                   "Amount Paid", "Paid Date", "Status", "Hold Until", "PO Number", "Payment Link",
                   "Note to Client", "Description"]
PAYMENT_HEADERS = ["Invoice No", "Date", "Amount", "Method", "Reference"]
LINE_HEADERS = ["Invoice No", "Description", "Quantity", "Unit Price", "Tax Rate"]

# language, currency, share of clients, terms they write, names
KINDS = [
    ("en", "USD", 0.40, ["Net 30", "Net 15", "30 days", "Due on receipt"],
     ["Northwind", "Bluebird", "Harbor Lights", "Redwood", "Quill & Ink", "Summit", "Lantern", "Oakridge",
      "Maple Street", "Brightside", "Copperleaf", "Greenline"]),
    ("en", "EUR", 0.10, ["Net 30", "14 days"], ["Atelier Lumière", "Kanal Studio", "Vogel & Söhne", "Nordlicht"]),
    ("ko", "KRW", 0.25, ["30일", "15일", "45일"], ["한빛상사", "서울디자인랩", "푸른바다식품", "누리소프트", "별빛카페"]),
    ("zh", "CNY", 0.25, ["30天", "45天", "15天"], ["上海星辰科技", "深圳云帆贸易", "杭州青竹文化", "北京瑞达咨询"]),
]
TERMS_DAYS = {"Net 30": 30, "Net 15": 15, "30 days": 30, "Due on receipt": 0, "14 days": 14, "30일": 30,
              "15일": 15, "45일": 45, "30天": 30, "45天": 45, "15天": 15}
WORK = {"en": ["Website redesign", "Monthly retainer", "Logo and brand guide", "Photography", "Consulting"],
        "ko": ["웹사이트 리디자인", "월간 유지보수", "브랜드 디자인", "사진 촬영"],
        "zh": ["网站改版", "月度维护", "品牌设计", "摄影服务"]}
METHODS = ["wire", "card", "ACH", "PayPal", "계좌이체", "支付宝"]


def _amount(rng: random.Random, currency: str) -> float | int:
    if currency == "KRW":
        return rng.randrange(100, 20_000) * 1000
    if currency == "CNY":
        return round(rng.uniform(800, 90_000), 2)
    return round(rng.uniform(150, 15_000), 2)


def _split(total: float | int, parts: int, rng: random.Random, currency: str) -> list[float | int]:
    """`parts` positive amounts that add up to `total` exactly (in the currency's minor units)."""
    scale = 1 if currency == "KRW" else 100
    units = round(total * scale)
    cuts = sorted(rng.sample(range(1, units), parts - 1)) if parts > 1 and units > parts else []
    pieces = [b - a for a, b in zip([0, *cuts], [*cuts, units])]
    return [p if scale == 1 else round(p / scale, 2) for p in pieces]


def realistic_sheets(n: int, as_of: date, seed: int = 7) -> dict[str, list[list[Any]]]:
    rng = random.Random(seed)
    n_clients = max(4, min(600, n // 15))
    clients, kinds = [], []
    for k in range(n_clients):
        lang, currency, _, terms, names = rng.choices(KINDS, weights=[kind[2] for kind in KINDS])[0]
        name = f"{names[k % len(names)]} {k}" if lang == "en" else f"{names[k % len(names)]}{k}"
        clients.append([f"C{k:04d}", name, f"ap{k}@client{k}.example.com",
                        f"cfo{k}@client{k}.example.com" if k % 9 == 0 else "", f"Contact {k}",
                        lang if k % 11 else "", rng.choice(terms), "off" if k % 37 == 36 else "",
                        f"TAX-{k:05d}", f"{k} Example Road", f"+1-555-{k:04d}", ""])
        kinds.append((lang, currency, clients[-1][6]))
    invoices, payments, lines = [], [], []
    span = 730
    for i in range(n):
        k = rng.randrange(n_clients)
        lang, currency, terms = kinds[k]
        issue = as_of - timedelta(days=int(span * (n - i) / n) + rng.randrange(0, 3))
        days = TERMS_DAYS[terms]
        due = issue + timedelta(days=days)
        amount = _amount(rng, currency)
        age = (as_of - due).days
        status, hold, paid_parts = "", None, 0
        roll = rng.random()
        if roll < 0.01:
            status = "Disputed"
        elif roll < 0.02:
            status, hold = "On Hold", as_of + timedelta(days=rng.randrange(3, 30))
        elif roll < 0.025 and age < 0:
            status = "Draft"
        elif roll < 0.03:
            status = "Void"
        elif roll < 0.033 and age > 120:
            status = "Written Off"
        else:
            paid_share = 0.97 if age > 60 else 0.65 if age > 0 else 0.1
            if rng.random() < paid_share:
                paid_parts = 1 if rng.random() < 0.8 else 2
            elif age > 0 and rng.random() < 0.15:
                paid_parts = -1  # partly paid
        no = f"INV-{issue.year}-{i + 1:06d}"
        invoices.append([no, f"C{k:04d}", f"P-{k % 50:02d}", issue, due if i % 5 else None, currency, amount, None,
                         None, status, hold, f"PO-{i:06d}" if i % 7 == 0 else "",
                         f"https://pay.example.com/{no}" if i % 3 == 0 else "",
                         "Thank you for your business." if i % 13 == 0 else "",
                         rng.choice(WORK[lang])])
        when = min(as_of - timedelta(days=1), due + timedelta(days=rng.randrange(-10, 40)))
        if paid_parts > 0:
            for j, part in enumerate(_split(amount, paid_parts, rng, currency)):
                payments.append([no, when - timedelta(days=5 * (paid_parts - 1 - j)), part, rng.choice(METHODS),
                                 f"REF-{i}-{j}"])
        elif paid_parts < 0:
            part = _split(amount, 2, rng, currency)[0]
            payments.append([no, when, part, rng.choice(METHODS), f"REF-{i}-p"])
        n_lines = rng.randrange(1, 4)
        for j, price in enumerate(_split(amount, n_lines, rng, currency)):
            lines.append([no, f"{rng.choice(WORK[lang])} ({j + 1})", 1, price, 0])
    return {
        "Clients": [CLIENT_HEADERS, *clients],
        "Invoices": [INVOICE_HEADERS, *invoices],
        "Payments": [PAYMENT_HEADERS, *payments],
        "Line Items": [LINE_HEADERS, *lines],
    }


def owner_week(em, as_of: date, n_changed: int) -> list[str]:
    """About `n_changed` invoices change on a synced Sheets emulator (tests/sheets_emulator.py), as an owner's
    week goes: payments come in for open ones (one in part, the others in full), two amounts are corrected (and
    the first of each one's Line Items),
    one open KRW invoice's currency (if any) is corrected to USD keeping its amount, and a new invoice is added (ten
    days overdue: it gets a reminder). Returns the invoice numbers touched, in that order."""
    inv = em.sheet("Invoices")
    pay = em.sheet("Payments")
    aging = em.values("Aging")
    col = {h: i for i, h in enumerate(aging[0])}
    open_rows = [r for r in aging[1:] if r[col["Sync Status"]] not in ("Disputed", "On Hold")]
    touched = []
    headers = em.values("Invoices")[0]
    at = {h: i + 1 for i, h in enumerate(headers)}
    row_of = {inv.cells.get((r, 1)): r for r in range(2, inv.rows + 1) if inv.cells.get((r, 1))}
    last_pay = max(r for r, _ in pay.cells)
    for k, r in enumerate(open_rows[: max(2, n_changed - 4)]):
        no = r[col["Invoice No"]]
        balance = r[col["Balance"]]
        amount = balance if k else round(balance / 2, 2)
        last_pay += 1
        pay.set_rows([[no, as_of - timedelta(days=1), amount, "wire", f"NEW-{k}"]], top=last_pay)
        touched.append(no)
    lines = em.sheet("Line Items") if any(s.title == "Line Items" for s in em.sheets) else None
    for r in open_rows[-3:-1]:  # two amounts corrected, and the first line of each with them (lines add up)
        row = row_of[r[col["Invoice No"]]]
        inv.cells[(row, at["Amount"])] = inv.cells[(row, at["Amount"])] + 100
        if lines is not None:
            first = min(n for (n, c), v in lines.cells.items() if c == 1 and v == r[col["Invoice No"]])
            lines.cells[(first, 4)] = lines.cells[(first, 4)] + 100
        touched.append(r[col["Invoice No"]])
    fix = next((r for r in reversed(open_rows[:-3]) if r[col["Currency"]] == "KRW"), None)
    if fix is not None:
        inv.cells[(row_of[fix[col["Invoice No"]]], at["Currency"])] = "USD"  # the same number, shown with cents
        touched.append(fix[col["Invoice No"]])
    new_row = max(r for r, _ in inv.cells) + 1
    inv.set_rows([["INV-NEW-1", inv.cells[(2, 2)], "P-00", as_of - timedelta(days=40), as_of - timedelta(days=10),
                   "KRW", 3_000_000]], top=new_row)
    touched.append("INV-NEW-1")
    return touched
