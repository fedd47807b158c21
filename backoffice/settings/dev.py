"""The demo and development settings: SQLite, maildir, file e-mail backend, ORM broker."""

from .base import *  # noqa: F403

DEBUG = True
MAILNET_DEMO = True
