"""Recomputes the daily roll-up of one day (or a range of days), idempotently."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from reports.services.rollups import rollup_day_recompute


class Command(BaseCommand):
    help = "Recalcule les agrégats quotidiens d'un jour (ou d'une plage de jours)."

    def add_arguments(self, parser):
        parser.add_argument("--day", required=True, help="YYYY-MM-DD (premier jour)")
        parser.add_argument("--until", help="YYYY-MM-DD (dernier jour, inclus)")

    def handle(self, *args, day, until=None, **options):
        try:
            first = dt.date.fromisoformat(day)
            last = dt.date.fromisoformat(until) if until else first
        except ValueError as exc:
            raise CommandError(f"date invalide : {exc}") from exc
        if last < first:
            raise CommandError("--until précède --day")
        current = first
        while current <= last:
            rows = rollup_day_recompute(day=current)
            self.stdout.write(f"{current.isoformat()} : {rows} lignes")
            current += dt.timedelta(days=1)
