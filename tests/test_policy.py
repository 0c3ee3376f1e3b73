"""The reminder stages over simulated weeks of daily runs: exact dates, weekends, gaps, holds, holidays.

Calendar: 2026-11-23 is a Monday; Thanksgiving (US) is Thursday 2026-11-26.
"""
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

from sheet_sync.aging import age
from sheet_sync.model import LogEntry
from sheet_sync.policy import make_calendar, plan
from workbooks import invoice, memory_book

START = date(2026, 11, 23)


def simulate(config, book, start=START, days=50, transport="outbox"):
    """Run the pure pipeline every day; return invoice -> [(date, stage)] and the final log."""
    log = list(book.log)
    sent: dict[str, list[tuple[date, str]]] = {}
    statuses: dict[date, dict[str, str]] = {}
    for n in range(days):
        day = start + timedelta(days=n)
        dated = replace(book, log=tuple(log))
        report = age(dated, config, day)
        decisions = plan(report, dated, config, make_calendar(config, day))
        statuses[day] = {no: ("Needs Attention" if decisions[no].needs_attention else s)
                         for no, s in ((r.invoice_no, r.status) for r in report.rows)}
        for no, d in decisions.items():
            if d.send:
                sent.setdefault(no, []).append((day, d.send))
                log.append(LogEntry(datetime.combine(day, time(10), timezone.utc), no, "C1", d.send, "x", "s",
                                    f"<{no}.{d.send}@t>", transport, "sent"))
    return sent, statuses, log


def setup(tmp_path, config_for, rows, extra="", clients=None):
    config = config_for(tmp_path / "book.xlsx", extra)
    book = memory_book(config, rows, clients)
    return config, book


def test_every_stage_in_order_on_sending_days(tmp_path, config_for):
    config, book = setup(tmp_path, config_for, [invoice("A", due=date(2026, 12, 4))])
    sent, statuses, _ = simulate(config, book)
    assert sent["A"] == [
        (date(2026, 12, 1), "upcoming"),   # due - 3, a Tuesday
        (date(2026, 12, 7), "gentle"),     # due + 2 is a Sunday: the next Monday
        (date(2026, 12, 11), "firm"),      # due + 7 (Fri); 3 sending days after gentle is Thu 10th
        (date(2026, 12, 25), "final"),     # due + 21, a Friday (no holidays configured)
    ]
    assert statuses[date(2026, 12, 31)]["A"] == "Overdue"
    assert statuses[date(2027, 1, 1)]["A"] == "Needs Attention"  # 7 days after the final notice


def test_an_invoice_found_40_days_late_starts_with_gentle(tmp_path, config_for):
    config, book = setup(tmp_path, config_for, [invoice("L", due=START - timedelta(days=40))])
    sent, statuses, _ = simulate(config, book, days=20)
    assert sent["L"] == [
        (date(2026, 11, 23), "gentle"),
        (date(2026, 11, 26), "firm"),    # 3 sending days after Monday
        (date(2026, 12, 1), "final"),    # Thu 26, Fri 27, Mon 30: 3 sending days -> Tue 1
    ]
    assert statuses[date(2026, 12, 7)]["L"] == "Overdue"
    assert statuses[date(2026, 12, 8)]["L"] == "Needs Attention"


def test_hold_until_defers_and_later_stages_keep_their_gaps(tmp_path, config_for):
    config, book = setup(tmp_path, config_for, [invoice("H", due=date(2026, 11, 20), hold=date(2026, 12, 2))])
    sent, _, _ = simulate(config, book, days=30)
    assert sent["H"] == [(date(2026, 12, 2), "gentle"), (date(2026, 12, 7), "firm"), (date(2026, 12, 11), "final")]


def test_holidays_and_custom_sending_days(tmp_path, config_for):
    rows = [invoice("T", due=date(2026, 11, 24))]  # gentle due on Thanksgiving
    config, book = setup(tmp_path, config_for, rows, '[reminders]\nholidays = "US"')
    sent, _, _ = simulate(config, book, days=10)
    assert sent["T"][:2] == [(date(2026, 11, 23), "upcoming"), (date(2026, 11, 27), "gentle")]

    config, book = setup(tmp_path, config_for, rows, '[reminders]\nsend_days = ["tue", "thu"]')
    sent, _, _ = simulate(config, book, days=10)
    assert sent["T"][:2] == [(date(2026, 11, 24), "upcoming"), (date(2026, 11, 26), "gentle")]


def test_pre_due_stage_is_skipped_once_due_date_passed(tmp_path, config_for):
    config, book = setup(tmp_path, config_for, [invoice("P", due=date(2026, 11, 21))])
    sent, _, _ = simulate(config, book, days=3)
    assert sent["P"] == [(date(2026, 11, 23), "gentle")]


def test_no_reminder_for_blocked_invoices_or_opted_out_clients(tmp_path, config_for):
    clients = [["C1", "Acme", "a@acme.example.com", "", "", "en", "Net 30", ""],
               ["C2", "Quiet", "q@quiet.example.com", "", "", "en", "Net 30", "off"]]
    due = START - timedelta(days=10)
    rows = [invoice(s, due=due, status=s) for s in ("Draft", "Paid", "Disputed", "On Hold", "Void", "Written Off")]
    rows += [invoice("zero", due=due, amount=100, paid=100), invoice("over", due=due, amount=100, paid=150),
             invoice("optout", "C2", due=due), invoice("bad", due=due, amount="abc"), invoice("ok", due=due)]
    config, book = setup(tmp_path, config_for, rows, clients=clients)
    sent, _, _ = simulate(config, book, days=40)
    assert set(sent) == {"ok"}


def test_each_stage_at_most_once_and_none_twice_a_day(tmp_path, config_for):
    rows = [invoice(f"N{n}", due=START - timedelta(days=n)) for n in range(-5, 60, 3)]
    config, book = setup(tmp_path, config_for, rows, '[reminders.stages.firm]\ngap = 0\n[reminders.stages.final]\ngap = 0')
    sent, _, log = simulate(config, book, days=60)
    for no, events in sent.items():
        stages = [s for _, s in events]
        assert len(stages) == len(set(stages)), no
        days = [d for d, _ in events]
        assert len(days) == len(set(days)), no  # at most one stage per invoice per day
        order = ["upcoming", "gentle", "firm", "final"]
        assert stages == sorted(stages, key=order.index), no
    # a re-run on the same day with the log written sends nothing
    day = START + timedelta(days=59)
    dated = replace(book, log=tuple(log))
    report = age(dated, config, day)
    assert not any(d.send for d in plan(report, dated, config, make_calendar(config, day)).values())


def test_outbox_trial_does_not_swallow_real_reminders(tmp_path, config_for):
    config, book = setup(tmp_path, config_for, [invoice("R", due=START - timedelta(days=3))])
    _, _, log = simulate(config, book, days=1, transport="outbox")
    assert [e.stage for e in log] == ["gentle"]
    real = replace(config, mail=replace(config.mail, transport="smtp"))
    dated = replace(book, log=tuple(log))
    report = age(dated, real, START)
    assert plan(report, dated, real, make_calendar(real, START))["R"].send == "gentle"
    # ...while a trial still counts the real sends
    smtp_log = [replace(e, transport="smtp") for e in log]
    dated = replace(book, log=tuple(smtp_log))
    assert plan(age(dated, config, START), dated, config, make_calendar(config, START))["R"].send == ""


def test_unconfirmed_is_never_resent_until_the_owner_says_retry(tmp_path, config_for):
    config, book = setup(tmp_path, config_for, [invoice("U", due=START - timedelta(days=3))])
    at = datetime.combine(START - timedelta(days=1), time(9), timezone.utc)
    entry = LogEntry(at, "U", "C1", "gentle", "x", "s", "<U.gentle@t>", "outbox", "unconfirmed")
    for state, expected in (("unconfirmed", ""), ("pending", ""), ("failed", "gentle"), ("retry", "gentle"), ("sent", "")):
        dated = replace(book, log=(replace(entry, state=state),))
        decision = plan(age(dated, config, START), dated, config, make_calendar(config, START))["U"]
        assert decision.send == expected, state
    dated = replace(book, log=(entry,))
    decision = plan(age(dated, config, START), dated, config, make_calendar(config, START))["U"]
    assert "set its State to 'retry'" in " ".join(decision.notes)


def test_needs_attention_suggests_write_off_below_the_limit(tmp_path, config_for):
    rows = [invoice("small", due=START - timedelta(days=60), amount=80),
            invoice("big", due=START - timedelta(days=60), amount=8000)]
    config, book = setup(tmp_path, config_for, rows, "[reminders]\nwrite_off_below = { USD = 100 }")
    final_at = datetime.combine(START - timedelta(days=8), time(9), timezone.utc)
    log = tuple(LogEntry(final_at - timedelta(days=k), no, "C1", stage, "x", "s", f"<{no}{stage}>", "outbox", "sent")
                for no in ("small", "big") for k, stage in ((10, "gentle"), (5, "firm"), (0, "final")))
    dated = replace(book, log=log)
    decisions = plan(age(dated, config, START), dated, config, make_calendar(config, START))
    assert decisions["small"].needs_attention and decisions["big"].needs_attention
    assert "consider writing it off" in decisions["small"].notes[-1]
    assert "collections agency" in decisions["big"].notes[-1]
    assert decisions["small"].send == "" and decisions["big"].send == ""


def test_final_notice_asks_for_an_answer_by_the_end_of_the_week():
    from sheet_sync.compose import reply_by

    monday = date(2026, 11, 23)
    assert reply_by(monday, 3) == date(2026, 11, 27)  # that Friday
    assert reply_by(monday + timedelta(days=1), 3) == date(2026, 11, 27)  # Tuesday: still that Friday
    assert reply_by(monday + timedelta(days=2), 3) == date(2026, 12, 4)  # Wednesday: next Friday


def reply_entry(no: str, day: date, text: str = "We will pay on Friday.") -> LogEntry:
    return LogEntry(datetime.combine(day, time(10), timezone.utc), no, "C1", "reply", "ap@acme.example.com",
                    "Re: Payment reminder", f"<reply.{no}.{day}@acme.example.com>", "imap", "received", text)


def test_a_reply_pauses_reminders_for_reply_pause_days_and_a_new_reply_starts_it_again(tmp_path, config_for):
    config, book = setup(tmp_path, config_for, [invoice("R", due=START - timedelta(days=40))],
                         "[reminders]\nreply_pause_days = 5\n")
    replied = replace(book, log=(reply_entry("R", START - timedelta(days=1)),))
    sent, _, _ = simulate(config, replied, days=10)
    assert sent["R"][0] == (date(2026, 11, 27), "gentle")  # the reply of the 22nd holds it 5 days
    twice = replace(book, log=(reply_entry("R", START - timedelta(days=1)), reply_entry("R", date(2026, 11, 25))))
    sent, _, _ = simulate(config, twice, days=10)
    assert sent["R"][0] == (date(2026, 11, 30), "gentle")  # the second reply (25th) starts it again: 30th, a Monday
    report = age(twice, config, START)
    decision = plan(report, twice, config, make_calendar(config, START))["R"]
    assert decision.replied and decision.send == ""
    assert decision.notes == ("Replied on 2026-11-25 by ap@acme.example.com: 'We will pay on Friday.' Reminders wait "
                              "until 2026-11-30 (reminders.reply_pause_days): read the reply, then set Status or Hold "
                              "Until.",)


def test_hold_until_set_after_a_reply_is_the_owners_decision(tmp_path, config_for):
    config, book = setup(tmp_path, config_for, [invoice("H", due=START - timedelta(days=40), hold=date(2026, 11, 24))])
    sent, _, _ = simulate(config, replace(book, log=(reply_entry("H", START - timedelta(days=1)),)), days=5)
    assert sent["H"][0] == (date(2026, 11, 24), "gentle")  # Hold Until rules, not the reply's 7 days
    paid = memory_book(config, [invoice("P", due=START - timedelta(days=40), amount=100, paid=100)])
    d = plan(age(paid, config, START), replace(paid, log=(reply_entry("P", START),)), config, make_calendar(config, START))
    assert not d["P"].replied  # a paid invoice is Paid, whatever the client wrote


# ---- the sending calendar: numpy's business-day answers, without numpy in every run ------------------

from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None, derandomize=True)
@given(start=st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31)),
       span=st.integers(min_value=-400, max_value=400), n=st.integers(min_value=-30, max_value=60),
       mask=st.lists(st.booleans(), min_size=7, max_size=7).filter(any),
       holidays=st.lists(st.dates(min_value=date(2023, 12, 1), max_value=date(2030, 3, 31)), max_size=12))
def test_the_calendar_answers_as_numpy_does(start, span, n, mask, holidays):
    import numpy as np

    from sheet_sync.policy import Calendar

    weekmask = "".join("1" if m else "0" for m in mask)
    cal = Calendar(weekmask, tuple(holidays))
    ref = np.busdaycalendar(weekmask=weekmask, holidays=holidays)
    end = start + timedelta(days=span)
    assert cal.is_sending_day(start) == bool(np.is_busday(np.datetime64(start, "D"), busdaycal=ref))
    assert cal.busdays_between(start, end) == int(np.busday_count(np.datetime64(start, "D"), np.datetime64(end, "D"),
                                                                  busdaycal=ref))
    expected = np.busday_offset(np.datetime64(start, "D"), n, roll="forward", busdaycal=ref).astype(object)
    assert cal.add_busdays(start, n) == expected
    assert cal.next_sending_day(start) == np.busday_offset(np.datetime64(start, "D"), 0, roll="forward",
                                                           busdaycal=ref).astype(object)
