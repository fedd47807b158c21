"""django-q2 schedules written by data migrations: one way to create and remove them."""


def schedule_upsert(apps, *, name: str, func: str, **fields) -> None:
    """Creates or updates the repeating schedule `name` (idempotent, safe to migrate again).

    `fields` are the Schedule's own (`schedule_type`, `minutes`, `next_run`, `cron`...);
    `apps` is the migration's registry.
    """
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=name, defaults={"func": func, "repeats": -1, **fields}
    )


def schedule_delete(apps, *names: str) -> None:
    apps.get_model("django_q", "Schedule").objects.filter(name__in=names).delete()
