"""The security baseline: login lockout, idle-session expiry and the CSP header."""

import time

from django import forms
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.auth import LoginForm as WagtailLoginForm


def _lockout_key(username: str) -> str:
    return f"mailnet:login-failures:{(username or '').strip().lower()}"


class LockoutModelBackend(ModelBackend):
    """Refuses a username after too many failed logins in a row, for a while.

    The count lives in the cache (the database cache on one machine, Redis at scale) so
    every web process sees it; a successful login clears it.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get("email") or kwargs.get("username")
        key = _lockout_key(username)
        failures = cache.get(key, 0)
        if failures >= settings.MAILNET_LOGIN_MAX_FAILURES:
            raise PermissionDenied("locked out")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            # add() then incr(): two parallel failures both count.
            cache.add(key, 0, settings.MAILNET_LOGIN_LOCKOUT_SECONDS)
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, settings.MAILNET_LOGIN_LOCKOUT_SECONDS)
        else:
            cache.delete(key)
        return user


class IdleSessionMiddleware:
    """Logs a user out after MAILNET_SESSION_IDLE_SECONDS without a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get("mailnet_last_seen")
            if last_seen and now - last_seen > settings.MAILNET_SESSION_IDLE_SECONDS:
                logout(request)
            else:
                # Write at most once a minute to spare the session store.
                if not last_seen or now - last_seen > 60:
                    request.session["mailnet_last_seen"] = now
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Adds the project's Content-Security-Policy unless a view already set a stricter one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


def login_locked_out(username: str) -> bool:
    return cache.get(_lockout_key(username), 0) >= settings.MAILNET_LOGIN_MAX_FAILURES


class LoginForm(WagtailLoginForm):
    """Wagtail's login form, with a French password label and a clear lockout message."""

    error_messages = {
        **WagtailLoginForm.error_messages,
        "locked_out": _(
            "Trop de tentatives de connexion échouées pour cet identifiant. "
            "Réessayez dans %(minutes)s minutes ou contactez votre administrateur."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].label = _("Mot de passe")

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and login_locked_out(username):
            raise forms.ValidationError(
                self.error_messages["locked_out"],
                code="locked_out",
                params={"minutes": settings.MAILNET_LOGIN_LOCKOUT_SECONDS // 60},
            )
        return super().clean()
