"""SSH jobs take the timeouts and parallelism a template leaves empty from the system settings in force.

Against a lab whose device has the `slow` fault (every reply 0.5 s late): a command timeout far below
that fails the device with a timeout and one far above it does not, so the effective value is observable;
the run log also names the values used.
"""

from __future__ import annotations

import itertools

import pytest

from netcron.inventory.models import Credential, Device, Location
from netcron.jobs.models import JobRun
from netcron.jobs.runner import execute_run
from netcron.lab import generate
from netcron.lab.testing import free_port, running_lab
from netcron.system.models import SystemSettings
from tests.engine.conftest import make_run, make_template

pytestmark = pytest.mark.django_db
LAB_BASE = "127.0.11.1"
_names = itertools.count(1)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    devices = generate(1, ["cisco_ios"], port=free_port(LAB_BASE), base_address=LAB_BASE, config_lines=40,
                       slow_latency=0.5)
    with running_lab(devices, tmp_path_factory.mktemp("lab")) as lab:
        yield lab


@pytest.fixture
def device(lab, db, settings, tmp_path):
    settings.DATA_DIR = tmp_path  # repositories and host keys of this test only
    settings.NETCRON_HEARTBEAT_SECONDS = 60  # no heartbeat thread writing to the test database
    spec = lab.specs[0]
    credential = Credential(name="lab", username="admin", host_key_policy="tofu")
    credential.set_secrets(password="admin", enable_secret="enable")
    credential.save()
    lab.set_fault(spec.name, "slow")
    yield Device.objects.create(name=spec.name, host=spec.host, port=spec.port, platform=spec.platform,
                                location=Location.objects.create(name="lab"), credential=credential)
    lab.clear_faults(spec.name)


def run_job(job_type: str, params: dict, device) -> JobRun:
    """Save the template as the API would (validated, defaults written out) and run it through the runner."""
    template = make_template(name=f"{job_type}-{next(_names)}", job_type=job_type, targets={"devices": [device.pk]})
    template.params = template.job_type_spec.validate_params(params).model_dump(mode="json")
    template.save()
    run = make_run(template)
    execute_run(run.pk, worker="test")
    run.refresh_from_db()
    return run


def log_lines(run: JobRun) -> list[str]:
    return list(run.logs.order_by("id").values_list("message", flat=True))


def test_a_template_without_session_parameters_stores_them_empty():
    template = make_template(job_type="run_commands")
    params = template.job_type_spec.validate_params({"commands": ["show version"]}).model_dump(mode="json")
    assert (params["parallel_tasks"], params["connect_timeout"], params["command_timeout"]) == (None, None, None)


def test_run_commands_uses_the_command_timeout_from_the_settings_and_a_change_applies_to_the_next_run(device):
    SystemSettings.load().change({"ssh_command_timeout": 0.2, "default_parallelism": 3})
    run = run_job("run_commands", {"commands": ["show version"]}, device)
    result = run.device_results.get()
    assert (result.status, result.detail) == ("failed", "timeout"), result.message
    assert "system settings: parallel_tasks 3, connect_timeout 15, command_timeout 0.2" in log_lines(run)

    SystemSettings.load().change({"ssh_command_timeout": 30})  # no restart: the next run sees it
    run = run_job("run_commands", {"commands": ["show version"]}, device)
    assert run.device_results.get().status == "ok"
    assert "system settings: parallel_tasks 3, connect_timeout 15, command_timeout 30" in log_lines(run)


def test_a_value_set_on_the_template_wins_over_the_settings(device):
    SystemSettings.load().change({"ssh_command_timeout": 0.2})
    run = run_job("run_commands", {"commands": ["show version"], "command_timeout": 30}, device)
    assert run.device_results.get().status == "ok"
    assert "system settings: parallel_tasks 20, connect_timeout 15" in log_lines(run)


def test_backup_uses_the_command_timeout_set_through_the_settings_api(device, api_as, admin):
    response = api_as(admin).put("/api/settings", json={"ssh_command_timeout": 0.2})
    assert response.status_code == 200, response.json()
    run = run_job("backup", {}, device)
    result = run.device_results.get()
    assert (result.status, result.detail) == ("failed", "timeout"), result.message
    assert "system settings: parallel_tasks 20, connect_timeout 15, command_timeout 0.2" in log_lines(run)
