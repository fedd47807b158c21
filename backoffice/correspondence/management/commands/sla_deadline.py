"""`manage.py sla_deadline (--agency CODE | --territory NAME) RECEIVED_AT`: when is it due?"""

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from backoffice.correspondence.services.deadlines import agency_calendar
from backoffice.correspondence.sla import BusinessCalendar, business_deadline
from backoffice.organisation.models import Agency, Territory


def _territory(name: str) -> str:
    wanted = name.strip().lower()
    for value, label in Territory.choices:
        if wanted in {value, str(label).lower()}:
            return value
    names = ", ".join(Territory.values)
    raise CommandError(f"Territoire inconnu : « {name} » (valeurs possibles : {names}).")


class Command(BaseCommand):
    help = "Affiche l'échéance (72 heures ouvrées) d'un message reçu à RECEIVED_AT (ISO 8601)."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--agency", help="code de l'agence (5 chiffres)")
        group.add_argument("--territory", help="calendrier : metropole, alsace-moselle, ...")
        parser.add_argument("received_at", help="date de réception, ISO 8601 avec décalage")

    def handle(self, *args, **options):
        try:
            received_at = dt.datetime.fromisoformat(options["received_at"].replace("Z", "+00:00"))
        except ValueError as error:
            raise CommandError(f"Date invalide : {options['received_at']}") from error
        if received_at.tzinfo is None:
            raise CommandError("La date doit porter son décalage horaire (ex. +01:00 ou Z).")
        if options["agency"]:
            agency = Agency.objects.filter(code=options["agency"]).first()
            if agency is None:
                raise CommandError(f"Agence inconnue : {options['agency']}")
            calendar = agency_calendar(agency=agency)
        else:
            calendar = BusinessCalendar(territory=_territory(options["territory"]))
        deadline = business_deadline(received_at, settings.MAILNET_SLA_HOURS, calendar)
        self.stdout.write(deadline.isoformat())
