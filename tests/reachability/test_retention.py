"""The history cleanup ages reachability events with the reachability retention."""

from datetime import timedelta

from django.utils import timezone

from netcron.executors.cleanup_history.executor import execute
from netcron.executors.cleanup_history.params import CleanupParams
from netcron.inventory.models import Device
from netcron.reachability.models import StateChange, StateChangeCount


class QuietContext:
    def log(self, *args, **kwargs):
        pass

    def progress(self, *args, **kwargs):
        pass


def change(device: Device, days_ago: int) -> StateChange:
    return StateChange.objects.create(device=device, device_name=device.name, old_state="up", new_state="down",
                                      at=timezone.now() - timedelta(days=days_ago))


def test_the_cleanup_deletes_state_changes_older_than_the_reachability_retention(db):
    device = Device.objects.create(name="r1", host="127.0.0.1", platform="cisco_ios")
    StateChangeCount.objects.create(old_state="up", new_state="down", total=2)
    kept, gone = change(device, 10), change(device, 40)
    result = execute(QuietContext(), CleanupParams(reachability_days=30))
    assert result["deleted"]["state_changes"] == 1
    assert list(StateChange.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not StateChange.objects.filter(pk=gone.pk).exists()
    assert StateChangeCount.objects.get().total == 2  # /metrics counters never go back
