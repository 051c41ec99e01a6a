"""The compare devices dashboard: counts, a filterable table, the run it came from, run compare now."""

from __future__ import annotations

import pytest

from netcron.jobs.models import JobRun
from netcron.monitoring.models import Comparison
from netcron.sources.reconcile import Item, Record
from tests.ui.conftest import make_device, make_run, make_template, queries_for

pytestmark = pytest.mark.django_db
PARAMS = {"target": "prometheus", "file_path": "targets.json"}


def compare_run(owner=None, is_global=True, rows: int = 0):
    template = make_template(f"compare-{JobRun.objects.count()}", job_type="compare_devices", owner=owner,
                             is_global=is_global, params=PARAMS)
    run = make_run(template, "completed")
    core = make_device(f"core{run.pk}", location="Berlin")
    items = [
        Item(core.name, "different", diff={"address": {"source": "192.0.2.1", "monitoring": "192.0.2.9"}},
             desired=Record(core.name, device_id=core.pk, location="Berlin")),
        Item(f"edge{run.pk}", "missing_in_monitoring", desired=Record(f"edge{run.pk}", location="Paris")),
        Item(f"ghost{run.pk}", "missing_in_source", actual=Record(f"ghost{run.pk}")),
        *[Item(f"ok{run.pk}-{i}", "in_sync", desired=Record(f"ok{run.pk}-{i}")) for i in range(rows)],
    ]
    Comparison.record(run.pk, "prometheus", "/srv/targets.json", items)
    return template, run


def test_the_newest_comparison_shows_counts_differences_and_its_run(alice, client_for):
    compare_run(rows=1)
    template, run = compare_run(rows=2)
    body = client_for(alice).get("/compare/").content.decode()
    assert f'href="/runs/{run.pk}/">run #{run.pk}</a>' in body
    assert '<span class="n">2</span><span class="badge b-ok"><span aria-hidden="true">✓</span> in sync' in body
    assert "missing in monitoring" in body and "missing in source" in body
    assert f">core{run.pk}</a>" in body and "192.0.2.9</span> → <span class=\"mono\">192.0.2.1" in body
    assert f"ghost{run.pk}" in body and f"ghost{run.pk - 1}" not in body
    assert f'action="/templates/{template.pk}/run"' in body and "Run compare now" in body


@pytest.mark.parametrize(("query", "shown"), [
    ("status=missing_in_monitoring", {"edge"}), ("status=missing_in_source", {"ghost"}), ("device=cor", {"core"}),
    ("location=Paris", {"edge"}), ("", {"core", "edge", "ghost"}),
])
def test_the_table_filters_by_status_device_and_location(alice, client_for, query, shown):
    _, run = compare_run()
    body = client_for(alice).get(f"/compare/?{query}").content.decode()
    assert {name for name in ("core", "edge", "ghost") if f"{name}{run.pk}<" in body} == shown


def test_an_earlier_comparison_can_be_opened_by_its_run(alice, client_for):
    _, first = compare_run()
    compare_run()
    body = client_for(alice).get(f"/compare/?run={first.pk}").content.decode()
    assert f"run #{first.pk}</a>" in body and f"ghost{first.pk}" in body
    assert client_for(alice).get("/compare/?run=999999").status_code == 404
    assert client_for(alice).get("/compare/?run=abc").status_code == 404


def test_comparisons_of_private_runs_are_invisible_to_others(alice, charlie, client_for):
    _, shared = compare_run()
    _, private = compare_run(owner=alice, is_global=False)
    body = client_for(charlie).get("/compare/").content.decode()
    assert f"run #{shared.pk}</a>" in body and f"ghost{private.pk}" not in body
    assert client_for(charlie).get(f"/compare/?run={private.pk}").status_code == 404
    assert f"run #{private.pk}</a>" in client_for(alice).get("/compare/").content.decode()


def test_run_compare_now_is_offered_only_to_users_who_may_run_the_template(alice, charlie, vera, client_for):
    template, _ = compare_run(owner=alice, is_global=False)
    compare_run()  # a global one everyone sees
    assert f"/templates/{template.pk}/run" in client_for(alice).get("/compare/").content.decode()
    assert f"/templates/{template.pk}/run" not in client_for(charlie).get("/compare/").content.decode()
    assert "Run compare now" not in client_for(vera).get("/compare/").content.decode()


def test_without_a_comparison_the_page_says_how_to_get_one(alice, nora, client_for):
    assert "No comparison yet" in client_for(alice).get("/compare/").content.decode()
    assert client_for(nora).get("/compare/").status_code == 403


def test_the_page_runs_the_same_number_of_queries_for_few_and_many_rows(alice, client_for):
    client = client_for(alice)
    compare_run(rows=2)
    few = queries_for(client, "/compare/")
    compare_run(rows=60)
    assert queries_for(client, "/compare/") == few


def test_label_differences_show_only_the_labels_that_differ():
    from netcron.ui.templatetags.ui import drift

    diff = {"labels": {"monitoring": {"netcron_role": "spare", "netcron_site": "dc1"},
                       "source": {"netcron_role": "access", "netcron_site": "dc1"}},
            "target": {"monitoring": "10.0.0.9", "source": "10.0.0.1"}}
    assert drift(diff) == [("labels.netcron_role", "spare", "access"), ("target", "10.0.0.9", "10.0.0.1")]
