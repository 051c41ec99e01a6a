"""Who may see and do what: the same rules as the API, shown as HTML."""

from __future__ import annotations

import pytest

from netcron.jobs.models import JobRun, JobSchedule, JobTemplate
from netcron.notifications.models import NotificationRule
from tests.ui.conftest import make_device, make_run, make_schedule, make_template

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(alice):
    template = make_template("shared", owner=alice)
    schedule = make_schedule(template, "shared-s", owner=alice)
    run = make_run(template, "completed")
    device = make_device("r1")
    rule = NotificationRule.objects.create(name="noc", template=template, channel="email", owner=alice)
    return {"t": template.pk, "s": schedule.pk, "r": run.pk, "d": device.pk, "n": rule.pk}


READ_PAGES = ["/templates/", "/templates/{t}/", "/schedules/", "/schedules/{s}/", "/schedules/preview?kind=cron",
              "/runs/", "/runs/{r}/", "/runs/{r}/live", "/runs/{r}/log", "/dashboard/active",
              "/dashboard/workers", "/compare/", "/notifications/"]
WRITE_PAGES = ["/templates/new", "/templates/params?job_type=noop", "/templates/{t}/edit", "/templates/{t}/delete",
               "/schedules/new", "/schedules/{s}/edit", "/schedules/{s}/delete", "/notifications/new",
               "/notifications/{n}/edit", "/notifications/{n}/delete"]
WRITE_POSTS = ["/templates/{t}/run", "/templates/{t}/delete", "/schedules/{s}/toggle", "/schedules/{s}/run",
               "/schedules/{s}/delete", "/runs/{r}/cancel", "/runs/{r}/retry", "/templates/new", "/schedules/new",
               "/notifications/{n}/toggle", "/notifications/{n}/delete", "/notifications/new"]
INVENTORY_PAGES = ["/devices/", "/devices/{d}/", "/devices/{d}/configs/", "/credentials/"]
ALL_PAGES = ["/", "/account/tokens/", *READ_PAGES, *WRITE_PAGES, *INVENTORY_PAGES]


@pytest.mark.parametrize("page", ALL_PAGES)
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, objects, page):
    url = page.format(**objects)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_an_htmx_poll_after_the_session_ended_reloads_the_page_at_the_login_form(client, objects):
    response = client.get(f"/runs/{objects['r']}/live", HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == "/login/"


@pytest.mark.parametrize("page", WRITE_POSTS)
def test_an_anonymous_post_changes_nothing_and_asks_to_log_in(client, objects, page):
    response = client.post(page.format(**objects))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert JobTemplate.objects.count() == 1 and JobSchedule.objects.count() == 1 and JobRun.objects.count() == 1


@pytest.mark.parametrize("page", READ_PAGES + WRITE_PAGES)
def test_a_user_without_jobs_read_gets_403_on_job_pages(nora, client_for, objects, page):
    response = client_for(nora).get(page.format(**objects))
    assert response.status_code == 403
    assert b"Not allowed" in response.content


@pytest.mark.parametrize("page", INVENTORY_PAGES)
def test_a_user_without_inventory_read_gets_403_on_device_pages(nora, client_for, objects, page):
    assert client_for(nora).get(page.format(**objects)).status_code == 403


@pytest.mark.parametrize("page", READ_PAGES + INVENTORY_PAGES)
def test_a_viewer_may_read_every_page(vera, client_for, objects, page):
    assert client_for(vera).get(page.format(**objects)).status_code == 200


@pytest.mark.parametrize("page", WRITE_PAGES)
def test_a_viewer_gets_403_on_pages_that_change_jobs(vera, client_for, objects, page):
    response = client_for(vera).get(page.format(**objects))
    assert response.status_code == 403
    assert b"jobs:write" in response.content


@pytest.mark.parametrize("page", WRITE_POSTS)
def test_a_viewer_cannot_post_changes(vera, client_for, objects, page):
    response = client_for(vera).post(page.format(**objects))
    assert response.status_code == 403
    assert JobTemplate.objects.count() == 1 and JobSchedule.objects.count() == 1 and JobRun.objects.count() == 1


def test_the_viewer_sees_no_buttons_that_would_change_anything(vera, client_for, objects):
    client = client_for(vera)
    for url in (f"/templates/{objects['t']}/", "/templates/", f"/runs/{objects['r']}/",
                f"/schedules/{objects['s']}/"):
        body = client.get(url).content.decode()
        assert "Run now" not in body and "Edit" not in body and "Cancel run" not in body, url


@pytest.fixture
def private(alice):
    template = make_template("alice-only", owner=alice, is_global=False)
    schedule = make_schedule(template, "alice-only-s", owner=alice, is_global=False)
    run = make_run(template, "completed")
    rule = NotificationRule.objects.create(name="alice-only-n", template=template, channel="email", owner=alice)
    return {"t": template.pk, "s": schedule.pk, "r": run.pk, "d": 0, "n": rule.pk}


PRIVATE_GETS = ["/templates/{t}/", "/templates/{t}/edit", "/templates/{t}/delete", "/schedules/{s}/",
                "/schedules/{s}/edit", "/schedules/{s}/delete", "/runs/{r}/", "/runs/{r}/live", "/runs/{r}/log",
                "/notifications/{n}/edit", "/notifications/{n}/delete"]
PRIVATE_POSTS = ["/templates/{t}/run", "/templates/{t}/delete", "/schedules/{s}/toggle", "/schedules/{s}/run",
                 "/schedules/{s}/delete", "/runs/{r}/cancel", "/runs/{r}/retry", "/templates/{t}/edit",
                 "/schedules/{s}/edit", "/notifications/{n}/toggle", "/notifications/{n}/delete",
                 "/notifications/{n}/edit"]


@pytest.mark.parametrize("page", PRIVATE_GETS)
def test_private_objects_of_others_are_404_not_403(charlie, client_for, private, page):
    response = client_for(charlie).get(page.format(**private))
    assert response.status_code == 404
    assert b"alice-only" not in response.content


@pytest.mark.parametrize("page", PRIVATE_POSTS)
def test_posting_to_a_private_object_of_someone_else_is_404_and_changes_nothing(charlie, client_for, private, page):
    response = client_for(charlie).post(page.format(**private), {"name": "taken over"})
    assert response.status_code == 404
    assert JobTemplate.objects.get(pk=private["t"]).name == "alice-only"
    assert JobSchedule.objects.get(pk=private["s"]).is_active
    assert JobRun.objects.count() == 1
    assert NotificationRule.objects.get(pk=private["n"]).is_active


def test_private_objects_do_not_appear_in_the_lists_of_others(charlie, client_for, private):
    client = client_for(charlie)
    for url in ("/templates/", "/schedules/", "/runs/", "/", f"/runs/?template={private['t']}"):
        assert b"alice-only" not in client.get(url).content, url


@pytest.mark.parametrize("page", PRIVATE_GETS)
def test_the_owner_and_superusers_see_private_objects(alice, root, client_for, private, page):
    assert client_for(alice).get(page.format(**private)).status_code == 200
    assert client_for(root).get(page.format(**private)).status_code == 200


def test_a_user_without_permissions_sees_a_dashboard_that_explains_it(nora, client_for):
    response = client_for(nora).get("/")
    assert response.status_code == 200
    assert b"no permissions yet" in response.content
    assert b"Templates</a>" not in response.content


def test_logging_in_and_out_works_with_the_login_form(alice, client):
    response = client.post("/login/", {"username": "alice", "password": "pw-alice", "next": "/runs/"})
    assert response.status_code == 302 and response["Location"] == "/runs/"
    assert client.get("/runs/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/runs/").status_code == 302


def test_a_wrong_password_says_so_without_saying_which_part_was_wrong(alice, client):
    response = client.post("/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"Wrong user name or password" in response.content


def test_a_post_without_a_csrf_token_is_refused(alice, objects):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(f"/templates/{objects['t']}/run").status_code == 403
    assert JobRun.objects.count() == 1
