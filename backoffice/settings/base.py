"""Every setting of Mailnet. Every environment variable is read here, once.

`.env.example` lists them all. dev.py, test.py and production.py only adjust.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in _env(name, default).split(",") if item.strip()]


# --- Environment -----------------------------------------------------------------------
VAR_DIR = Path(_env("MAILNET_VAR_DIR", str(BASE_DIR / "var")))
SECRET_KEY = _env("DJANGO_SECRET_KEY", "insecure-development-key-change-me")
DEBUG = _env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = _env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = _env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
DATABASE_URL = _env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'mailnet.sqlite3'}")
REDIS_URL = _env("REDIS_URL", "")
EMAIL_URL_BACKEND = _env("MAILNET_EMAIL_BACKEND", "file")
EMAIL_HOST = _env("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = _env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = _env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = _env("DEFAULT_FROM_EMAIL", "mailnet@mailnet.test")
SERVER_EMAIL = _env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
WAGTAILADMIN_BASE_URL = _env("MAILNET_BASE_URL", "http://127.0.0.1:8000")
MAILNET_DEMO = _env_bool("MAILNET_DEMO", False)
MAILNET_MAX_MAIL_BYTES = _env_int("MAILNET_MAX_MAIL_BYTES", 25 * 1024 * 1024)
MAILNET_SESSION_IDLE_SECONDS = _env_int("MAILNET_SESSION_IDLE_SECONDS", 30 * 60)
MAILNET_LOGIN_MAX_FAILURES = _env_int("MAILNET_LOGIN_MAX_FAILURES", 5)
MAILNET_LOGIN_LOCKOUT_SECONDS = _env_int("MAILNET_LOGIN_LOCKOUT_SECONDS", 15 * 60)
Q_WORKERS = _env_int("MAILNET_Q_WORKERS", 2)

# --- Applications ----------------------------------------------------------------------
INSTALLED_APPS = [
    # first, so a serialised test database restores content types before what points at them
    "django.contrib.contenttypes",
    "django.contrib.auth",
    # ours
    "backoffice.organisation",
    "backoffice.caseloads",
    "backoffice.correspondence",
    "mailbox_sync",
    "answer_repository",
    "reports",
    "quality",
    "inbox",
    "privacy",
    "fixtures",
    # wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # stack
    "django_filters",
    "import_export",
    "django_q",
    "django_mailbox",
    # django
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "backoffice.security.IdleSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "backoffice.security.ContentSecurityPolicyMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "backoffice" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["backoffice.security.LockoutModelBackend"]

# --- Language and time ------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français"))]
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Files --------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Mail out ------------------------------------------------------------------------------
if EMAIL_URL_BACKEND == "smtp":
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
elif EMAIL_URL_BACKEND == "console":
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "sent-mail"

# --- Wagtail ------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Mailnet"
WAGTAILADMIN_LOGIN_URL = "wagtailadmin_login"
LOGIN_URL = "wagtailadmin_login"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "odt", "xlsx", "csv", "txt"]
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAILADMIN_NOTIFICATION_FROM_EMAIL = DEFAULT_FROM_EMAIL
WAGTAILADMIN_USER_LOGIN_FORM = "backoffice.security.LoginForm"

# --- Security -----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Wagtail's admin uses inline scripts and styles; no remote origin is ever allowed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; frame-ancestors 'self'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)

# --- Background jobs ----------------------------------------------------------------------
Q_CLUSTER = {
    "name": "mailnet",
    "workers": Q_WORKERS,
    "timeout": 240,
    "retry": 300,
    "max_attempts": 3,
    "queue_limit": 50,
    "bulk": 10,
    "catch_up": False,
    "label": "Tâches de fond",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- django-mailbox -----------------------------------------------------------------------
# We keep the exact raw bytes ourselves (mailbox_sync); django-mailbox only configures.
DJANGO_MAILBOX_STORE_ORIGINAL_MESSAGE = False
DJANGO_MAILBOX_ATTACHMENT_UPLOAD_TO = "mailbox_attachments/%Y/%m/%d/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _env("MAILNET_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Wagtail's reference-index task logs every run at INFO: noise for us.
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
    },
}

CACHES = (
    {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    if REDIS_URL
    else {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "mailnet_cache",
        }
    }
)

# --- [answers] ---
# French stemming on PostgreSQL ("formations" finds "formation"); accents are folded by
# answer_repository.search, which also covers SQLite (its FTS5 index does not stem).
WAGTAILSEARCH_BACKENDS["default"]["SEARCH_CONFIG"] = "french"
# --- [mail-ingest] ---
# An attachment bigger than this stays in the raw mail only (not extracted to a file).
MAILNET_MAX_ATTACHMENT_BYTES = _env_int("MAILNET_MAX_ATTACHMENT_BYTES", 15 * 1024 * 1024)
# Wagtail's admin would otherwise load every user's avatar from gravatar.com: no remote loads.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# --- [sla] ---
# The reply commitment and its sweep (backoffice/correspondence/services/sweep.py).
MAILNET_SLA_HOURS = _env_int("MAILNET_SLA_HOURS", 72)
MAILNET_SLA_WARN_BEFORE_HOURS = _env_int("MAILNET_SLA_WARN_BEFORE_HOURS", 24)
MAILNET_SLA_HOLDING_BEFORE_HOURS = _env_int("MAILNET_SLA_HOLDING_BEFORE_HOURS", 4)
MAILNET_SLA_DAILY_CAP_PER_ADDRESS = _env_int("MAILNET_SLA_DAILY_CAP_PER_ADDRESS", 20)
MAILNET_SLA_SWEEP_BATCH = _env_int("MAILNET_SLA_SWEEP_BATCH", 500)
# Code (or title) of the published answer-repository template of the holding notice.
MAILNET_SLA_HOLDING_TEMPLATE = _env("MAILNET_SLA_HOLDING_TEMPLATE", "message-attente")
MAILNET_SLA_CONTACT_HOUR = _env_int("MAILNET_SLA_CONTACT_HOUR", 10)
MAILNET_SLA_MESSAGE_ID_DOMAIN = _env("MAILNET_SLA_MESSAGE_ID_DOMAIN", "mailnet.test")
# --- [imports] ---
# Caseload imports: files above this many rows run as django-q2 tasks.
MAILNET_IMPORT_BACKGROUND_ROWS = _env_int("MAILNET_IMPORT_BACKGROUND_ROWS", 5000)
MAILNET_IMPORT_MAX_ROWS = _env_int("MAILNET_IMPORT_MAX_ROWS", 1_100_000)
MAILNET_IMPORT_MAX_UPLOAD_BYTES = _env_int("MAILNET_IMPORT_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
MAILNET_IMPORT_MAX_UNCOMPRESSED_BYTES = _env_int(
    "MAILNET_IMPORT_MAX_UNCOMPRESSED_BYTES", 1024 * 1024 * 1024
)
MAILNET_IMPORT_TASK_TIMEOUT = _env_int("MAILNET_IMPORT_TASK_TIMEOUT", 3600)
MAILNET_IMPORT_STALE_SECONDS = _env_int("MAILNET_IMPORT_STALE_SECONDS", 2 * 3600)
MAILNET_IMPORT_MAX_STORED_ERRORS = 20_000

# --- [reports] ---
# Days recomputed by the nightly roll-up (late mail and late sweeps of those days included).
MAILNET_REPORTS_ROLLUP_DAYS = _env_int("MAILNET_REPORTS_ROLLUP_DAYS", 3)
# How long finished Excel exports stay downloadable in the Exports screen.
MAILNET_REPORTS_EXPORT_RETENTION_DAYS = _env_int("MAILNET_REPORTS_EXPORT_RETENTION_DAYS", 90)
# How long a satisfaction link in a reply stays valid.
MAILNET_REPORTS_RATING_MAX_AGE_DAYS = _env_int("MAILNET_REPORTS_RATING_MAX_AGE_DAYS", 30)
# Above this many roll-up rows, the screen's workbook is built as a background export job.
MAILNET_REPORTS_SYNC_EXPORT_MAX_ROWS = _env_int("MAILNET_REPORTS_SYNC_EXPORT_MAX_ROWS", 20000)

# --- [privacy-archive] ---
# Retention (privacy/services/retention.py): a known person's answered or closed threads are
# erased this many months after the end of their follow-up (all assignments ended)...
MAILNET_RETENTION_MONTHS_AFTER_FOLLOWUP = _env_int("MAILNET_RETENTION_MONTHS_AFTER_FOLLOWUP", 24)
# ...and threads of unknown correspondents (triage) this many months after their last message.
MAILNET_RETENTION_MONTHS_UNKNOWN = _env_int("MAILNET_RETENTION_MONTHS_UNKNOWN", 12)
# The scheduled run applies its own dry run at once (otherwise an administrator confirms it).
MAILNET_RETENTION_AUTO_APPLY = _env_bool("MAILNET_RETENTION_AUTO_APPLY", False)
# Read audit: an alert when one user opens this many threads outside their caseload in a day.
MAILNET_READ_ALERT_THRESHOLD = _env_int("MAILNET_READ_ALERT_THRESHOLD", 20)

# [reports-scale] Days the nightly caseload snapshots are kept (those of month ends stay).
MAILNET_REPORTS_CASELOAD_DAYS = _env_int("MAILNET_REPORTS_CASELOAD_DAYS", 62)

# --- [mail-speed] ---
# IMAP over TLS (imap+ssl://, imap+tls://): PEM file of the certificates trusted instead of
# the system's (a private CA, a self-signed server). The server's certificate and name are
# always verified; a mailbox URI's own `cafile=` takes precedence.
MAILNET_IMAP_CA_FILE = _env("MAILNET_IMAP_CA_FILE", "")

# --- [inbox] outgoing mail (replies, appointments, proactive mail) ---
# Attempts before a reply is marked failed on its thread.
MAILNET_OUTGOING_MAX_ATTEMPTS = _env_int("MAILNET_OUTGOING_MAX_ATTEMPTS", 5)
# Minutes to wait before each retry (the last value repeats).
MAILNET_OUTGOING_RETRY_MINUTES = [
    int(value) for value in _env_list("MAILNET_OUTGOING_RETRY_MINUTES", "1,5,15,60")
]
# Total size of the files attached to one reply.
MAILNET_OUTGOING_MAX_ATTACHMENTS_BYTES = _env_int(
    "MAILNET_OUTGOING_MAX_ATTACHMENTS_BYTES", 10 * 1024 * 1024
)
