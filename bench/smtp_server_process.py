"""The tests' SMTP server (tests/smtp_server.py: aiosmtpd, STARTTLS, login) in a process of its own, so that
bench/sync_bench.py measures the sender, not the server sharing its interpreter.

    python bench/smtp_server_process.py CA_FILE

Writes a fresh test CA's certificate to CA_FILE (trust it with SSL_CERT_FILE), prints the port, serves
until its stdin closes, then prints {"received": messages, "logins": logins} as one JSON line.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import trustme  # noqa: E402

from smtp_server import SmtpServer  # noqa: E402

if __name__ == "__main__":
    ca = trustme.CA()
    ca.cert_pem.write_to_path(sys.argv[1])
    with SmtpServer(ca) as server:
        print(server.port, flush=True)
        sys.stdin.read()
        print(json.dumps({"received": len(server.received), "logins": server.handler.logins}), flush=True)
