from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from backoffice.organisation.models import Agency
from mailbox_sync.services import mailbox_add


class Command(BaseCommand):
    help = (
        "Ajoute une boîte relevée : NOM URI --agency CODE (l'agence dont la file de tri "
        "reçoit le courrier non routé). URI : imap://u:p@hôte:port?folder=INBOX&archive=Archive, "
        "imap+ssl://..., maildir:///chemin."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("uri")
        parser.add_argument("--agency", required=True, help="code de l'agence de tri (5 chiffres)")
        parser.add_argument("--inactive", action="store_true", help="ne pas relever pour l'instant")

    def handle(self, *args, name, uri, agency, inactive=False, **options):
        try:
            agency_obj = Agency.objects.get(code=agency)
        except Agency.DoesNotExist:
            raise CommandError(f"Aucune agence de code « {agency} ».") from None
        try:
            mailbox = mailbox_add(name=name, uri=uri, agency=agency_obj, active=not inactive)
        except ValidationError as error:
            raise CommandError(
                "; ".join(m for ms in error.message_dict.values() for m in ms)
            ) from None
        self.stdout.write(f"Boîte « {mailbox.name} » ajoutée (agence {agency_obj.code}).")
