"""Run pages: filtered keyset list, detail with live progress and log tail, cancel, retry, the full log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from netcron.jobs.models import DeviceResult, JobRun
from tests.ui.conftest import make_device, make_logs, make_run, make_schedule, make_template, queries_for, utc

pytestmark = pytest.mark.django_db


def run_ids(body: str) -> list[int]:
    return [int(i) for i in re.findall(r'<td class="num"><a href="/runs/(\d+)/">', body)]


def test_the_list_shows_runs_newest_first_with_status_as_text(alice, client_for):
    template = make_template("touch", owner=alice)
    first = make_run(template, "completed", count_ok=5, count_failed=2)
    second = make_run(template, "running", progress_done=3, progress_total=10)
    body = client_for(alice).get("/runs/").content.decode()
    assert run_ids(body) == [second.pk, first.pk]
    assert "✓</span> completed" in body and "running" in body and "3/10 · 30%" in body
    assert "<strong" in body and ">2</strong>" in body  # failed devices stand out


@pytest.fixture
def mixed(alice):
    noop, sleep = make_template("noop t", owner=alice), make_template("sleep t", job_type="sleep", owner=alice)
    schedule = make_schedule(noop, "every 5")
    return {
        "ok": make_run(noop, "completed", triggered_by="schedule", schedule=schedule, scheduled_for=utc(2026, 1, 1)),
        "bad": make_run(sleep, "failed", triggered_by="api"),
        "old": make_run(noop, "cancelled", queued_at=utc(2025, 6, 1, 12)),
        "noop": noop, "sleep": sleep, "schedule": schedule,
    }


@pytest.mark.parametrize(("query", "expected"), [
    ("status=failed", ["bad"]),
    ("status=failed&status=cancelled", ["old", "bad"]),
    ("job_type=sleep", ["bad"]),
    ("triggered_by=schedule", ["ok"]),
    ("since=2025-06-01&until=2025-06-01", ["old"]),
    ("until=2025-12-31", ["old"]),
])
def test_filters_live_in_the_query_string(alice, client_for, mixed, query, expected):
    body = client_for(alice).get(f"/runs/?{query}").content.decode()
    assert sorted(run_ids(body)) == sorted(mixed[name].pk for name in expected)


def test_filtering_by_template_and_schedule(alice, client_for, mixed):
    client = client_for(alice)
    assert run_ids(client.get(f"/runs/?template={mixed['sleep'].pk}").content.decode()) == [mixed["bad"].pk]
    body = client.get(f"/runs/?schedule={mixed['schedule'].pk}").content.decode()
    assert run_ids(body) == [mixed["ok"].pk] and "schedule: every 5" in body


def test_an_invalid_filter_is_reported_and_ignored(alice, client_for, mixed):
    body = client_for(alice).get("/runs/?status=exploded&template=abc").content.decode()
    assert "(ignored)" in body and len(run_ids(body)) == 3


def test_pages_are_keyset_by_id_and_link_older_and_newer(alice, client_for):
    template = make_template("touch", owner=alice)
    runs = [make_run(template, "completed") for _ in range(120)]
    ids = [r.pk for r in reversed(runs)]
    client = client_for(alice)
    first = client.get("/runs/").content.decode()
    assert run_ids(first) == ids[:50]
    assert f"before={ids[49]}" in first
    second = client.get(f"/runs/?before={ids[49]}").content.decode()
    assert run_ids(second) == ids[50:100]
    third = client.get(f"/runs/?before={ids[99]}").content.decode()
    assert run_ids(third) == ids[100:]
    assert 'rel="next" href="?before=' not in third or 'aria-disabled="true">Older' in third
    back = client.get(f"/runs/?after={ids[100]}").content.decode()
    assert run_ids(back) == ids[50:100]
    assert "120 runs" in first


def test_paging_keeps_the_filters(alice, client_for):
    template = make_template("touch", owner=alice)
    for _ in range(60):
        make_run(template, "failed")
    body = client_for(alice).get("/runs/?status=failed").content.decode()
    assert re.search(r'href="\?status=failed&amp;before=\d+"', body)


def test_the_list_runs_the_same_number_of_queries_for_5_and_50_runs(alice, bob, client_for):
    client = client_for(alice)
    template = make_template("touch", owner=alice)
    schedule = make_schedule(template, "s")
    for i in range(5):
        make_run(template, "completed", requested_by=bob, schedule=None if i % 2 else schedule,
                 triggered_by="schedule" if i % 2 == 0 else "manual")
    few = queries_for(client, "/runs/")
    for _ in range(45):
        make_run(template, "running", requested_by=alice, triggered_by="manual")
    assert queries_for(client, "/runs/") == few


@pytest.fixture
def finished(alice):
    devices = [make_device(f"r{i}") for i in range(3)]
    template = make_template("touch", owner=alice)
    run = make_run(template, "completed", results={devices[0]: "ok", devices[1]: "failed", devices[2]: "skipped"},
                   count_ok=1, count_failed=1, count_skipped=1, progress_done=3, progress_total=3)
    make_logs(run, 3)
    make_logs(run, 1, level="error", device=devices[1])
    return run


def test_the_detail_shows_progress_counts_results_and_the_log(alice, client_for, finished):
    body = client_for(alice).get(f"/runs/{finished.pk}/").content.decode()
    assert "1 ok · 1 failed · 1 skipped" in body and "3/3 · 100%" in body
    assert "r0" in body and "r1 failed" in body and "line 2" in body
    assert 'class="l-error"' in body and '<span class="dev">r1</span>' in body
    assert 'id="run-live"' not in body  # a finished run is not polled


def test_device_results_can_be_filtered_by_state(alice, client_for, finished):
    body = client_for(alice).get(f"/runs/{finished.pk}/?device_status=failed").content.decode()
    assert "r1 failed" in body and "r0 ok" not in body and "failed (1)" in body


def test_the_detail_page_runs_the_same_number_of_queries_for_5_and_50_devices(alice, client_for):
    template = make_template("touch", owner=alice)
    small = make_run(template, "completed", results={make_device(f"a{i}"): "ok" for i in range(5)})
    make_logs(small, 5)
    big = make_run(template, "completed", results={make_device(f"b{i}"): "failed" for i in range(50)})
    make_logs(big, 50, device=big.device_results.first().device)
    client = client_for(alice)
    assert queries_for(client, f"/runs/{small.pk}/") == queries_for(client, f"/runs/{big.pk}/")


def test_a_running_run_polls_every_second_for_progress_and_new_log_lines(alice, client_for):
    template = make_template("touch", owner=alice)
    run = make_run(template, "running", progress_done=2, progress_total=8)
    lines = make_logs(run, 2)
    client = client_for(alice)
    body = client.get(f"/runs/{run.pk}/").content.decode()
    assert f'hx-get="/runs/{run.pk}/live?after={lines[-1].pk}&amp;results=0' in body and 'hx-trigger="every 1s"' in body

    newer = make_logs(run, 2)
    JobRun.objects.filter(pk=run.pk).update(progress_done=5)
    live = client.get(f"/runs/{run.pk}/live?after={lines[-1].pk}&results=0").content.decode()
    assert 'hx-trigger="every 1s"' in live and f"after={newer[-1].pk}" in live
    assert 'hx-swap-oob="beforeend:#log-lines"' in live
    assert f'data-id="{newer[0].pk}"' in live and f'data-id="{lines[0].pk}"' not in live
    assert "5/8 · 62%" in live and 'id="run-summary"' in live
    assert 'id="run-results"' not in live  # unchanged results are not re-sent


def test_new_device_results_are_sent_once_they_change(alice, client_for):
    template = make_template("touch", owner=alice)
    run = make_run(template, "running")
    DeviceResult.objects.create(run=run, device=make_device("r1"), device_name="r1", status="ok")
    live = client_for(alice).get(f"/runs/{run.pk}/live?after=0&results=0").content.decode()
    assert 'id="run-results" aria-labelledby="h-results" hx-swap-oob="true"' in live and "r1" in live
    assert "results=1" in live


def test_polling_stops_once_the_run_has_finished(alice, client_for):
    template = make_template("touch", owner=alice)
    run = make_run(template, "running")
    make_logs(run, 1)
    JobRun.objects.filter(pk=run.pk).update(status="completed", finished_at=timezone.now())
    live = client_for(alice).get(f"/runs/{run.pk}/live?after=0&results=0").content.decode()
    assert "hx-trigger" not in live and "hx-get" not in live and 'data-finished="completed"' in live
    assert "line 0" in live  # the last lines still arrive with the final status


def test_cancelling_a_pending_run_cancels_it_at_once(alice, client_for):
    run = make_run(make_template("touch", owner=alice), "pending")
    response = client_for(alice).post(f"/runs/{run.pk}/cancel", follow=True)
    run.refresh_from_db()
    assert run.status == "cancelled" and f"Run #{run.pk} cancelled." in response.content.decode()


def test_cancelling_a_running_run_asks_it_to_stop(alice, client_for):
    run = make_run(make_template("touch", owner=alice), "running")
    response = client_for(alice).post(f"/runs/{run.pk}/cancel", follow=True)
    run.refresh_from_db()
    assert run.status == "running" and run.cancel_requested
    assert "Cancel requested" in response.content.decode() and "cancel requested…" in response.content.decode()


def test_cancelling_a_finished_run_says_it_has_finished(alice, client_for, finished):
    response = client_for(alice).post(f"/runs/{finished.pk}/cancel", follow=True)
    assert "has already finished (completed)" in response.content.decode()


def test_retry_failed_starts_a_run_over_only_the_failed_devices(alice, client_for, finished, published):
    with published():
        response = client_for(alice).post(f"/runs/{finished.pk}/retry")
    retry = JobRun.objects.exclude(pk=finished.pk).get()
    assert response["Location"] == f"/runs/{retry.pk}/"
    assert retry.retry_of == finished and retry.triggered_by == "retry"
    assert retry.target_device_ids == [finished.device_results.get(status="failed").device_id]


def test_retry_without_failed_devices_explains_why_not(alice, client_for):
    run = make_run(make_template("touch", owner=alice), "completed", results={make_device(): "ok"})
    response = client_for(alice).post(f"/runs/{run.pk}/retry", follow=True)
    assert "Cannot retry: the run has no failed devices to retry." in response.content.decode()
    assert JobRun.objects.count() == 1


def test_the_full_log_pages_through_lines_and_filters_by_level(alice, client_for, finished, settings):
    from netcron.ui.views import runs

    client = client_for(alice)
    body = client.get(f"/runs/{finished.pk}/log?level=error").content.decode()
    assert body.count("<li class=") == 1 and '<span class="dev">r1</span>' in body
    make_logs(finished, runs.LOG_PAGE + 5)
    body = client.get(f"/runs/{finished.pk}/log").content.decode()
    assert body.count("<li class=") == runs.LOG_PAGE and "Next lines" in body
    after = re.search(r'href="\?after=(\d+)"', body).group(1)
    assert client.get(f"/runs/{finished.pk}/log?after={after}").content.decode().count("<li class=") == 9


def test_the_log_downloads_as_plain_text(alice, client_for, finished):
    response = client_for(alice).get(f"/runs/{finished.pk}/log?format=text")
    text = b"".join(response.streaming_content).decode()
    assert response["Content-Type"].startswith("text/plain")
    assert f'filename="run-{finished.pk}.log"' in response["Content-Disposition"]
    assert text.count("\n") == 4 and "ERROR   r1: line 0" in text


def test_the_run_page_shows_only_the_last_lines_of_a_long_log(alice, client_for):
    from netcron.ui.views import runs

    run = make_run(make_template("touch", owner=alice), "completed")
    make_logs(run, runs.LOG_TAIL + 10)
    body = client_for(alice).get(f"/runs/{run.pk}/").content.decode()
    assert f"last {runs.LOG_TAIL} lines" in body and ">line 9<" not in body.replace(" line 9<", ">line 9<")
    assert f" line {runs.LOG_TAIL + 9}</li>" in body


def test_the_duration_of_a_finished_run_is_shown(alice, client_for):
    now = timezone.now()
    run = make_run(make_template("touch", owner=alice), "completed")
    JobRun.objects.filter(pk=run.pk).update(started_at=now - timedelta(seconds=125), finished_at=now)
    assert "2 min 05 s" in client_for(alice).get(f"/runs/{run.pk}/").content.decode()
