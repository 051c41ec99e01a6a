"""Publishing runs to Redis: one pipeline per batch, and nothing marked published that may not have left."""

from __future__ import annotations

import pytest
import redis

from netcron.jobs import dispatch
from netcron.jobs.models import JobRun, JobTemplate

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def pending_runs(count: int) -> list[JobRun]:
    template = JobTemplate.objects.create(name="t", job_type="sleep", params={"seconds": 0})
    runs = [dispatch.new_run(template, "manual") for _ in range(count)]
    for run in runs:
        run.save()
    return runs


def test_a_batch_of_runs_reaches_redis_in_one_pipeline_round_trip(redis_broker, monkeypatch):
    runs = pending_runs(30)
    executed = []
    original = redis.client.Pipeline.execute

    def execute(self, *args, **kwargs):
        executed.append([args[0] for args, _ in self.command_stack])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", execute)
    assert sorted(dispatch.publish_runs(runs)) == sorted(r.pk for r in runs)
    with_messages = [commands for commands in executed if "LPUSH" in commands]
    assert with_messages == [["LPUSH"] * 30]  # one LPUSH per run, all in one round trip
    assert redis.Redis.from_url(redis_broker).llen(runs[0].queue) == 30
    assert not JobRun.objects.filter(published_at__isnull=True).exists()


def test_runs_whose_batch_failed_to_send_are_not_marked_published(redis_broker, monkeypatch):
    runs = pending_runs(5)

    def fail(self, *args, **kwargs):
        raise redis.ConnectionError("Redis went away")

    monkeypatch.setattr(redis.client.Pipeline, "execute", fail)
    assert dispatch.publish_runs(runs) == []
    assert JobRun.objects.filter(published_at__isnull=True).count() == 5  # the reaper publishes them later


def test_a_runs_message_is_the_one_celerys_apply_async_sends(redis_broker):
    import base64
    import json

    from netcron.celery import app
    from netcron.jobs.tasks import execute_run

    template = JobTemplate.objects.create(name="t", job_type="sleep", params={"seconds": 0}, timeout_seconds=120)
    run = dispatch.new_run(template, "manual")
    run.save()
    client = redis.Redis.from_url(redis_broker)
    assert dispatch.publish_runs([run]) == [run.pk]
    ours = json.loads(client.rpop(run.queue))
    run.refresh_from_db()
    execute_run.apply_async(args=[run.pk], queue=run.queue, task_id=run.celery_task_id,
                            **dispatch.time_limits(template.timeout_seconds))
    celerys = json.loads(client.rpop(run.queue))
    for message in (ours, celerys):
        assert message["properties"].pop("delivery_tag")  # unique per message
        message["body"] = json.loads(base64.b64decode(message["body"]))
    assert ours == celerys
    assert ours["body"][0] == [run.pk] and ours["headers"]["timelimit"] == [150, 120]
    assert app.amqp.queues[run.queue].name == ours["properties"]["delivery_info"]["routing_key"]
