"""The SSH known-hosts store: one write per run, merges with other processes, and is editable by API and CLI."""

from __future__ import annotations

import base64
import json
import os

import pytest

from netcron.audit.models import AuditEntry
from netcron.inventory.models import Credential, Device
from netcron.lab import generate
from netcron.lab.testing import free_port, running_lab
from netcron.lib.hostkeys import FileHostKeyStore, HostKey
from tests.factories import run_cli


def key(n: int, algorithm: str = "ssh-ed25519") -> HostKey:
    name = algorithm.encode()
    blob = len(name).to_bytes(4, "big") + name + (32).to_bytes(4, "big") + bytes([n]) * 32
    return HostKey(algorithm, base64.b64encode(blob).decode())


@pytest.fixture
def store_path(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path / "ssh_known_hosts.json"


def writes(monkeypatch) -> list:
    done: list = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (done.append(b), real(a, b))[1])
    return done


def test_a_deferred_store_writes_the_keys_a_run_learned_once(store_path, monkeypatch):
    written = writes(monkeypatch)
    store = FileHostKeyStore(store_path, deferred=True)
    for n in range(50):
        store.record(f"10.0.0.{n}", 22, key(n))
    assert written == [] and not store_path.exists()
    store.flush()
    assert len(written) == 1 and len(json.loads(store_path.read_text())) == 50
    store.flush()
    assert len(written) == 1  # nothing new: no write


def test_keys_learned_by_two_runs_at_once_are_all_kept_and_the_first_recorded_wins(store_path):
    one, two = FileHostKeyStore(store_path, deferred=True), FileHostKeyStore(store_path, deferred=True)
    one.record("r1", 22, key(1))
    two.record("r2", 22, key(2))
    two.record("r1", 22, key(9))  # the same device, learned later by the other run
    one.flush()
    two.flush()
    assert json.loads(store_path.read_text()) == {"r1": {"ssh-ed25519": key(1).key_b64},
                                                  "r2": {"ssh-ed25519": key(2).key_b64}}


def test_forgetting_a_key_is_not_undone_by_a_run_that_loaded_the_file_before(store_path):
    FileHostKeyStore(store_path).record("r1", 22, key(1))
    run = FileHostKeyStore(store_path, deferred=True)
    FileHostKeyStore(store_path).forget("r1", 22)
    run.record("r2", 22, key(2))
    run.flush()
    assert json.loads(store_path.read_text()) == {"r2": {"ssh-ed25519": key(2).key_b64}}


def test_pinning_replaces_every_recorded_key_of_the_endpoint(store_path):
    store = FileHostKeyStore(store_path)
    store.record("r1", 2222, key(1))
    store.record("r1", 2222, key(3, "ecdsa-sha2-nistp256"))
    store.pin("r1", 2222, key(7))
    assert json.loads(store_path.read_text()) == {"[r1]:2222": {"ssh-ed25519": key(7).key_b64}}
    assert FileHostKeyStore(store_path).check("r1", 2222, key(7), "strict") == "known"


@pytest.mark.parametrize("text, why", [
    ("ssh-ed25519", "expected '<algorithm> <base64 key>'"),
    ("ssh-ed25519 !!!notbase64", "not valid base64"),
    (f"ssh-rsa {key(1).key_b64}", "not a ssh-rsa public key"),
])
def test_a_malformed_key_is_refused_with_the_reason(text, why):
    with pytest.raises(ValueError, match=why):
        HostKey.parse(text)


def test_a_fingerprint_is_printed_as_ssh_keygen_does():
    fingerprint = key(1).fingerprint
    assert fingerprint.startswith("SHA256:") and not fingerprint.endswith("=") and len(fingerprint) == 50


@pytest.fixture
def device(db):
    return Device.objects.create(name="edge1", host="192.0.2.10", port=2222, platform="linux")


def test_the_api_lists_forgets_and_pins_a_devices_key(api_as, alice, viewer, device, store_path):
    FileHostKeyStore(store_path).record(device.host, device.port, key(1))
    listed = api_as(viewer).get("/api/host-keys")
    assert listed.status_code == 200
    assert listed.json() == {"count": 1, "items": [{
        "endpoint": "[192.0.2.10]:2222", "host": "192.0.2.10", "port": 2222, "algorithm": "ssh-ed25519",
        "key": key(1).key_b64, "fingerprint": key(1).fingerprint, "devices": ["edge1"]}]}
    assert api_as(viewer).delete(f"/api/host-keys/devices/{device.pk}").status_code == 403
    forgotten = api_as(alice).delete(f"/api/host-keys/devices/{device.pk}")
    assert forgotten.json() == {"endpoint": "[192.0.2.10]:2222", "forgotten": True}
    assert api_as(alice).get(f"/api/host-keys?device_id={device.pk}").json() == {"count": 0, "items": []}
    pinned = api_as(alice).put(f"/api/host-keys/devices/{device.pk}", json={"key": key(5).openssh + " comment"})
    assert pinned.status_code == 200 and pinned.json()["items"][0]["key"] == key(5).key_b64
    assert list(AuditEntry.objects.filter(object_id=str(device.pk), action__startswith="hostkey")
                .values_list("action", flat=True)
                .order_by("id")) == ["hostkey_forgotten", "hostkey_pinned"]


def test_the_api_answers_bad_requests_clearly(api_as, alice, device, store_path):
    client = api_as(alice)
    bad = client.put(f"/api/host-keys/devices/{device.pk}", json={"key": "ssh-ed25519 AAAA"})
    assert bad.status_code == 422 and bad.json()["detail"].startswith("key: ")
    assert client.delete("/api/host-keys/devices/999999").status_code == 404
    assert client.delete(f"/api/host-keys/devices/{device.pk}").json()["forgotten"] is False
    assert api_as(None).get("/api/host-keys").status_code == 401


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    devices = generate(1, ["linux"], port=free_port("127.0.6.201"), base_address="127.0.6.201")
    with running_lab(devices, tmp_path_factory.mktemp("lab")) as lab:
        yield lab


@pytest.fixture
def lab_device(lab, db):
    spec = lab.specs[0]
    credential = Credential(name="lab", username=spec.username, host_key_policy="tofu")
    credential.set_secrets(password=spec.password)
    credential.save()
    yield Device.objects.create(name=spec.name, host=spec.host, port=spec.port, platform=spec.platform,
                                credential=credential)
    lab.clear_faults(spec.name)


def test_a_changed_device_key_is_refused_until_an_operator_trusts_the_new_one(lab, lab_device, store_path, capsys):
    from tests.backup.conftest import results, run_job

    first = run_job("run_commands", {"commands": ["uname -a"]}, devices=[lab_device])
    assert first.status == "completed" and first.count_ok == 1, first.error
    code, out, _ = run_cli(capsys, "hostkeys", "list")
    assert code == 0 and lab_device.name in out and "SHA256:" in out

    lab.set_fault(lab_device.name, "wrong_hostkey")
    refused = run_job("run_commands", {"commands": ["uname -a"]}, devices=[lab_device])
    assert results(refused)[lab_device.name].detail == "host_key_mismatch"

    code, out, err = run_cli(capsys, "hostkeys", "trust", lab_device.name)
    assert code == 0, err
    assert out.startswith("trusted ") and "SHA256:" in out
    again = run_job("run_commands", {"commands": ["uname -a"]}, devices=[lab_device])
    assert again.count_ok == 1, results(again)[lab_device.name].message


def test_the_cli_forgets_a_key_and_reports_bad_input_in_one_line(lab_device, store_path, capsys):
    FileHostKeyStore(store_path).record(lab_device.host, lab_device.port, key(1))
    code, out, _ = run_cli(capsys, "hostkeys", "forget", lab_device.name)
    assert code == 0 and out.startswith("forgot the host key of ")
    assert json.loads(store_path.read_text()) == {}
    code, _, err = run_cli(capsys, "hostkeys", "forget", "no-such-device")
    assert (code, err) == (2, "netcron: no device named 'no-such-device'\n")
    code, _, err = run_cli(capsys, "hostkeys", "trust", lab_device.name, "--key", "ssh-ed25519 AAAA")
    assert code == 2 and err.startswith("netcron: --key: ") and err.count("\n") == 1


def test_trusting_an_unreachable_device_exits_1_with_one_line(db, store_path, capsys):
    Device.objects.create(name="gone", host="127.0.6.250", port=free_port("127.0.6.250"), platform="linux")
    code, _, err = run_cli(capsys, "hostkeys", "trust", "gone", "--timeout", "2")
    assert code == 1 and err.startswith("netcron: could not read the host key of gone") and err.count("\n") == 1
