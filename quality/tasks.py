"""Background jobs of the quality review (django-q2): thin calls to services."""

from .services import quality_draw_run


def quality_draw_weekly() -> str:
    """Mondays 06:00 (Paris): last week's draw for every team, idempotent."""
    return str(quality_draw_run())
