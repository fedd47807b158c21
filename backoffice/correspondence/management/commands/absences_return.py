"""`manage.py absences_return`: give back now the threads of counsellors whose absence ended."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from backoffice.correspondence.services.delegation import absences_return_apply


class Command(BaseCommand):
    help = (
        "Rend à leur conseiller, revenu d'absence, les fils confiés qui attendent encore "
        "une réponse (la tâche planifiée le fait toutes les 15 minutes)."
    )

    def handle(self, *args, **options):
        counts = absences_return_apply(now=timezone.now())
        self.stdout.write(
            f"fils rendus : {counts['returned']} ; "
            f"fils gardés par leur détenteur (déjà répondus ou clos) : {counts['kept']}"
        )
