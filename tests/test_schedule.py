"""`sheet-sync schedule`: the Linux path with the real `crontab` binary (a throw-away user's crontab as root, or
the developer's own saved and restored), the scheduled command run for real; the macOS and Windows paths by
the exact plist and schtasks command lines, and the commands status and remove issue (a recording runner:
our own logic runs unmocked)."""
from __future__ import annotations

import os
import plistlib
import re
import shlex
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path, PureWindowsPath
from zoneinfo import ZoneInfo

import pytest

from sheet_sync import runlog, schedule, schedule_run
from sheet_sync.config import load_config
from sheet_sync.doctor import run_checks
from sheet_sync.errors import SheetSyncError
from sheet_sync.schedule_run import Ran, Where
from workbooks import invoice, simple_book, write_config
import needs

MONDAY = date(2026, 11, 30)
PY = Path("/opt/py/bin/python3")


def utc_clock(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def config_at(folder: Path, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    wb = simple_book(folder / "book.xlsx", [invoice("A-1", due=date.today() - timedelta(days=10))])
    write_config(folder, wb, extra)
    return (folder / "sheet-sync.toml").resolve()  # as the commands name it (macOS: /private/var, not /var)


def job_for(folder: Path, extra: str = "", at: time = time(8, 0), to_local=utc_clock, today: date = MONDAY):
    cfg = config_at(folder, extra)
    return schedule.make_job(load_config(cfg), cfg.resolve(), PY, at, to_local, today)


# ---- the pure part: times, crontab text, plist, schtasks --------------------------------------------

def test_the_send_time_is_converted_to_the_computers_clock(tmp_path):
    berlin = job_for(tmp_path / "b", '[aging]\ntimezone = "Europe/Berlin"\n')
    assert berlin.fires == (schedule.Fire(7, 0, (0, 1, 2, 3, 4)),)  # 08:00 in Berlin's winter is 07:00 UTC
    assert berlin.drift.startswith("the difference between Europe/Berlin and this computer's clock changes with "
                                   "summer time, so the entry made today runs at 08:00 Europe/Berlin only until")
    summer = job_for(tmp_path / "b", '[aging]\ntimezone = "Europe/Berlin"\n', today=date(2026, 7, 6))
    assert summer.fires == (schedule.Fire(6, 0, (0, 1, 2, 3, 4)),)
    seoul = job_for(tmp_path / "s", '[aging]\ntimezone = "Asia/Seoul"\n')
    # Monday to Friday 08:00 in Seoul is Sunday to Thursday 23:00 UTC, all year (Korea keeps no summer time)
    assert seoul.fires == (schedule.Fire(23, 0, (0, 1, 2, 3, 6)),) and seoul.drift == ""
    assert schedule.cron_lines(seoul)[2].startswith("0 23 * * 0-4 ")
    same = job_for(tmp_path / "n", '[aging]\ntimezone = "America/New_York"\n',
                   to_local=lambda m: m.astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None))
    assert same.fires == (schedule.Fire(8, 0, (0, 1, 2, 3, 4)),) and same.drift == ""


def test_the_cron_lines_quote_the_paths_and_escape_percent(tmp_path):
    job = job_for(tmp_path / "Books 100% mine", '[reminders]\nsend_days = ["mon", "wed", "thu", "sat"]\n',
                  at=time(7, 30))
    folder = job.config.parent
    cfg, log = folder / "sheet-sync.toml", folder / "sheet-sync.log"

    def quoted(path: Path) -> str:
        return f"'{path}'".replace("%", "\\%")

    assert schedule.cron_lines(job) == [
        f"# sheet-sync: {cfg}",
        f"# sheet-sync runs at 07:30 UTC on mon, wed, thu, sat; log: {log}",
        f"30 7 * * 1,3,4,6 cd {quoted(folder)} && {shlex.quote(str(PY))} -m sheet_sync sync --config {quoted(cfg)} "
        f"--log {quoted(log)} >> {quoted(log)} 2>&1",
    ]


OTHER = """SHELL=/bin/bash
MAILTO=me@example.com
# my backups
15 2 * * * /usr/local/bin/backup --tag 'nightly \\%d'
# sheet-sync: /home/me/Other Books/sheet-sync.toml
0 9 * * 1-5 cd '/home/me/Other Books' && /usr/bin/python3 -m sheet_sync sync --config '/home/me/Other Books/sheet-sync.toml' --log x
"""


def test_install_twice_replaces_and_remove_gives_back_every_byte(tmp_path):
    job = job_for(tmp_path / "mine")
    once = schedule.crontab_with(OTHER, job)
    assert once == OTHER + "".join(line + "\n" for line in schedule.cron_lines(job))
    assert schedule.crontab_with(once, job) == once
    later = schedule.make_job(load_config(job.config), job.config, PY, time(9, 15), utc_clock, MONDAY)
    twice = schedule.crontab_with(once, later)
    assert twice.count(schedule.marker(job.config)) == 1 and "15 9 * * 1-5 " in twice and "0 8 * * 1-5 " not in twice
    assert schedule.crontab_without(twice, job.config) == OTHER
    # the other config's entry is its own: ours never touches it, and it is found by its own marker
    other = Path("/home/me/Other Books/sheet-sync.toml")
    assert len(schedule.ours_in_crontab(twice, other)) == 2
    assert schedule.crontab_without(OTHER.rstrip("\n"), job.config) == OTHER.rstrip("\n")
    assert schedule.crontab_with("", job).splitlines() == schedule.cron_lines(job)
    assert schedule.crontab_with(OTHER.rstrip("\n"), job) == once  # a last line without its line end gets one


def test_the_launchd_plist_is_exact(tmp_path):
    job = job_for(tmp_path / "mac", '[reminders]\nsend_days = ["mon", "tue", "fri"]\n')
    folder = job.config.parent
    assert schedule.launchd_plist(job).decode() == f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>org.sheet-sync.{job.key}</string>
	<key>ProgramArguments</key>
	<array>
		<string>{PY}</string>
		<string>-m</string>
		<string>sheet_sync</string>
		<string>sync</string>
		<string>--config</string>
		<string>{folder / 'sheet-sync.toml'}</string>
		<string>--log</string>
		<string>{folder / 'sheet-sync.log'}</string>
	</array>
	<key>WorkingDirectory</key>
	<string>{folder}</string>
	<key>StartCalendarInterval</key>
	<array>
		<dict>
			<key>Weekday</key>
			<integer>1</integer>
			<key>Hour</key>
			<integer>8</integer>
			<key>Minute</key>
			<integer>0</integer>
		</dict>
		<dict>
			<key>Weekday</key>
			<integer>2</integer>
			<key>Hour</key>
			<integer>8</integer>
			<key>Minute</key>
			<integer>0</integer>
		</dict>
		<dict>
			<key>Weekday</key>
			<integer>5</integer>
			<key>Hour</key>
			<integer>8</integer>
			<key>Minute</key>
			<integer>0</integer>
		</dict>
	</array>
	<key>StandardOutPath</key>
	<string>{folder / 'sheet-sync.log'}</string>
	<key>StandardErrorPath</key>
	<string>{folder / 'sheet-sync.log'}</string>
	<key>RunAtLoad</key>
	<false/>
</dict>
</plist>
"""


def windows_job(config: str, python: str, extra_days=None) -> schedule.Job:
    cfg = PureWindowsPath(config)
    return schedule.Job(cfg, PureWindowsPath(python), cfg.parent, cfg.parent / "sheet-sync.log", time(8, 0), "Asia/Seoul",
                        ("mon", "tue", "wed", "thu", "fri"),
                        extra_days or (schedule.Fire(8, 0, (0, 1, 2, 3, 4)),))


def test_the_schtasks_command_lines_are_exact():
    job = windows_job(r"C:\Users\김민지\Documents\청구서\sheet-sync.toml", r"C:\Python313\pythonw.exe")
    command = (r"C:\Python313\pythonw.exe -m sheet_sync sync --config C:\Users\김민지\Documents\청구서\sheet-sync.toml "
               r"--log C:\Users\김민지\Documents\청구서\sheet-sync.log")
    assert schedule.schtasks_create(job) == [
        ["schtasks", "/Create", "/TN", f"sheet-sync-{job.key}", "/SC", "WEEKLY", "/D", "MON,TUE,WED,THU,FRI",
         "/ST", "08:00", "/TR", command, "/F"]]
    spaced = windows_job(r"C:\My Books\sheet-sync.toml", r"C:\Program Files\Python313\pythonw.exe",
                         (schedule.Fire(23, 0, (6, 0, 1, 2, 3)),))
    assert schedule.schtasks_create(spaced)[0][7:12] == ["SUN,MON,TUE,WED,THU", "/ST", "23:00", "/TR",
                                                         r'"C:\Program Files\Python313\pythonw.exe" -m sheet_sync sync '
                                                         r'--config "C:\My Books\sheet-sync.toml" --log '
                                                         r'"C:\My Books\sheet-sync.log"']
    deep = windows_job("C:\\" + "\\".join(["a-rather-long-folder-name"] * 6) + "\\sheet-sync.toml", r"C:\py\python.exe")
    with pytest.raises(SheetSyncError, match=r"^The scheduled command is 3\d\d characters long and Task Scheduler takes "
                                             r"at most 261; move the config"):
        schedule.schtasks_create(deep)


# ---- macOS and Windows through a recording runner ----------------------------------------------------

class Recorder:
    """Answers like the real commands would, and records what was asked."""

    def __init__(self, answers: dict[str, Ran] | None = None):
        self.calls: list[list[str]] = []
        self.answers = answers or {}

    def __call__(self, argv: list[str], input: str | None = None) -> Ran:
        self.calls.append(argv)
        for prefix, ran in self.answers.items():
            if " ".join(argv).startswith(prefix):
                return ran
        return Ran(0)


def test_macos_install_status_remove_issue_launchctl_commands(tmp_path):
    cfg = config_at(tmp_path / "books")
    home = tmp_path / "home"
    runner = Recorder()
    where = Where(platform="darwin", runner=runner, home=home, uid=501, python=PY, to_local=utc_clock, today=MONDAY)
    done = schedule_run.install(cfg, time(8, 0), where)
    job = schedule.make_job(load_config(cfg), cfg.resolve(), PY, time(8, 0), utc_clock, MONDAY)
    plist = home / "Library" / "LaunchAgents" / f"{job.label}.plist"
    assert plist.read_bytes() == schedule.launchd_plist(job)
    assert plistlib.loads(plist.read_bytes())["ProgramArguments"][-1] == str(cfg.parent / "sheet-sync.log")
    assert runner.calls == [["launchctl", "bootout", f"gui/501/{job.label}"],
                            ["launchctl", "bootstrap", "gui/501", str(plist)]]
    assert done[0] == f"Scheduled sheet-sync sync for {cfg} at 08:00 UTC on mon, tue, wed, thu, fri: launchd agent " \
                      f"{job.label} ({plist})."

    runner.calls.clear()
    assert schedule_run.status(cfg, where)[0] == f"Scheduled: launchd agent {job.label} ({plist}), loaded."
    assert runner.calls == [["launchctl", "print", f"gui/501/{job.label}"]]
    runner.answers["launchctl print"] = Ran(113, "", "Could not find service")
    assert "NOT loaded" in schedule_run.status(cfg, where)[0]

    runner.calls.clear()
    assert schedule_run.remove(cfg, where) == [f"Removed the launchd agent {job.label} ({plist})."]
    assert runner.calls == [["launchctl", "bootout", f"gui/501/{job.label}"]] and not plist.exists()
    assert schedule_run.status(cfg, where)[0].startswith("Not scheduled: there is no launchd agent")

    runner.answers["launchctl bootstrap"] = Ran(5, "", "Bootstrap failed: 5: Input/output error")
    with pytest.raises(SheetSyncError, match="^launchctl bootstrap failed: Bootstrap failed: 5: Input/output error.$"):
        schedule_run.install(cfg, time(8, 0), where)


def test_windows_install_status_remove_issue_schtasks_commands(tmp_path):
    cfg = config_at(tmp_path / "books", '[aging]\ntimezone = "Asia/Seoul"\n')
    name = f"sheet-sync-{schedule.config_key(cfg.resolve())}"
    not_found = Ran(1, "", "ERROR: The system cannot find the file specified.")
    runner = Recorder({f"schtasks /Query /TN {name}-3": not_found})  # an earlier install left a second task
    where = Where(platform="win32", runner=runner, python=PY, to_local=utc_clock, today=MONDAY)
    schedule_run.install(cfg, time(8, 0), where)
    assert runner.calls[:3] == [["schtasks", "/Query", "/TN", f"{name}-2", "/V", "/FO", "LIST"],
                                ["schtasks", "/Delete", "/TN", f"{name}-2", "/F"],
                                ["schtasks", "/Query", "/TN", f"{name}-3", "/V", "/FO", "LIST"]]
    assert runner.calls[3] == ["schtasks", "/Create", "/TN", name, "/SC", "WEEKLY", "/D", "MON,TUE,WED,THU,SUN",
                               "/ST", "23:00", "/TR", f"{PY} -m sheet_sync sync --config {cfg} --log "
                                                      f"{cfg.parent / 'sheet-sync.log'}", "/F"]
    assert len(runner.calls) == 4
    runner.answers = {f"schtasks /Query /TN {name}-": not_found}

    runner.calls.clear()
    runner.answers[f"schtasks /Query /TN {name} "] = Ran(0, "TaskName: \\x\nNext Run Time: 12/1/2026 11:00:00 PM\n"
                                                            "Status: Ready\nLast Result: 0\n")
    assert schedule_run.status(cfg, where)[0] == (f"Scheduled: Task Scheduler task {name}: next run time 12/1/2026 "
                                                  "11:00:00 PM; status Ready; last result 0")
    assert runner.calls == [["schtasks", "/Query", "/TN", name, "/V", "/FO", "LIST"],
                            ["schtasks", "/Query", "/TN", f"{name}-2", "/V", "/FO", "LIST"]]
    runner.calls.clear()
    assert schedule_run.remove(cfg, where) == [f"Removed the Task Scheduler task {name}."]
    assert runner.calls == [["schtasks", "/Query", "/TN", name, "/V", "/FO", "LIST"],
                            ["schtasks", "/Delete", "/TN", name, "/F"],
                            ["schtasks", "/Query", "/TN", f"{name}-2", "/V", "/FO", "LIST"]]


def test_errors_are_one_sentence(tmp_path):
    cfg = config_at(tmp_path / "books")
    missing = str(tmp_path / "no-such-crontab-here")  # a path: no PATH entry this user may not search gets in the way
    gone = Where(platform="linux", runner=lambda argv, input=None: schedule_run.run_command([missing]))
    with pytest.raises(SheetSyncError, match=f"^There is no {re.escape(missing)} command on this computer; install it"):
        schedule_run.status(cfg, gone)
    refused = Where(platform="linux", runner=Recorder({"crontab": Ran(1, "", "You (kim) are not allowed to use this "
                                                                            "program (crontab)\nSee crontab(1)\n")}))
    with pytest.raises(SheetSyncError) as caught:
        schedule_run.install(cfg, time(8, 0), refused)
    assert str(caught.value) == ("cron refused this user (You (kim) are not allowed to use this program (crontab)); "
                                 "ask the computer's administrator to allow it (/etc/cron.allow), or run sheet-sync "
                                 "from GitHub Actions.")
    with pytest.raises(SheetSyncError, match=r"^--time '8h' is not a time of day; write it as HH:MM, e.g. 08:00.$"):
        schedule.parse_time("8h")


# ---- the run's log ----------------------------------------------------------------------------------

def test_the_log_keeps_whole_latest_runs(tmp_path):
    runs = [runlog.entry(datetime(2026, 11, d, 8, 0, tzinfo=ZoneInfo("UTC")), "sync", 0, f"run {d}\n" + "x" * 60)
            for d in range(1, 29)]
    assert runs[0].startswith("=== 2026-11-01 08:00:00 +0000 sheet-sync sync: exit 0\nrun 1\n")
    text = "".join(runs)
    assert runlog.trimmed(text, limit=len(text)) == text
    assert runlog.last_heading(text) == "2026-11-28 08:00:00 +0000 sheet-sync sync: exit 0"
    assert runlog.last_heading(runs[0]) == "2026-11-01 08:00:00 +0000 sheet-sync sync: exit 0"
    assert runlog.last_heading("") == runlog.last_heading("no heading\n") == ""
    kept = runlog.trimmed(text, limit=1000, keep=500)
    assert kept.startswith("=== ") and text.endswith(kept) and 0 < len(kept) <= 500
    assert kept.count("=== ") == len(kept) // len(runs[-1])
    log = tmp_path / "sheet-sync.log"
    for _ in range(3000):
        runlog.append(log, runs[0])
    assert runlog.KEEP // 2 < log.stat().st_size <= runlog.LIMIT
    assert log.read_text().startswith("=== 2026-11-01")


# ---- Linux, for real ------------------------------------------------------------------------------

@pytest.fixture
def crontab_user():
    """A crontab that may be changed: as root, a throw-away user's (removed afterwards, with its crontab);
    otherwise this user's own, saved first and put back exactly afterwards."""
    if os.geteuid() == 0:
        name = f"sstest{os.getpid()}"
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True,
                       capture_output=True)
        try:
            yield name
        finally:
            subprocess.run(["crontab", "-u", name, "-r"], capture_output=True)
            subprocess.run(["userdel", name], capture_output=True)
        return
    saved = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    try:
        yield None
    finally:
        if saved.returncode == 0:
            subprocess.run(["crontab", "-"], input=saved.stdout, text=True, check=True)
        else:
            subprocess.run(["crontab", "-r"], capture_output=True)


def crontab_l(user: str | None) -> str:
    return subprocess.run(["crontab", *(["-u", user] if user else []), "-l"], capture_output=True, text=True).stdout


@needs.crontab
def test_linux_install_status_remove_leaves_the_crontab_as_it_was(tmp_path, crontab_user):
    user_args = ["-u", crontab_user] if crontab_user else []
    subprocess.run(["crontab", *user_args, "-"], input=OTHER, text=True, check=True)
    before = crontab_l(crontab_user)
    assert before == OTHER
    cfg = config_at(tmp_path / "Books 100% mine", '[aging]\ntimezone = "Asia/Seoul"\n')
    folder = cfg.parent
    where = Where(crontab_user=crontab_user)

    assert schedule_run.status(cfg, where)[0].startswith("Not scheduled: no sheet-sync entry for ")
    done = schedule_run.install(cfg, time(8, 0), where)
    schedule_run.install(cfg, time(8, 0), where)  # twice: replaced, not duplicated
    now = crontab_l(crontab_user)
    assert now.startswith(OTHER) and now.count(schedule.marker(cfg.resolve())) == 1
    ours = schedule.ours_in_crontab(now, cfg.resolve())
    assert done[1:1 + len(ours)] == [f"  {line}" for line in ours]
    entry = ours[-1]
    assert f" -m sheet_sync sync --config '{folder / 'sheet-sync.toml'}'".replace("%", "\\%") in entry
    shown = schedule_run.status(cfg, where)
    assert shown[0] == f"Scheduled in your crontab for {cfg.resolve()}:" and shown[1] == f"  {entry}"
    assert shown[-2:] == [f"  log: {folder / 'sheet-sync.log'} (no run yet)",
                          "  summary: no digest is configured; set mail.digest_to to your address to get each run's "
                          "summary by email (until then, read the log)"]

    # the entry's command, as cron runs it (a bare environment, `\%` back to `%`): it syncs and logs
    command = entry.split(None, 5)[5].replace("\\%", "%")
    ran = subprocess.run(["/bin/sh", "-c", command], env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0 and ran.stdout == ran.stderr == ""
    log = (folder / "sheet-sync.log").read_text(encoding="utf-8")
    assert log.startswith("=== ") and ": exit 0\nsheet-sync as of " in log.splitlines()[0] + "\n" + log.splitlines()[1]
    last_run = next(c for c in run_checks(cfg) if c.name == "last run")
    assert last_run.state == "ok" and " Asia/Seoul — " in last_run.detail
    heading = log.splitlines()[0].removeprefix("=== ")
    assert schedule_run.status(cfg, where)[-2] == f"  log: {folder / 'sheet-sync.log'} (last run: {heading})"

    assert schedule_run.remove(cfg, where) == [f"Removed the sheet-sync entry for {cfg.resolve()} from your crontab; "
                                               "the rest of it is as it was."]
    assert crontab_l(crontab_user) == before
    assert schedule_run.remove(cfg, where)[0].startswith("Nothing to remove")


@pytest.fixture
def own_crontab():
    """This user's own crontab, saved first and put back exactly afterwards (the command line acts on it). As root
    only on CI (SHEET_SYNC_REQUIRE_CRON=1, a throw-away machine): a developer's root crontab is left alone."""
    if os.geteuid() == 0 and os.environ.get("SHEET_SYNC_REQUIRE_CRON") != "1":
        pytest.skip("the command line acts on root's own crontab: run as a developer, or on CI")
    saved = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    try:
        yield
    finally:
        if saved.returncode == 0:
            subprocess.run(["crontab", "-"], input=saved.stdout, text=True, check=True)
        else:
            subprocess.run(["crontab", "-r"], capture_output=True)


@needs.crontab
def test_linux_cli_with_no_crontab_before_leaves_none(tmp_path, own_crontab):
    subprocess.run(["crontab", "-r"], capture_output=True)
    cfg = config_at(tmp_path / "books")
    run = lambda *a: subprocess.run([sys.executable, "-m", "sheet_sync", "schedule", *a, "--config", str(cfg)],
                                    capture_output=True, text=True, timeout=60)
    assert run("install", "--time", "06:45").returncode == 0
    assert "45 6 * * 1-5 " in crontab_l(None)
    assert run("remove").returncode == 0
    assert subprocess.run(["crontab", "-l"], capture_output=True, text=True).returncode != 0


def test_cli_errors_are_one_sentence(tmp_path):
    cfg = config_at(tmp_path / "books")
    ran = subprocess.run([sys.executable, "-m", "sheet_sync", "schedule", "install", "--time", "25:00", "--config",
                          str(cfg)], capture_output=True, text=True, timeout=60)
    assert (ran.returncode, ran.stdout) == (2, "")
    assert ran.stderr == "sheet-sync: --time '25:00' is not a time of day; write it as HH:MM, e.g. 08:00.\n"


class CrontabStore:
    """Answers `crontab -l` and `crontab -` as the real command does, for one user (the real one is tested above)."""

    def __init__(self, text: str | None = None):
        self.text = text

    def __call__(self, argv: list[str], input: str | None = None) -> Ran:
        if argv[-1] == "-l":
            return Ran(0, self.text) if self.text is not None else Ran(1, "", "no crontab for kim\n")
        if argv[-1] == "-":
            self.text = input
        elif argv[-1] == "-r":
            self.text = None
        return Ran(0)


def test_status_says_when_the_clocks_moved_the_entry_out_of_date(tmp_path):
    cfg = config_at(tmp_path / "books", '[aging]\ntimezone = "Europe/Berlin"\n')
    store = CrontabStore(OTHER)
    winter = Where(platform="linux", runner=store, python=PY, to_local=utc_clock, today=MONDAY)
    done = schedule_run.install(cfg, time(8, 0), winter)
    assert "0 7 * * 1-5 " in store.text
    assert any(line.startswith("  note: the difference between Europe/Berlin and this computer's clock") for line in done)
    assert not any("out of date" in line for line in schedule_run.status(cfg, winter))
    summer = Where(platform="linux", runner=store, python=PY, to_local=utc_clock, today=date(2027, 4, 5))
    stale = [line for line in schedule_run.status(cfg, summer) if "out of date" in line]
    assert stale == ["  out of date: `sheet-sync schedule install --time 08:00` would now write other lines (the "
                     "config's send days or time zone changed, the clocks changed, or sheet-sync moved); run it again."]
    schedule_run.install(cfg, time(8, 0), summer)
    assert "0 6 * * 1-5 " in store.text and "0 7 * * 1-5 " not in store.text
    schedule_run.remove(cfg, summer)
    assert store.text == OTHER
