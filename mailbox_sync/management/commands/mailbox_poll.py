from django.core.management.base import BaseCommand, CommandError

from mailbox_sync.selectors import mailboxes_to_poll
from mailbox_sync.services import mailboxes_poll


class Command(BaseCommand):
    help = "Relève les boîtes actives (ou celle nommée) et affiche le bilan sur une ligne."

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", help="nom de la boîte à relever (même inactive)")

    def handle(self, *args, mailbox=None, **options):
        if mailbox and not mailboxes_to_poll(name=mailbox).exists():
            raise CommandError(f"Aucune boîte nommée « {mailbox} ».")
        self.stdout.write(mailboxes_poll(name=mailbox).summary())
