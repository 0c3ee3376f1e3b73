"""Mail as clients and mail servers send it, for the mailbox tests: replies (in the thread or not, in UTF-8,
EUC-KR, GB18030), out-of-office answers in English, Korean and Chinese, and bounces (a DSN and a plain
Mailer-Daemon notice). Each is bytes, ready for IMAP APPEND or for the pure classification."""
from __future__ import annotations

from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime
from datetime import datetime, timezone

OWNER = "billing@studio.example.com"
QUOTE = ("\n\nOn Mon, 23 Nov 2026 at 09:00, Test Studio <billing@studio.example.com> wrote:\n"
         "> Dear Acme Ltd,\n> Invoice INV-1 for $1,000.00 is now overdue.\n")


def _finish(msg, sender: str, subject: str, message_id: str, when: datetime, to: str = OWNER,
            in_reply_to: str = "", headers: dict | None = None) -> bytes:
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for k, v in (headers or {}).items():
        msg[k] = v
    return msg.as_bytes()


def reply(sender: str, text: str, *, subject: str = "Re: Payment reminder", in_reply_to: str = "",
          message_id: str = "<reply-1@acme.example.com>", charset: str = "utf-8", html: str = "",
          when: datetime = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc), headers: dict | None = None) -> bytes:
    """A client's reply; `html` makes it multipart/alternative (or HTML only when `text` is empty)."""
    if html and text:
        msg = MIMEMultipart("alternative")
        msg.attach(MIMEText(text, "plain", charset))
        msg.attach(MIMEText(html, "html", charset))
    elif html:
        msg = MIMEText(html, "html", charset)
    else:
        msg = MIMEText(text, "plain", charset)
    return _finish(msg, sender, subject, message_id, when, in_reply_to=in_reply_to, headers=headers)


OUT_OF_OFFICE = {
    "en": dict(subject="Automatic reply: Payment reminder", text="I am out of the office until Monday.",
               headers={"Auto-Submitted": "auto-replied"}),
    "ko": dict(subject="부재중 자동 회신: 결제 안내", text="12월 1일까지 휴가 중입니다.", headers={}),
    "zh": dict(subject="自动回复: 付款提醒", text="我正在休假，12月1日回来。", headers={"X-Autoreply": "yes"}),
}


def out_of_office(language: str, sender: str, in_reply_to: str, n: int = 1) -> bytes:
    spec = OUT_OF_OFFICE[language]
    return reply(sender, spec["text"], subject=spec["subject"], in_reply_to=in_reply_to,
                 message_id=f"<ooo-{language}-{n}@client.example.com>", headers=spec["headers"])


def dsn(original_id: str, recipient: str, status: str = "5.1.1", action: str = "failed",
        diagnostic: str = "550 5.1.1 <{r}>: Recipient address rejected: User unknown",
        message_id: str = "<dsn-1@mx.studio.example.com>") -> bytes:
    """A delivery status notification (RFC 3464) as Postfix sends it, quoting our message's headers."""
    text = f"""From: MAILER-DAEMON@mx.studio.example.com (Mail Delivery System)
To: {OWNER}
Subject: Undelivered Mail Returned to Sender
Date: Fri, 20 Nov 2026 09:05:00 +0000
Message-ID: {message_id}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B0UND"

--B0UND
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.studio.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{recipient}>: host mx.acme.example.com said: {diagnostic.format(r=recipient)}

--B0UND
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.studio.example.com
Arrival-Date: Fri, 20 Nov 2026 09:04:58 +0000

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.acme.example.com
Diagnostic-Code: smtp; {diagnostic.format(r=recipient)}

--B0UND
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: Test Studio <{OWNER}>
To: {recipient}
Subject: Payment reminder
Message-ID: {original_id}

--B0UND--
"""
    return text.replace("\n", "\r\n").encode()


def daemon_notice(original_id: str, recipient: str, code: str = "5.2.2",
                  message_id: str = "<notice-1@mail.example.net>") -> bytes:
    """A plain-text Mailer-Daemon notice that quotes our Message-ID in its body (no DSN part)."""
    text = (f"Delivery to the following recipient failed permanently:\n\n     {recipient}\n\n"
            f"Technical details of permanent failure:\n{code} The email account that you tried to reach is over quota.\n\n"
            f"----- Original message -----\n\nMessage-ID: {original_id}\nSubject: Payment reminder\n")
    return _finish(MIMEText(text, "plain", "utf-8"), "Mail Delivery Subsystem <mailer-daemon@mail.example.net>",
                   "Delivery Status Notification (Failure)", message_id, datetime(2026, 11, 20, 9, 7, tzinfo=timezone.utc))
