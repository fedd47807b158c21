"""Writes the monthly workbook of a region, an agency or the whole country to a file."""

from django.core.management.base import BaseCommand, CommandError

from backoffice.organisation.models import Agency, Region
from reports.excel import workbook_write
from reports.periods import Period
from reports.selectors.scope import ReportScope


class Command(BaseCommand):
    help = "Écrit le classeur Excel d'un mois pour une région, une agence ou le national."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--region", help="code de la région")
        group.add_argument("--agency", help="code de l'agence")
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--output", required=True, help="chemin du fichier .xlsx")
        parser.add_argument(
            "--with-counsellors",
            action="store_true",
            help="détail par conseiller pour une région (toujours présent pour une agence)",
        )

    def handle(self, *args, region, agency, month, output, with_counsellors, **options):
        try:
            period = Period.parse_month(month)
        except ValueError as exc:
            raise CommandError(f"mois invalide (YYYY-MM) : {month}") from exc
        if region:
            found = Region.objects.filter(code=region).first()
            if found is None:
                raise CommandError(f"région inconnue : {region}")
            scope = ReportScope.for_region(found, counsellor_level=with_counsellors)
        elif agency:
            found = Agency.objects.filter(code=agency).first()
            if found is None:
                raise CommandError(f"agence inconnue : {agency}")
            scope = ReportScope.for_agency(found)
        else:
            scope = ReportScope.national()
        stats = workbook_write(output=output, scope=scope, period=period)
        self.stdout.write(
            f"{output} : {stats.sheets} feuilles, {stats.rows} lignes ({stats.filename})"
        )
