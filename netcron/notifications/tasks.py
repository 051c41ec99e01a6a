"""The delivery task: the broker carries a delivery id; the row has everything else."""

from __future__ import annotations

from netcron.celery import app
from netcron.notifications import channels


@app.task(name="netcron.deliver_notification", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_notification(delivery_id: int) -> str:
    return channels.deliver(delivery_id)
