"""Async SSH CLI driver for network devices (asyncssh, interactive shell, prompt matching)."""

from .errors import (
    AuthFailed,
    CommandError,
    ConnectionDropped,
    DeviceError,
    HostKeyError,
    HostKeyMismatch,
    HostKeyUnknown,
    ProtocolError,
    Timeout,
    Unreachable,
)
from .platforms import Platform, get_platform, platform_names, register
from .session import DeviceSpec, SshSession, connect

__all__ = [
    "AuthFailed",
    "CommandError",
    "ConnectionDropped",
    "DeviceError",
    "DeviceSpec",
    "HostKeyError",
    "HostKeyMismatch",
    "HostKeyUnknown",
    "Platform",
    "ProtocolError",
    "SshSession",
    "Timeout",
    "Unreachable",
    "connect",
    "get_platform",
    "platform_names",
    "register",
]
