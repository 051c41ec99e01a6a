"""The SSH host key store (known hosts) of this machine: list, forget and pin device keys."""

from __future__ import annotations

from ninja import Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from netcron import audit
from netcron.api.auth import INVENTORY_READ, INVENTORY_WRITE, require
from netcron.api.common import get_or_404
from netcron.executors.fleet import known_hosts_path
from netcron.inventory.models import Device
from netcron.lib.hostkeys import FileHostKeyStore, HostKey, endpoint, split_endpoint

router = Router(tags=["inventory"])


class HostKeyOut(Schema):
    endpoint: str = Field(description="host, or [host]:port when the port is not 22")
    host: str
    port: int
    algorithm: str
    key: str = Field(description="base64 public key blob, as in known_hosts")
    fingerprint: str = Field(description="SHA256:... as ssh-keygen -l prints it")
    devices: list[str] = Field(description="names of the devices at this host and port")


class HostKeyList(Schema):
    count: int
    items: list[HostKeyOut]


class PinIn(Schema):
    key: str = Field(min_length=10, max_length=20000, description="'<algorithm> <base64>', e.g. 'ssh-ed25519 AAAA...'")


class ForgetOut(Schema):
    endpoint: str
    forgotten: bool


def entries(store: FileHostKeyStore, only: tuple[str, int] | None = None) -> list[dict]:
    """Every recorded key, with the devices at that endpoint (one query)."""
    snapshot = store.snapshot()
    if only is not None:
        where = endpoint(*only)
        snapshot = {where: snapshot[where]} if where in snapshot else {}
    names: dict[tuple[str, int], list[str]] = {}
    hosts = {split_endpoint(w)[0] for w in snapshot}
    for name, host, port in Device.objects.filter(host__in=hosts).values_list("name", "host", "port"):
        names.setdefault((host, port), []).append(name)
    out = []
    for where in sorted(snapshot):
        host, port = split_endpoint(where)
        for algorithm, blob in sorted(snapshot[where].items()):
            out.append({"endpoint": where, "host": host, "port": port, "algorithm": algorithm, "key": blob,
                        "fingerprint": _fingerprint(algorithm, blob), "devices": sorted(names.get((host, port), []))})
    return out


def _fingerprint(algorithm: str, blob: str) -> str:
    try:
        return HostKey(algorithm, blob).fingerprint
    except ValueError:  # a hand-edited file with a broken entry: list it rather than fail the page
        return "(invalid key)"


@router.get("", response=HostKeyList, summary="List recorded SSH host keys")
def list_host_keys(request, device_id: int | None = None):
    require(request, INVENTORY_READ)
    only = None
    if device_id is not None:
        device = get_or_404(Device, device_id, "device")
        only = (device.host, device.port)
    items = entries(FileHostKeyStore(known_hosts_path()), only)
    return {"count": len(items), "items": items}


@router.put("/devices/{device_id}", response=HostKeyList, summary="Pin a device's SSH host key")
def pin_host_key(request, device_id: int, payload: PinIn):
    """Replace whatever is recorded for the device's host and port with this key."""
    require(request, INVENTORY_WRITE)
    device = get_or_404(Device, device_id, "device")
    try:
        key = HostKey.parse(payload.key)
    except ValueError as exc:
        raise HttpError(422, f"key: {exc}") from None
    store = FileHostKeyStore(known_hosts_path())
    store.pin(device.host, device.port, key)
    audit.record("hostkey_pinned", device, details={"endpoint": endpoint(device.host, device.port),
                                                    "fingerprint": key.fingerprint})
    items = entries(store, (device.host, device.port))
    return {"count": len(items), "items": items}


@router.delete("/devices/{device_id}", response=ForgetOut, summary="Forget a device's SSH host key")
def forget_host_key(request, device_id: int):
    """The next connection records the key again (trust on first use) or is refused (strict)."""
    require(request, INVENTORY_WRITE)
    device = get_or_404(Device, device_id, "device")
    forgotten = FileHostKeyStore(known_hosts_path()).forget(device.host, device.port)
    if forgotten:
        audit.record("hostkey_forgotten", device, details={"endpoint": endpoint(device.host, device.port)})
    return {"endpoint": endpoint(device.host, device.port), "forgotten": forgotten}
