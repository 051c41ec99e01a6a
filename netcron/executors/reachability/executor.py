"""Reachability pass: probe in a background event loop, record in this thread as devices finish.

The probe thread never touches the database; this thread drains its findings in batches, writes status,
history and events, reports device results and progress, and forwards a cancel request.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from netcron.executors.base import JobFailed
from netcron.executors.fleet import run_host_keys
from netcron.executors.reachability.checks import Finding, Probe, Target
from netcron.executors.reachability.evaluate import device_state
from netcron.executors.reachability.params import ReachabilityParams, WebhookParams
from netcron.inventory.models import Credential
from netcron.lib import concurrency, ping
from netcron.notifications.destinations import webhook_destinations
from netcron.reachability.notify import Hook, deliver
from netcron.reachability.recording import Observation, record

BATCH = 500
DEVICE_STATUS = {"up": "ok", "degraded": "ok", "down": "failed", "unknown": "skipped"}


def execute(ctx, params: ReachabilityParams) -> dict:
    started = time.monotonic()
    checks, ping_mode, ping_note = _effective_checks(ctx, params)
    hook = _hook(ctx, params.webhook)
    run = getattr(ctx, "run", None)
    override = run.credential if run is not None and run.credential_id else None
    targets = [_target(d, override or d.credential) for d in ctx.devices]
    host_keys = run_host_keys() if {"ssh", "netconf"} & set(checks) else None
    findings: queue.SimpleQueue[Finding] = queue.SimpleQueue()
    stop = threading.Event()
    probe = Probe(params, checks, ping_mode=ping_mode, host_keys=host_keys, emit=findings.put,
                  cancelled=stop.is_set)
    failure: list[BaseException] = []

    def work() -> None:
        try:
            concurrency.run(probe.run(targets))
        except BaseException as e:  # handed to the recording thread, which reports it
            failure.append(e)

    worker = threading.Thread(target=work, name=f"reachability-run-{ctx.run_id}", daemon=True)
    worker.start()
    by_id = {d.pk: d for d in ctx.devices}
    states: Counter[str] = Counter()
    changes = []
    done = 0
    while True:
        alive = worker.is_alive()
        batch = _drain(findings, wait=0.2 if alive else 0)
        if batch:
            with transaction.atomic():  # one commit per batch, not three per device
                changes += _record(ctx, params, batch, by_id, states)
            done += len(batch)
        ctx.progress(done, len(targets))
        if ctx.is_cancelled():
            stop.set()
        if not alive and not batch:
            break
    worker.join()
    if host_keys is not None:
        host_keys.flush()  # keys learned under trust-on-first-use: one write per run, not one per device
    if failure:
        raise JobFailed(f"checks crashed: {type(failure[0]).__name__}: {failure[0]}") from failure[0]
    if probe.ping_error:
        ctx.log(probe.ping_error, "warning")
    result = {"checks": checks, "ping": ping_note, "devices": done,
              **{s: states[s] for s in ("up", "degraded", "down")},
              "state_changes": len(changes), "seconds": round(time.monotonic() - started, 2)}
    queued = _rule_notifications(ctx, changes, by_id)
    if queued:
        result["rule_notifications"] = queued
    if hook is not None and changes and not ctx.is_cancelled():
        result["notifications"] = deliver(changes, hook)
        if result["notifications"]["failed"]:
            ctx.log(f"webhook: {result['notifications']['failed']} notification(s) failed; see the events", "warning")
    ctx.log(f"{states['up']} up, {states['degraded']} degraded, {states['down']} down; "
            f"{len(changes)} state change(s)")
    return result


def _rule_notifications(ctx, changes: list, by_id: dict) -> int:
    """Hand real changes (not first sightings) to the notification rules of the run's template/schedule."""
    if not changes or not apps.is_installed("netcron.notifications"):
        return 0
    from netcron.notifications.service import notify_state_change

    run = getattr(ctx, "run", None)
    return sum(len(notify_state_change(by_id[c.device_id], c.old_state, c.new_state, run))
               for c in changes if c.old_state != "unknown")


def _effective_checks(ctx, params: ReachabilityParams) -> tuple[list[str], str | None, str]:
    checks = list(params.checks)
    if "ping" not in checks:
        return checks, None, "not requested"
    access = ping.icmp_access()
    if access.available:
        return checks, access.mode, access.mode
    ctx.log(f"{access.reason} Falling back to TCP checks instead of ping.", "warning")
    at = checks.index("ping")
    checks = [c for c in checks if c != "ping"]
    if "tcp" not in checks:
        checks.insert(at, "tcp")
    return checks, None, "unavailable: fell back to tcp"


def _hook(ctx, webhook: WebhookParams | None) -> Hook | None:
    if webhook is None:
        return None
    credential = Credential.objects.filter(pk=webhook.credential_id).first()
    key = credential.get_secret("token") if credential else ""
    if not key:
        why = "does not exist" if credential is None else "has no token secret"
        ctx.log(f"webhook: credential {webhook.credential_id} {why}; state changes will not be notified", "error")
        return None
    return Hook(webhook.url, key, timeout=webhook.timeout_s, retries=webhook.retries, backoff=webhook.backoff_s,
                budget=webhook.budget_s, include_initial=webhook.include_initial, destinations=webhook_destinations())


def _target(device, credential: Credential | None) -> Target:
    secrets = credential.get_secrets() if credential is not None else {}
    return Target(
        device_id=device.pk, name=device.name, host=device.host, port=device.port, platform=device.platform,
        username=credential.username if credential else "", password=secrets.get("password", ""),
        host_key_policy=credential.host_key_policy if credential else "tofu",
        snmp_version=credential.snmp_version if credential else "2c",
        snmp_community=secrets.get("snmp_community", ""), snmp_auth_key=secrets.get("snmp_auth_key", ""),
        snmp_priv_key=secrets.get("snmp_priv_key", ""),
        snmp_auth_protocol=(credential.snmp_auth_protocol if credential else "").upper(),
        snmp_priv_protocol=(credential.snmp_priv_protocol if credential else "").upper(),
    )


def _drain(findings: queue.SimpleQueue, wait: float) -> list[Finding]:
    batch: list[Finding] = []
    try:
        batch.append(findings.get(timeout=wait) if wait else findings.get_nowait())
        while len(batch) < BATCH:
            batch.append(findings.get_nowait())
    except queue.Empty:
        pass
    return batch


def _record(ctx, params: ReachabilityParams, batch: list[Finding], by_id: dict, states: Counter) -> list:
    observations = []
    for f in batch:
        state, summary = device_state(f.rows)
        observations.append(Observation(f.target.device_id, f.target.name, state, summary, f.rows))
    changes = record(ctx.run_id, observations, timezone.now(), detail=params.history_per_check)
    rows = []
    for f, obs in zip(batch, observations, strict=True):
        states[obs.state] += 1
        latency = f" ({obs.summary.latency_avg_ms:g} ms)" if obs.summary.latency_avg_ms is not None else ""
        message = f"{obs.state}{latency}" + (f": {obs.error}" if obs.error else "")
        data = {"state": obs.state, "address": f.address, "checks": {r.check: _row_data(r) for r in f.rows},
                **f.data}
        rows.append({"device": by_id[f.target.device_id], "status": DEVICE_STATUS[obs.state], "message": message,
                     "detail": obs.state, "data": data})
    bulk = getattr(ctx, "device_results", None)  # one upsert per batch instead of three queries per device
    if bulk is not None:
        bulk(rows)
    else:
        for r in rows:
            ctx.device_result(r["device"], r["status"], r["message"], detail=r["detail"], data=r["data"])
    return changes


def _row_data(r) -> dict:
    out = {"state": r.state}
    for key in ("latency_min_ms", "latency_avg_ms", "latency_max_ms", "packet_loss"):
        if getattr(r, key) is not None:
            out[key] = getattr(r, key)
    if r.error:
        out["error"] = r.error
    return out
