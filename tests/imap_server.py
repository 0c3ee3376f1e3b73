"""A real IMAP server on 127.0.0.1 for the tests: Dovecot (Debian's `dovecot-imapd`) with a throw-away
config, one user with a password (a passwd-file), and Maildir mail in a temporary folder.

Two listeners: `port` speaks plain IMAP and offers STARTTLS, `ssl_port` is TLS from the first byte. The
certificate comes from the tests' throwaway CA (trustme), trusted only through SSL_CERT_FILE. Messages go in
with a real IMAP `APPEND` (`append()`), and `flags()` reads them back, so a test can see that the scan left
every message unread.

It runs as root (as CI does: the login processes then run as `dovenull`, the mail as `dovecot`, per
Debian's users) or as a normal user (everything as that user). Dovecot runs in the foreground (`-F`), so the
test owns the process: started, waited for until both ports answer, and stopped at the end.
"""
from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

USER = "owner@studio.example.com"
PASSWORD = "imap-app-pass-4h7q"
START_SECONDS = 15


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next((p for p in ("/usr/sbin/dovecot",) if os.path.exists(p)), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def imap_toml(port: int, security: str = "none", extra: str = "") -> str:
    """The config's [mail.imap] table for a server of this module (the password comes from IMAP_PASSWORD)."""
    return f"""
[mail.imap]
host = "127.0.0.1"
port = {port}
user = "{USER}"
security = "{security}"
{extra}
"""


class DovecotServer:
    def __init__(self, ca=None):
        self.binary = dovecot_binary()
        if self.binary is None:
            raise RuntimeError("dovecot is not installed (apt-get install dovecot-imapd)")
        self.ca = ca
        self.port = free_port()
        self.ssl_port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="sheet-sync-dovecot-"))
        self.process: subprocess.Popen | None = None

    # ---- config --------------------------------------------------------------------------------

    def _users(self) -> tuple[str, str, str, int, int]:
        """(login user, internal user, internal group, mail uid, mail gid): Debian's users as root (imap-login
        refuses to run as root), else the current user and group for everything."""
        import grp  # POSIX only, like Dovecot: imported here so that the tests that import this module are
        import pwd  # collected on Windows too (they skip without Dovecot)

        if os.geteuid() == 0:
            mail = pwd.getpwnam("dovecot")
            return "dovenull", "dovecot", "dovecot", mail.pw_uid, mail.pw_gid
        me = pwd.getpwuid(os.geteuid()).pw_name
        return me, me, grp.getgrgid(os.getegid()).gr_name, os.geteuid(), os.getegid()

    def _write_config(self) -> Path:
        f = self.folder
        login_user, internal_user, internal_group, uid, gid = self._users()
        for sub in ("run", "state", "mail"):
            (f / sub).mkdir()
        (f / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n", encoding="utf-8")
        ssl_lines = "ssl = no\n"
        if self.ca is not None:
            cert = self.ca.issue_cert("127.0.0.1", "localhost")
            cert.cert_chain_pems[0].write_to_path(str(f / "cert.pem"))
            for extra in cert.cert_chain_pems[1:]:
                with open(f / "cert.pem", "ab") as out:
                    out.write(extra.bytes())
            cert.private_key_pem.write_to_path(str(f / "key.pem"))
            ssl_lines = f"ssl = yes\nssl_cert = <{f}/cert.pem\nssl_key = <{f}/key.pem\n"
        imaps = f"  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {self.ssl_port}\n  }}\n" \
            if self.ca is not None else ""
        chroot = "" if os.geteuid() == 0 else "  chroot =\n"
        conf = f"""
base_dir = {f}/run
state_dir = {f}/state
instance_name = sheet-sync-test-{self.port}
protocols = imap
listen = 127.0.0.1
log_path = {f}/dovecot.log
info_log_path = {f}/dovecot.log
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = 1
first_valid_gid = 0
disable_plaintext_auth = no
auth_mechanisms = plain login
# a test logs in with a wrong password on purpose: answer at once (and anvil's auth penalty socket is shut
# below, so that no growing delay follows)
auth_failure_delay = 0
{ssl_lines}
mail_location = maildir:{f}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {f}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={f}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
{imaps}{chroot}}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
{chroot}}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
        path = f / "dovecot.conf"
        path.write_text(conf, encoding="utf-8")
        if os.geteuid() == 0:
            # the login and mail processes run as Debian's users: they must reach their folders
            os.chmod(f, 0o755)
            for sub in ("mail",):
                os.chown(f / sub, uid, gid)
            for name in ("passwd", "key.pem", "cert.pem"):
                if (f / name).exists():
                    os.chmod(f / name, 0o644)
        return path

    # ---- process -------------------------------------------------------------------------------

    def __enter__(self) -> "DovecotServer":
        conf = self._write_config()
        self.process = subprocess.Popen([self.binary, "-F", "-c", str(conf)], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        ports = [self.port] + ([self.ssl_port] if self.ca is not None else [])
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot stopped at start (exit {self.process.returncode}):\n{self.log()}")
            if all(_answers(p, p == self.port) for p in ports):
                return
            time.sleep(0.05)
        raise RuntimeError(f"dovecot did not answer on 127.0.0.1:{ports} within {START_SECONDS} s:\n{self.log()}")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # dovecot's master stops its children on SIGTERM
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(5)
        if self.process is not None and self.process.stdout:
            self.process.stdout.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def log(self) -> str:
        path = self.folder / "dovecot.log"
        out = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        return out[-4000:]

    # ---- mail ----------------------------------------------------------------------------------

    def client(self):
        from imapclient import IMAPClient

        c = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        c.login(USER, PASSWORD)
        return c

    def append(self, *messages: bytes | str, folder: str = "INBOX", when=None) -> None:
        """Put messages into `folder` with IMAP APPEND, unread (no flags)."""
        with self.client() as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            if len(messages) > 50:
                c.multiappend(folder, [m.encode() if isinstance(m, str) else m for m in messages])
                return
            for m in messages:
                c.append(folder, m.encode() if isinstance(m, str) else m, flags=(), msg_time=when)

    def empty(self) -> None:
        """Delete every message of every folder (between tests; the scan itself never deletes)."""
        with self.client() as c:
            for _flags, _sep, name in c.list_folders():
                c.select_folder(name)
                ids = c.search("ALL")
                if ids:
                    c.delete_messages(ids)
                    c.expunge()
                c.unselect_folder()

    def flags(self, folder: str = "INBOX") -> list[tuple[bytes, ...]]:
        """Every message's flags, in order (read-only: reading them changes nothing)."""
        with self.client() as c:
            c.select_folder(folder, readonly=True)
            ids = c.search("ALL")
            got = c.get_flags(ids) if ids else {}
            return [tuple(got[i]) for i in ids]


def _answers(port: int, greeting: bool) -> bool:
    """The port takes a connection (and, for plain IMAP, a login process says `* OK`)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            return not greeting or s.recv(64).startswith(b"* OK")
    except OSError:
        return False


def ssl_context_for(pem: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(pem))
