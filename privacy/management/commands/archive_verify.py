"""`manage.py archive_verify`: walks the archive chain; exit 1 and names the first bad entry."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from privacy.services.archive import archive_check_run, archive_report_message


class Command(BaseCommand):
    help = _("Vérifie la chaîne d'empreintes de l'archive des courriels.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            help=_("Continue après la première anomalie et les liste toutes."),
        )

    def handle(self, *args, **options):
        check = archive_check_run(triggered_by="archive_verify", stop_at_first=not options["all"])
        message = archive_report_message(check.report)
        if not check.ok:
            raise CommandError(message, returncode=1)
        self.stdout.write(self.style.SUCCESS(message))
