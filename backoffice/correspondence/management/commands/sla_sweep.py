"""`manage.py sla_sweep`: one sweep now (warnings, holding notices, breaches), then the outbox."""

from django.core.management.base import BaseCommand

from backoffice.correspondence.services.outbox import outbox_send_pending
from backoffice.correspondence.services.sweep import sla_sweep_run


class Command(BaseCommand):
    help = "Passe les fils en attente au crible du délai de 72 heures ouvrées et envoie la file."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-send", action="store_true", help="met les courriels en file sans les envoyer"
        )

    def handle(self, *args, **options):
        report = sla_sweep_run()
        self.stdout.write(str(report))
        if not options["no_send"]:
            self.stdout.write(f"courriels envoyés : {outbox_send_pending()}")
