"""Config history on the device page: versions from real lab backups, one version, unified and side-by-side
diffs of any two, and the latest command outputs."""

from __future__ import annotations

import re

import pytest

from netcron.configs.models import ConfigVersion
from netcron.inventory.models import Credential, Device, Location
from netcron.jobs.models import JobRun
from netcron.jobs.runner import execute_run
from netcron.lab import generate
from netcron.lab.testing import free_port, running_lab
from netcron.ui import diffs
from tests.ui.conftest import make_device, make_run, make_template, queries_for

pytestmark = pytest.mark.django_db
LAB_BASE = "127.0.7.1"
NEW_DESCRIPTION = "netcron-ui-diff-test"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    devices = generate(1, ["cisco_ios"], port=free_port(LAB_BASE), base_address=LAB_BASE, config_lines=120)
    with running_lab(devices, tmp_path_factory.mktemp("ui-lab")) as lab:
        yield lab


@pytest.fixture
def router(lab, db, settings, tmp_path):
    """The lab device in the inventory, backups going to a fresh repository."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.NETCRON_HEARTBEAT_SECONDS = 60
    spec = lab.specs[0]
    credential = Credential(name="lab", username="admin", host_key_policy="ignore")
    credential.set_secrets(password="admin", enable_secret="enable")
    credential.save()
    return Device.objects.create(name=spec.name, host=spec.host, port=spec.port, platform=spec.platform,
                                 location=Location.objects.get_or_create(name=spec.location)[0],
                                 credential=credential)


def run_job(device, job_type: str = "backup", params: dict | None = None, owner=None, is_global=True) -> JobRun:
    template = make_template(f"{job_type}-{JobRun.objects.count()}", job_type=job_type, params=params or {},
                             targets={"devices": [str(device.pk)]}, owner=owner, is_global=is_global)
    run = make_run(template)
    execute_run(run.pk, worker="test")
    run.refresh_from_db()
    assert run.status == "completed", run.error
    return run


@pytest.fixture
def two_versions(lab, router):
    """Two backups with one interface description changed in between: (old description line, runs)."""
    first = run_job(router)
    before = lab.running_config(router.name)
    lines = before.splitlines()
    start = lines.index("interface GigabitEthernet1/0/2")
    old = next(line for line in lines[start:] if line.startswith(" description"))
    lab.configure(router.name, ["interface GigabitEthernet1/0/2", f"description {NEW_DESCRIPTION}"])
    second = run_job(router)
    yield old.strip(), (first, second)
    lab.configure(router.name, ["interface GigabitEthernet1/0/2", old.strip()])


def test_the_device_page_lists_backed_up_versions_with_the_newest_two_preselected(alice, client_for, router,
                                                                                    two_versions):
    _, (first, second) = two_versions
    newest, oldest = ConfigVersion.objects.filter(device=router).order_by("-id")
    body = client_for(alice).get(f"/devices/{router.pk}/").content.decode()
    assert "Config versions" in body
    assert re.search(rf'name="to" value="{newest.commit}"[^>]*checked', body)
    assert re.search(rf'name="from" value="{oldest.commit}"[^>]*checked', body)
    assert f'href="/runs/{second.pk}/">#{second.pk}</a>' in body and f'href="/runs/{first.pk}/"' in body
    assert ">2</td>" in body  # lines changed by the second backup


def test_the_diff_marks_the_changed_line_side_by_side_and_unified(alice, client_for, router, two_versions):
    old_line, _ = two_versions
    newest, oldest = ConfigVersion.objects.filter(device=router).order_by("-id")
    client = client_for(alice)
    split = client.get(f"/devices/{router.pk}/configs/diff?from={oldest.commit}&to={newest.commit}").content.decode()
    assert "+1</strong> added" in split and "\N{MINUS SIGN}1</strong> removed" in split
    removed = re.search(r'<td class="d-removed"><span class="d-mark"[^>]*>\N{MINUS SIGN}</span>(.*?)</td>',
                        split).group(1)
    added = re.search(r'<td class="d-added"><span class="d-mark"[^>]*>\+</span>(.*?)</td>', split).group(1)
    assert re.sub(r"</?mark>", "", removed).strip() == old_line
    assert re.sub(r"</?mark>", "", added).strip() == f"description {NEW_DESCRIPTION}"
    assert f"<mark>{NEW_DESCRIPTION}" in added  # the changed part of the line is marked
    assert split.index("d-removed") < split.index("d-added")  # on one row: old left, new right
    unified = client.get(f"/devices/{router.pk}/configs/diff?view=unified").content.decode()  # default: latest two
    assert unified.count('class="d-removed"') == 1 and unified.count('class="d-added"') == 1
    assert 'aria-current="page">Unified' in unified


def test_a_diff_of_the_same_version_says_they_are_identical(alice, client_for, router, two_versions):
    newest = ConfigVersion.objects.filter(device=router).first()
    body = client_for(alice).get(f"/devices/{router.pk}/configs/diff?from={newest.commit}&to={newest.commit}")
    assert "The two versions are identical" in body.content.decode()


def test_one_version_shows_its_text_and_links_its_run(alice, client_for, router, two_versions):
    _, (first, _) = two_versions
    oldest = ConfigVersion.objects.filter(device=router).order_by("id").first()
    body = client_for(alice).get(f"/devices/{router.pk}/configs/{oldest.commit[:8]}/").content.decode()
    assert "interface GigabitEthernet1/0/2" in body and NEW_DESCRIPTION not in body
    assert f'href="/runs/{first.pk}/"' in body


@pytest.mark.parametrize(("query", "status", "message"), [
    ("from=zzzz", 422, "is not a commit id"),
    ("to=abcdef12", 404, "no running config of"),
    ("kind=startup", 404, "has no backed-up startup config yet"),
])
def test_bad_diff_requests_are_clear_4xx_pages(alice, client_for, router, two_versions, query, status, message):
    response = client_for(alice).get(f"/devices/{router.pk}/configs/diff?{query}")
    assert response.status_code == status and message in response.content.decode()


def test_a_device_without_backups_says_so(alice, client_for):
    device = make_device("new1")
    assert "No running config backed up yet" in client_for(alice).get(f"/devices/{device.pk}/").content.decode()
    assert client_for(alice).get(f"/devices/{device.pk}/configs/latest/").status_code == 404


def test_runs_of_private_templates_are_not_linked_for_others(alice, charlie, client_for, router, lab):
    run = run_job(router, owner=alice, is_global=False)
    commit = ConfigVersion.objects.get(device=router).commit
    assert f'href="/runs/{run.pk}/"' not in client_for(charlie).get(f"/devices/{router.pk}/").content.decode()
    assert f'href="/runs/{run.pk}/"' in client_for(alice).get(f"/devices/{router.pk}/").content.decode()
    assert f'href="/runs/{run.pk}/"' not in client_for(charlie).get(
        f"/devices/{router.pk}/configs/{commit}/").content.decode()


def test_the_history_page_and_the_device_page_run_the_same_queries_for_2_and_12_versions(alice, client_for,
                                                                                           router, lab):
    client = client_for(alice)
    run_job(router)
    old = lab.running_config(router.name)
    lab.configure(router.name, ["hostname ui-test-0"])
    run_job(router)
    few = queries_for(client, f"/devices/{router.pk}/"), queries_for(client, f"/devices/{router.pk}/configs/")
    for i in range(1, 11):
        lab.configure(router.name, [f"hostname ui-test-{i}"])
        run_job(router)
    assert ConfigVersion.objects.filter(device=router).count() == 12
    many = queries_for(client, f"/devices/{router.pk}/"), queries_for(client, f"/devices/{router.pk}/configs/")
    assert many == few
    assert "all versions" in client.get(f"/devices/{router.pk}/").content.decode()
    lab.configure(router.name, [next(line for line in old.splitlines() if line.startswith("hostname"))])


def test_the_latest_command_outputs_of_visible_runs_are_shown(alice, charlie, client_for, router):
    run = run_job(router, "run_commands", {"commands": ["show version", "show clock"]}, owner=alice,
                  is_global=False)
    body = client_for(alice).get(f"/devices/{router.pk}/").content.decode()
    assert "Latest command outputs" in body and f"run #{run.pk}" in body
    assert "Cisco IOS XE Software" in body and "show clock" in body
    assert "Latest command outputs" not in client_for(charlie).get(f"/devices/{router.pk}/").content.decode()


def test_a_long_diff_is_cut_at_the_row_cap_and_says_so():
    text = "--- a\n+++ b\n@@ -1,3 +1,3 @@\n" + "".join(f"-old {i}\n+new {i}\n" for i in range(3))
    parsed = diffs.parse(text, max_rows=4)
    assert parsed.clipped and parsed.rows == 4
    assert [(old.old_no, new.new_no) for old, new in parsed.hunks[0].side] == [(1, 1), (2, 2)]


def test_diff_parsing_numbers_lines_and_pairs_removals_with_the_additions_after_them():
    text = ("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -10,4 +10,4 @@ router\n keep\n-old <b>\n-gone\n+new <b>\n"
            " same\n\\ No newline at end of file\n")
    hunk = diffs.parse(text).hunks[0]
    assert hunk.header == "@@ -10,4 +10,4 @@ router"
    assert [(line.kind, line.old_no, line.new_no) for line in hunk.lines] == [
        ("context", 10, 10), ("removed", 11, None), ("removed", 12, None), ("added", None, 11), ("context", 13, 12)]
    rows = [(o.text if o else None, n.text if n else None) for o, n in hunk.side]
    assert rows == [("keep", "keep"), ("old <b>", "new <b>"), ("gone", None), ("same", "same")]
    assert str(hunk.lines[3].shown) == "<mark>new</mark> &lt;b&gt;"  # escaped, the changed word marked


def test_a_viewer_sees_configs_but_someone_without_inventory_read_does_not(vera, nora, client_for, router,
                                                                            two_versions):
    assert client_for(vera).get(f"/devices/{router.pk}/configs/diff").status_code == 200
    assert client_for(nora).get(f"/devices/{router.pk}/configs/diff").status_code == 403


def test_a_diff_longer_than_the_row_cap_says_where_the_full_text_is(alice, client_for, router, two_versions,
                                                                    monkeypatch):
    monkeypatch.setattr(diffs, "MAX_ROWS", 4)
    body = client_for(alice).get(f"/devices/{router.pk}/configs/diff?view=unified").content.decode()
    assert "longer than 4 lines; only the first 4 are shown" in body
    assert body.count("<td class=\"d-") == 4
    assert f"/api/devices/{router.pk}/configs/diff?kind=running" in body
