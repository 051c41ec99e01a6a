"""The Celery app: four named queues, late acks, one message at a time per worker process."""

from __future__ import annotations

import os

from celery import Celery
from kombu import Exchange, Queue

from netcron.conf import ALL_QUEUES
from netcron.lib import fsbroker, redisbroker

fsbroker.register()  # the embedded, serverless broker: netcron-fs:///path
redisbroker.register()  # kombu's Redis transport with a fix for losing Redis under a running task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netcron.settings")

app = Celery("netcron")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_queues=[Queue(name, Exchange(name, type="direct"), routing_key=name) for name in ALL_QUEUES],
    task_default_queue="default",
    task_default_exchange="default",
    task_default_routing_key="default",
    task_create_missing_queues=False,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    result_backend=None,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    worker_send_task_events=False,
    # Redis redelivers an unacked message after the visibility timeout; recovery of lost runs is the
    # reaper's job (heartbeat lease), so make broker redelivery rare rather than early.
    broker_transport_options={"visibility_timeout": 12 * 3600, "polling_interval": 0.05},
)
app.autodiscover_tasks(["netcron.jobs"])


def use_broker(broker_url: str) -> str:
    """Point the app at another broker and drop pooled connections to the old one; returns the old URL."""
    import kombu.pools

    previous = app.conf.broker_url
    app.conf.broker_url = broker_url
    # kombu keeps pools in a global registry keyed by URL; a closed one would be handed out again.
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    return previous
