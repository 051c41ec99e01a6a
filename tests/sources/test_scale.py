"""A fleet of 5,000 devices syncs to CheckMK in a handful of bulk calls and a few seconds."""

from __future__ import annotations

import math
import time

import pytest

from netcron.inventory.models import Device, Location
from tests.sources.conftest import checkmk_params, run_job

pytestmark = pytest.mark.django_db

FLEET, BATCH = 5000, 500


@pytest.fixture
def fleet(settings):
    settings.NETCRON_HEARTBEAT_SECONDS = 60  # one long run: no side-thread writes racing the test transaction
    sites = [Location.objects.create(name=f"Site {i}") for i in range(4)]
    Device.objects.bulk_create([Device(name=f"dev{i:05}", host=f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
                                       platform="cisco_ios", location=sites[i % 4]) for i in range(FLEET)])


def test_5000_devices_sync_in_batched_calls_within_seconds_and_resync_with_one_request(fleet, checkmk,
                                                                                      cmk_credential):
    params = checkmk_params(checkmk, batch_size=BATCH, activate_changes_after_sync=True)
    started = time.perf_counter()
    run = run_job("sync_devices", params)
    elapsed = time.perf_counter() - started
    assert run.status == "completed" and run.count_ok == FLEET
    assert len(checkmk.hosts) == FLEET
    assert len(checkmk.requests_to("POST", "bulk-create")) == math.ceil(FLEET / BATCH)
    # list hosts, list folders, 4 folders, 10 bulk creates, pending changes, activate, wait
    assert len(checkmk.requests) == math.ceil(FLEET / BATCH) + 9
    assert len(checkmk.activations) == 1
    # The CheckMK work (read, plan, folders, bulk creates) takes seconds; writing 5,000 device results one
    # by one is the runner's cost and depends on the machine, so the whole run only gets a loose bound.
    creates = checkmk.requests_to("POST", "bulk-create")
    assert creates[-1].at - checkmk.requests[0].at < 10
    assert elapsed < 120, f"5k sync took {elapsed:.1f} s"
    before = len(checkmk.requests)
    again = run_job("sync_devices", params)
    assert again.result["planned"]["create"] == 0 and len(checkmk.requests) - before == 1


class BulkContext:
    """A run context whose runner offers device_results(): one bulk write instead of one per device."""

    def __init__(self):
        self.bulk_calls, self.single_calls, self.progressed = [], 0, []

    def device_results(self, results):
        self.bulk_calls.append(results)

    def device_result(self, *args, **kwargs):
        self.single_calls += 1

    def progress(self, done, total=None):
        self.progressed.append((done, total))


def test_results_go_through_one_bulk_call_when_the_runner_offers_it():
    from netcron.sources.results import report_results

    ctx = BulkContext()
    report_results(ctx, [{"device": object(), "status": "ok"} for _ in range(3)])
    assert [len(call) for call in ctx.bulk_calls] == [3] and ctx.single_calls == 0
    assert ctx.progressed == [(3, 3)]
