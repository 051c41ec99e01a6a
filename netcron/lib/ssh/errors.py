"""Typed device errors shared by every protocol driver (SSH, NETCONF, SNMP, TCP).

Messages are short and never contain secrets: they end up in job results and logs.
"""

from __future__ import annotations


class DeviceError(Exception):
    """Base class: anything that went wrong talking to one device."""

    kind = "error"

    def __init__(self, message: str, *, target: str | None = None) -> None:
        self.target = target
        self.message = message
        super().__init__(f"{target}: {message}" if target else message)


class Unreachable(DeviceError):
    """No TCP connection (refused, no route, DNS failure)."""

    kind = "unreachable"


class Timeout(DeviceError):
    """The device did not answer within the allowed time."""

    kind = "timeout"


class AuthFailed(DeviceError):
    """Login or enable was rejected."""

    kind = "auth_failed"


class HostKeyError(DeviceError):
    """The SSH host key was not accepted under the configured policy."""

    kind = "host_key"


class HostKeyMismatch(HostKeyError):
    """The device presented a key different from the one recorded for it."""

    kind = "host_key_mismatch"


class HostKeyUnknown(HostKeyError):
    """Strict policy and no key recorded for this device yet."""

    kind = "host_key_unknown"


class ConnectionDropped(DeviceError):
    """The session closed while we were waiting for output."""

    kind = "dropped"


class CommandError(DeviceError):
    """The device rejected a command (syntax error, unknown command...)."""

    kind = "command_error"

    def __init__(self, message: str, *, target: str | None = None, command: str = "", output: str = ""):
        self.command = command
        self.output = output
        super().__init__(message, target=target)


class ProtocolError(DeviceError):
    """The device answered something we could not make sense of."""

    kind = "protocol_error"


__all__ = [
    "AuthFailed",
    "CommandError",
    "ConnectionDropped",
    "DeviceError",
    "HostKeyError",
    "HostKeyMismatch",
    "HostKeyUnknown",
    "ProtocolError",
    "Timeout",
    "Unreachable",
]
