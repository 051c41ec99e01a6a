"""A canary password and enable secret, used by real backup and run_commands runs on a real `netcron worker`
over Redis (with a device refusing the login and a failing command), appear nowhere: not in worker logs (at
DEBUG), run logs, device results, API answers, UI pages, audit entries, nor any message that crossed Redis."""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import threading

import pytest
import redis
from django.test import Client

from netcron.accounts.models import ApiToken
from netcron.audit.models import AuditEntry
from netcron.inventory.models import Credential, Device, Location
from netcron.jobs import dispatch
from netcron.jobs.models import DeviceResult, JobRun, JobTemplate, RunLog
from netcron.lab import generate
from netcron.lab.testing import free_port, running_lab
from tests.e2e.conftest import Workers, redis_broker, wait_until  # noqa: F401 (redis_broker is a fixture)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CANARY_PASSWORD = f"cnry-pw-{secrets.token_hex(6)}"
CANARY_ENABLE = f"cnry-en-{secrets.token_hex(6)}"
CANARY_WRONG = f"cnry-bad-{secrets.token_hex(6)}"
CANARIES = (CANARY_PASSWORD, CANARY_ENABLE, CANARY_WRONG)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """ios-0001, eos-0002, lnx-0003, ios-0004, all accepting only the canary password and enable secret."""
    devices = generate(4, ["cisco_ios", "arista_eos", "linux"], port=free_port("127.0.6.221"),
                       base_address="127.0.6.221", password=CANARY_PASSWORD, enable_secret=CANARY_ENABLE,
                       config_lines=60)
    with running_lab(devices, tmp_path_factory.mktemp("canary-lab")) as lab:
        yield lab


class Monitor:
    """Every command Redis executes (MONITOR), so messages are seen even if consumed at once."""

    def __init__(self, url: str) -> None:
        self.url, self.lines, self.stop = url, [], threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with redis.Redis.from_url(self.url).monitor() as monitor:
            for command in monitor.listen():
                self.lines.append(command["command"])
                if self.stop.is_set():
                    return

    def start(self) -> Monitor:
        self.thread.start()
        return self

    def finish(self) -> str:
        self.stop.set()
        redis.Redis.from_url(self.url).ping()  # wakes the listener so it sees the stop flag
        self.thread.join(timeout=10)
        return "\n".join(self.lines)


def decoded(text: str) -> str:
    """``text`` plus the decoding of every base64 run in it (kombu sends message bodies base64-encoded)."""
    out = [text]
    for chunk in re.findall(r"[A-Za-z0-9+/]{16,}={0,2}", text):
        try:
            out.append(base64.b64decode(chunk + "=" * (-len(chunk) % 4)).decode("utf-8", "replace"))
        except (binascii.Error, ValueError):
            continue
    return "\n".join(out)


def assert_clean(where: str, text: str) -> None:
    for canary in CANARIES:
        assert canary not in text, f"canary secret found in {where}"


def test_the_canary_secrets_leak_nowhere(lab, redis_broker, tmp_path, admin, settings):  # noqa: F811
    monitor = Monitor(redis_broker).start()
    _, raw = ApiToken.issue(admin)
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    made = api.post("/api/credentials", {"name": "canary", "username": "admin", "host_key_policy": "tofu",
                                         "password": CANARY_PASSWORD, "enable_secret": CANARY_ENABLE},
                    content_type="application/json")
    wrong = api.post("/api/credentials", {"name": "wrong", "username": "admin", "password": CANARY_WRONG,
                                          "enable_secret": CANARY_WRONG}, content_type="application/json")
    assert made.status_code == wrong.status_code == 201
    good, bad = Credential.objects.get(name="canary"), Credential.objects.get(name="wrong")
    site = Location.objects.create(name="lab")
    devices = [Device.objects.create(name=s.name, host=s.host, port=s.port, platform=s.platform, location=site,
                                     credential=bad if s.name == "ios-0004" else good) for s in lab.specs]

    backup = JobTemplate.objects.create(name="backup", job_type="backup", params={},
                                        targets={"devices": [d.pk for d in devices]})
    commands = JobTemplate.objects.create(name="commands", job_type="run_commands",
                                          params={"commands": ["show version", "frobnicate the widgets"]},
                                          targets={"devices": [d.pk for d in devices]})
    runs = [dispatch.launch(backup), dispatch.launch(commands)]

    # Before any worker runs: what sits in the queues is all that crossed the broker for these runs.
    client = redis.Redis.from_url(redis_broker)
    queued = [m.decode() for key in client.keys("*") if client.type(key) == b"list" for m in client.lrange(key, 0, -1)]
    assert len(queued) == 2
    for message in queued:
        body = decoded(message)
        assert_clean("a queued Celery message", body)
        assert re.search(r"\[\[\d+\], \{\}", body), "a run message carries only the run id"

    workers = Workers(tmp_path, redis_broker)
    try:
        workers.start(extra_env={"NETCRON_LOG_LEVEL": "DEBUG", "NETCRON_SECRET_KEY": settings.SECRET_KEY})
        for run in runs:
            wait_until(lambda run=run: JobRun.objects.get(pk=run.pk).is_finished, 120, f"run {run.pk} to finish",
                       workers.logs)
    finally:
        workers.stop()
    broker_traffic = monitor.finish()

    results = {r.device_name: r for r in DeviceResult.objects.filter(run__template=commands)}
    assert results["ios-0004"].status == "failed" and "auth" in results["ios-0004"].detail
    assert results["ios-0001"].status == "failed" and "frobnicate" in results["ios-0001"].message
    backed_up = DeviceResult.objects.filter(run__template=backup, status="ok").count()
    assert backed_up == 3, list(DeviceResult.objects.filter(run__template=backup).values("device_name", "message"))

    logs = "\n".join(p.read_text() for p in tmp_path.glob("worker-*.log"))
    assert " DEBUG " in logs and "succeeded in" in logs  # the haystacks are real: debug logs, decoded messages
    assert "netcron.execute_run" in decoded(broker_traffic)
    assert_clean("worker logs", logs)
    assert_clean("Redis traffic", decoded(broker_traffic))
    assert_clean("run rows", str(list(JobRun.objects.values())))
    assert_clean("run logs", str(list(RunLog.objects.values())))
    assert_clean("device results", str(list(DeviceResult.objects.values())))
    assert_clean("audit entries", str(list(AuditEntry.objects.values())))
    assert_clean("credential API answers", made.content.decode() + wrong.content.decode())
    pages = [f"/api/job-runs/{r.pk}" for r in runs] + [f"/api/job-runs/{r.pk}/logs" for r in runs] + [
        "/api/job-runs", "/api/credentials", f"/api/credentials/{good.pk}", f"/api/credentials/{bad.pk}",
        "/api/devices", "/api/audit?page_size=200"] + [f"/api/devices/{d.pk}" for d in devices] + [
        f"/api/devices/{d.pk}/status" for d in devices]
    for page in pages:
        response = api.get(page)
        assert response.status_code == 200, (page, response.content[:200])
        assert_clean(page, response.content.decode())
    ui = Client()
    ui.force_login(admin)
    for page in [f"/runs/{r.pk}/" for r in runs] + [f"/devices/{d.pk}/" for d in devices] + ["/audit/"]:
        response = ui.get(page)
        assert response.status_code == 200, page
        assert_clean(page, response.content.decode())
