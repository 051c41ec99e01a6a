"""The audit log: who changed what, when, from where. Use record() for actions that are not a save."""

from netcron.audit.context import acting, as_action, suppressed
from netcron.audit.recorder import record
from netcron.audit.tracking import grouped

__all__ = ["acting", "as_action", "grouped", "record", "suppressed"]
