import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings.production")
application = get_wsgi_application()


def gc_freeze_startup() -> None:
    """Moves every object alive after start-up (modules, classes, settings, URL patterns)
    out of the cyclic garbage collector's reach: they live as long as the process, and
    rescanning them paused one admin request in a dozen by ~100 ms (measured on the inbox)."""
    gc.collect()
    gc.freeze()


gc_freeze_startup()
