"""NETCONF get-config / get over ncclient, run in worker threads so callers stay async.

Host keys follow the same policy and store as the SSH driver (netcron.lib.hostkeys).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from dataclasses import dataclass

from ncclient import manager
from ncclient.transport import errors as nc_errors

from netcron.lib.hostkeys import HostKey, HostKeyPolicy, Verdict
from netcron.lib.ssh.errors import (
    AuthFailed,
    DeviceError,
    HostKeyMismatch,
    HostKeyUnknown,
    ProtocolError,
    Timeout,
    Unreachable,
)
from netcron.lib.ssh.session import DeviceSpec

# ncclient's vendor handlers reshape replies (Junos returns a transformed NCElement); the plain
# handler gives the same rpc-reply text for every platform, which is what a backup stores.
_DEVICE_PARAMS: dict[str, str] = {}


@dataclass(frozen=True)
class NetconfResult:
    xml: str
    capabilities: list[str]
    session_id: str | None = None


def _connect(spec: DeviceSpec):
    policy = HostKeyPolicy(spec.host_key_policy)
    store = spec.host_keys
    known = store.lookup(spec.host, spec.port) if (store is not None and policy is not HostKeyPolicy.IGNORE) else {}
    kwargs = dict(
        host=spec.host, port=spec.port, username=spec.username, password=spec.password,
        timeout=spec.connect_timeout, allow_agent=False, look_for_keys=False, ssh_config=None,
        device_params={"name": _DEVICE_PARAMS.get(spec.platform, "default")},
    )
    seen: list[str] = []
    if policy is HostKeyPolicy.IGNORE:
        kwargs["hostkey_verify"] = False
    elif known:
        # ncclient then negotiates only that key type and refuses any other key before authenticating.
        kwargs["hostkey_verify"] = True
        kwargs["hostkey_b64"] = next(iter(known.values()))
    else:
        kwargs["hostkey_verify"] = True
        def unknown_host(host: str, fingerprint: str) -> bool:
            seen.append(fingerprint)
            return policy is HostKeyPolicy.TOFU

        kwargs["unknown_host_cb"] = unknown_host
    try:
        m = manager.connect(**kwargs)
    except nc_errors.AuthenticationError:
        raise AuthFailed("authentication failed", target=spec.target) from None
    except nc_errors.SSHUnknownHostError:
        if known:
            raise HostKeyMismatch("host key does not match the recorded key", target=spec.target) from None
        raise HostKeyUnknown("host key not recorded (strict policy)", target=spec.target) from None
    except nc_errors.SSHError as e:
        text = str(e)
        if "Could not open socket" in text:
            raise Unreachable("connection refused or unreachable", target=spec.target) from None
        if known and ("Negotiation failed" in text or "key" in text.lower()):
            raise HostKeyMismatch("host key type changed", target=spec.target) from None
        raise ProtocolError(text[:120], target=spec.target) from None
    except TimeoutError:
        raise Timeout("NETCONF connect timed out", target=spec.target) from None
    except OSError as e:
        raise Unreachable(e.strerror or type(e).__name__, target=spec.target) from None
    if known and store is not None:
        # hostkey_b64 only restricts the key type; compare the key itself.
        key = m._session._transport.get_remote_server_key()
        if base64.b64encode(key.asbytes()).decode() != next(iter(known.values())):
            m.close_session()
            raise HostKeyMismatch("host key does not match the recorded key", target=spec.target)
    elif seen and store is not None:
        key = m._session._transport.get_remote_server_key()
        hk = HostKey(key.get_name(), base64.b64encode(key.asbytes()).decode())
        if store.check(spec.host, spec.port, hk, policy) is Verdict.NEW:
            store.record(spec.host, spec.port, hk)
    return m


def _get(spec: DeviceSpec, op: str, source: str, filter_xml: str | None) -> NetconfResult:
    m = _connect(spec)
    try:
        flt = ("subtree", filter_xml) if filter_xml else None
        try:
            reply = m.get_config(source=source, filter=flt) if op == "get-config" else m.get(filter=flt)
        except TimeoutError:
            raise Timeout("NETCONF reply timed out", target=spec.target) from None
        except Exception as e:
            if isinstance(e, DeviceError):
                raise
            raise ProtocolError(f"{op} failed: {str(e)[:100]}", target=spec.target) from None
        xml = getattr(reply, "xml", None) or str(reply)
        return NetconfResult(xml, list(m.server_capabilities), getattr(m, "session_id", None))
    finally:
        with contextlib.suppress(Exception):  # the result is already in hand
            m.close_session()


async def get_config(spec: DeviceSpec, source: str = "running", filter_xml: str | None = None) -> NetconfResult:
    return await asyncio.to_thread(_get, spec, "get-config", source, filter_xml)


async def get(spec: DeviceSpec, filter_xml: str | None = None) -> NetconfResult:
    return await asyncio.to_thread(_get, spec, "get", "running", filter_xml)
