"""The security baseline a user or an auditor would notice."""

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import CounsellorFactory

pytestmark = pytest.mark.django_db


def _login(client, username, password):
    return client.post(reverse("wagtailadmin_login"), {"username": username, "password": password})


def test_login_page_is_in_french(client):
    html = client.get(reverse("wagtailadmin_login")).content.decode()
    assert "Mot de passe" in html
    assert "Password" not in html
    assert 'lang="fr"' in html


def test_repeated_failures_lock_the_account_even_with_the_right_password(client):
    counsellor = CounsellorFactory()
    username = counsellor.user.username
    for _ in range(settings.MAILNET_LOGIN_MAX_FAILURES):
        assert _login(client, username, "wrong-password").status_code == 200
    response = _login(client, username, "correct-horse-battery")
    assert response.status_code == 200
    assert "Trop de tentatives" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_successful_login_resets_the_failure_count(client):
    counsellor = CounsellorFactory()
    username = counsellor.user.username
    for _ in range(settings.MAILNET_LOGIN_MAX_FAILURES - 1):
        _login(client, username, "wrong-password")
    assert _login(client, username, "correct-horse-battery").status_code == 302
    client.logout()
    for _ in range(settings.MAILNET_LOGIN_MAX_FAILURES - 1):
        _login(client, username, "wrong-password")
    assert _login(client, username, "correct-horse-battery").status_code == 302


def test_idle_session_is_logged_out(client, settings):
    counsellor = CounsellorFactory()
    client.force_login(counsellor.user)
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    session = client.session
    session["mailnet_last_seen"] = int(time.time()) - settings.MAILNET_SESSION_IDLE_SECONDS - 5
    session.save()
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 302
    assert reverse("wagtailadmin_login") in response.url


def test_every_response_carries_a_content_security_policy(client):
    response = client.get(reverse("wagtailadmin_login"))
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("password", ["motdepasse", "12345678901234", "azerty"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def _run_deploy_check(extra_env):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.production",
        "MAILNET_EMAIL_BACKEND": "smtp",
        **extra_env,
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = _run_deploy_check(
        {
            "DJANGO_SECRET_KEY": "k" * 20 + "0123456789abcdefghijklmnopqrstuvwxyz!@#$%",
            "DJANGO_ALLOWED_HOSTS": "mailnet.example",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_the_default_secret_key():
    result = _run_deploy_check({"DJANGO_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_write_mail_to_files():
    result = _run_deploy_check(
        {
            "DJANGO_SECRET_KEY": "k" * 20 + "0123456789abcdefghijklmnopqrstuvwxyz!@#$%",
            "DJANGO_ALLOWED_HOSTS": "mailnet.example",
            "MAILNET_EMAIL_BACKEND": "file",
        }
    )
    assert result.returncode != 0
    assert "MAILNET_EMAIL_BACKEND" in result.stderr


def test_the_menu_has_no_link_to_wagtails_online_guide(client):
    client.force_login(CounsellorFactory().user)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "guide.wagtail.org" not in html.split("<main", 1)[0]
