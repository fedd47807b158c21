"""`manage.py quality_draw [--week YYYY-Www]`: the weekly draw now (idempotent per team)."""

from django.core.management.base import BaseCommand, CommandError

from quality.services import quality_draw_run, week_parse


class Command(BaseCommand):
    help = (
        "Tire les réponses envoyées d'une semaine (par défaut la précédente) pour la revue "
        "qualité de chaque équipe ; une équipe déjà tirée pour cette semaine ne change pas."
    )

    def add_arguments(self, parser):
        parser.add_argument("--week", help="semaine ISO, ex. 2026-W47 (défaut : la précédente)")

    def handle(self, *args, **options):
        week = options.get("week")
        if week:
            try:
                week_parse(week)
            except ValueError as error:
                raise CommandError(str(error)) from error
        self.stdout.write(str(quality_draw_run(week=week)))
