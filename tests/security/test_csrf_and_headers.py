"""CSRF on the UI, token auth on the API, the security headers, and `check --deploy` with the example env."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.test import Client

from netcron.accounts.models import ApiToken
from netcron.inventory.models import Device

ROOT = Path(__file__).resolve().parents[2]


def test_a_ui_post_without_the_csrf_token_is_refused(alice):
    token, _ = ApiToken.issue(alice, name="laptop")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    refused = client.post(f"/account/tokens/{token.pk}/revoke")
    assert refused.status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_same_ui_post_with_the_csrf_token_works(alice):
    token, _ = ApiToken.issue(alice, name="laptop")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get("/account/tokens/")
    done = client.post(f"/account/tokens/{token.pk}/revoke", {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert done.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_login_form_itself_needs_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/login/", {"username": "alice", "password": "alice-password-123"}).status_code == 403


def test_the_api_with_a_bearer_token_needs_no_csrf_token(alice):
    _, raw = ApiToken.issue(alice)
    client = Client(enforce_csrf_checks=True)
    created = client.post("/api/devices", {"name": "r1", "host": "192.0.2.1", "platform": "cisco_ios"},
                          content_type="application/json", headers={"Authorization": f"Bearer {raw}"})
    assert created.status_code == 201, created.content
    assert Device.objects.filter(name="r1").exists()


def test_the_api_with_a_browser_session_needs_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    refused = client.post("/api/devices", {"name": "r1", "host": "192.0.2.1", "platform": "cisco_ios"},
                          content_type="application/json")
    assert refused.status_code == 403
    assert not Device.objects.filter(name="r1").exists()


def test_every_page_carries_the_security_headers(alice):
    client = Client()
    client.force_login(alice)
    response = client.get("/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert Client().get("/api/health")["Content-Security-Policy"] == csp


def test_the_policy_can_be_replaced_or_turned_off(settings):
    settings.NETCRON_CONTENT_SECURITY_POLICY = "default-src 'none'"
    assert Client().get("/login/")["Content-Security-Policy"] == "default-src 'none'"
    settings.NETCRON_CONTENT_SECURITY_POLICY = "off"
    assert "Content-Security-Policy" not in Client().get("/login/")


def test_the_ui_templates_have_no_inline_script():
    templates = list((ROOT / "netcron").rglob("templates/**/*.html"))
    assert templates
    for path in templates:
        text = path.read_text()
        for tag in text.split("<script")[1:]:
            head = tag.split(">", 1)[0]
            assert "src=" in head or "application/json" in head, f"inline <script> in {path}"
        assert " on" + "click=" not in text and "hx-on" not in text, f"inline event handler in {path}"


def _env_example() -> dict:
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    for line in (ROOT / "deploy" / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
    return env


def test_check_deploy_is_clean_with_the_production_env_example(tmp_path):
    env = {**_env_example(), "NETCRON_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues (0 silenced)" in done.stdout


def test_the_production_env_example_turns_on_secure_cookies_hsts_and_the_proxy_header(tmp_path):
    env = {**_env_example(), "NETCRON_DATA_DIR": str(tmp_path)}
    code = ("from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
            "s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER, s.CACHES['default']['BACKEND'])")
    done = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"], cwd=ROOT,
                          env={**env, "DJANGO_SETTINGS_MODULE": "netcron.settings"}, capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.split() == ["True", "True", "31536000", "True", "('HTTP_X_FORWARDED_PROTO',", "'https')",
                                   "django.core.cache.backends.redis.RedisCache"], done.stderr


def test_the_proxy_header_is_not_trusted_unless_asked(tmp_path):
    env = {**_env_example(), "NETCRON_DATA_DIR": str(tmp_path), "NETCRON_BEHIND_PROXY": "false",
           "DJANGO_SETTINGS_MODULE": "netcron.settings"}
    done = subprocess.run([sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                           "print(settings.SECURE_PROXY_SSL_HEADER)"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.strip() == "None", done.stderr
