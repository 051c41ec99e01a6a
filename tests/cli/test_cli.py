from __future__ import annotations

import json

import pytest

from netcron.inventory.models import Credential, Device
from netcron.jobs.models import JobRun, JobSchedule, JobTemplate
from tests.factories import run_cli as netcron


def test_schedule_preview_prints_one_utc_instant_per_line_with_dst_handled(capsys):
    code, out, _ = netcron(capsys, "schedule", "preview", "--cron", "30 2 * * *", "--tz", "Europe/Berlin",
                           "--after", "2026-03-28T12:00:00Z", "--count", "3")
    assert code == 0
    assert out.splitlines() == ["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"]


def test_schedule_preview_of_an_interval_is_anchored_at_start(capsys):
    code, out, _ = netcron(capsys, "schedule", "preview", "--interval", "900", "--start", "2026-01-01T00:05:00Z",
                           "--after", "2026-01-01T10:00:00Z", "--count", "2")
    assert (code, out.split()) == (0, ["2026-01-01T10:05:00Z", "2026-01-01T10:20:00Z"])


def test_a_bad_cron_expression_exits_2_with_one_line_naming_the_field(capsys):
    code, out, err = netcron(capsys, "schedule", "preview", "--cron", "61 * * * *")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == ["netcron: cron_expr: minute field: 61 is out of range 0-59"]


def test_an_unknown_time_zone_exits_2(capsys):
    code, _, err = netcron(capsys, "schedule", "preview", "--cron", "* * * * *", "--tz", "Mars/Olympus")
    assert code == 2 and "timezone" in err and len(err.strip().splitlines()) == 1


def test_preview_needs_exactly_one_kind(capsys):
    code, _, err = netcron(capsys, "schedule", "preview", "--cron", "* * * * *", "--interval", "60")
    assert code == 2 and "exactly one of" in err


@pytest.mark.django_db
def test_device_add_then_list_as_json(capsys):
    assert netcron(capsys, "device", "add", "r1", "127.0.1.1", "--platform", "cisco_ios", "--tag", "core",
                   "--location", "Berlin")[0] == 0
    code, out, _ = netcron(capsys, "device", "list", "--json")
    assert code == 0
    [device] = json.loads(out)
    assert (device["name"], device["tags"], device["location"], device["state"]) == ("r1", ["core"], "Berlin",
                                                                                     "unknown")


@pytest.mark.django_db
def test_device_add_with_an_unknown_platform_exits_2(capsys):
    code, _, err = netcron(capsys, "device", "add", "r1", "127.0.1.1", "--platform", "ios-xr-ish")
    assert code == 2 and "unknown platform 'ios-xr-ish'" in err
    assert not Device.objects.exists()


CSV_OK = """name,host,port,platform,location,role,tags,credential,username,password
r1,127.0.1.1,22,cisco_ios,Berlin,core,core;demo,lab,netops,s3cret
r2,127.0.1.2,,arista_eos,Berlin,edge,demo,lab,,
"""


@pytest.mark.django_db
def test_device_import_creates_devices_locations_tags_and_an_encrypted_credential(capsys, tmp_path):
    path = tmp_path / "devices.csv"
    path.write_text(CSV_OK)
    code, out, _ = netcron(capsys, "device", "import", str(path))
    assert code == 0 and "imported 2 new and 0 updated" in out
    r1 = Device.objects.get(name="r1")
    assert (r1.port, r1.location.name, sorted(r1.tags.values_list("name", flat=True))) == (22, "Berlin",
                                                                                          ["core", "demo"])
    credential = Credential.objects.get(name="lab")
    assert credential.get_secret("password") == "s3cret"
    assert "s3cret" not in credential.secrets_sealed


@pytest.mark.django_db
def test_device_import_with_an_invalid_row_imports_nothing_and_names_the_line(capsys, tmp_path):
    path = tmp_path / "devices.csv"
    path.write_text(CSV_OK + "r3,127.0.1.3,99999,cisco_ios,,,,,,\nr4,,22,bogus,,,,,,\n")
    code, _, err = netcron(capsys, "device", "import", str(path))
    assert code == 2
    assert "line 4: port '99999' is not a number from 1 to 65535" in err
    assert "line 5: host is empty; unknown platform 'bogus'" in err
    assert not Device.objects.exists()


@pytest.mark.django_db
def test_device_import_with_skip_invalid_imports_the_valid_rows(capsys, tmp_path):
    path = tmp_path / "devices.csv"
    path.write_text(CSV_OK + "r3,127.0.1.3,99999,cisco_ios,,,,,,\n")
    code, out, _ = netcron(capsys, "device", "import", str(path), "--skip-invalid")
    assert code == 0 and "skipped 1 invalid row" in out
    assert set(Device.objects.values_list("name", flat=True)) == {"r1", "r2"}


@pytest.mark.django_db
def test_device_import_of_a_missing_file_exits_2(capsys, tmp_path):
    code, _, err = netcron(capsys, "device", "import", str(tmp_path / "nope.csv"))
    assert code == 2 and "cannot read" in err


@pytest.mark.django_db
def test_createuser_prints_a_token_that_authenticates(capsys):
    from netcron.accounts.models import ApiToken

    code, out, _ = netcron(capsys, "createuser", "alice", "--token")
    assert code == 0
    token = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("token: "))
    user = ApiToken.authenticate(token)
    assert user.username == "alice" and user.has_perm("jobs.write") and not user.is_superuser
    assert netcron(capsys, "createuser", "alice")[0] == 2


@pytest.mark.django_db
def test_migrate_creates_the_system_schedules_once(capsys):
    assert netcron(capsys, "migrate")[0] == 0
    assert netcron(capsys, "migrate")[0] == 0
    assert sorted(JobSchedule.objects.filter(is_system=True).values_list("template__job_type", flat=True)) == [
        "cleanup_history", "worker_health"]


@pytest.mark.django_db
def test_run_queues_a_manual_run_of_the_named_template(capsys):
    JobTemplate.objects.create(name="nap", job_type="sleep", params={"seconds": 1})
    code, out, _ = netcron(capsys, "run", "nap", "--param", "seconds=2")
    assert code == 0 and "queued on default" in out
    run = JobRun.objects.get()
    assert (run.triggered_by, run.params["seconds"], run.status) == ("manual", 2, "pending")


@pytest.mark.django_db
def test_run_with_a_bad_param_exits_2_naming_it(capsys):
    JobTemplate.objects.create(name="nap", job_type="sleep")
    code, _, err = netcron(capsys, "run", "nap", "--param", "seconds=-1")
    assert code == 2 and "params.seconds" in err
    assert not JobRun.objects.exists()


@pytest.mark.django_db
def test_run_of_an_unknown_template_exits_2(capsys):
    assert netcron(capsys, "run", "nope")[:1] == (2,)


@pytest.mark.django_db
def test_runs_rejects_an_unknown_status(capsys):
    code, _, err = netcron(capsys, "runs", "--status", "exploded")
    assert code == 2 and "unknown value(s) exploded" in err


@pytest.mark.django_db
def test_secrets_rotate_re_encrypts_credentials_under_the_new_key(capsys, settings, monkeypatch):
    from netcron.inventory import secrets

    credential = Credential(name="lab", username="admin")
    credential.set_secrets(password="canary-pw")
    credential.save()
    old_sealed = credential.secrets_sealed
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-brand-new-secret-key-of-sufficient-length-123"
    monkeypatch.setenv("NETCRON_OLD_SECRET_KEYS", old_key)
    secrets.secret_box.cache_clear()
    try:
        code, out, _ = netcron(capsys, "secrets", "rotate")
        assert code == 0 and "re-encrypted 1 credential" in out
        credential.refresh_from_db()
        assert credential.secrets_sealed != old_sealed
        monkeypatch.delenv("NETCRON_OLD_SECRET_KEYS")
        secrets.secret_box.cache_clear()
        assert credential.get_secret("password") == "canary-pw"  # readable with the new key alone
    finally:
        settings.SECRET_KEY = old_key
        secrets.secret_box.cache_clear()


@pytest.mark.django_db
def test_secrets_rotate_names_credentials_it_cannot_decrypt_and_exits_1(capsys, settings):
    from netcron.inventory import secrets

    credential = Credential(name="orphan")
    credential.set_secrets(password="x")
    credential.save()
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "another-new-secret-key-of-sufficient-length-456"
    secrets.secret_box.cache_clear()
    try:
        code, _, err = netcron(capsys, "secrets", "rotate")
        assert code == 1 and "orphan" in err
    finally:
        settings.SECRET_KEY = old_key
        secrets.secret_box.cache_clear()
