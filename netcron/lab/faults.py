"""Faults a lab device can show on demand.

- ``down``: no listener at all (connection refused)
- ``auth_fail``: every password is rejected
- ``slow``: every reply (and the login banner) is delayed by the device's ``slow_latency``
- ``hang``: login succeeds, then the device never prints a prompt or answers
- ``drop``: the session is cut in the middle of any long output
- ``wrong_hostkey``: the listener presents a different host key than the recorded one

``down`` and ``wrong_hostkey`` change the listener, so the lab restarts it when they are toggled; the
others are checked by live sessions on every command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .device import DeviceState

LISTENER_FAULTS = frozenset({"down", "wrong_hostkey"})


def active_latency(state: DeviceState) -> float:
    if "slow" in state.faults:
        return max(state.latency, state.spec.slow_latency)
    return state.latency
