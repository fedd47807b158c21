from .imports import wagtail_hooks  # noqa: F401
