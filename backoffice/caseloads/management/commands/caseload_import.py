"""`manage.py caseload_import FILE [--dry-run] [--user USERNAME] [--skip-errors]`.

Prints the preview's counts and every error; exits 1 when the file is refused, 2 when
(without --dry-run) nothing was applied.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from backoffice.caseloads.imports import services
from backoffice.caseloads.imports.models import ImportStatus


class Command(BaseCommand):
    help = "Importe un fichier d'affectations (.xlsx ou .csv) ; --dry-run n'écrit rien."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Aperçu seulement.")
        parser.add_argument("--user", help="Compte au nom duquel importer (périmètre).")
        parser.add_argument(
            "--skip-errors",
            action="store_true",
            help="Appliquer en laissant de côté les lignes en erreur.",
        )

    def handle(self, *args, file, dry_run, user, skip_errors, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        account = self._user(user)
        try:
            with path.open("rb") as handle:
                uploaded = File(handle, name=path.name)
                batch = services.import_batch_create(uploaded_file=uploaded, user=account)
        except services.ImportRefused as refusal:
            raise CommandError(refusal.message) from None
        batch.background = False
        batch.save(update_fields=["background"])
        batch = services.import_batch_preview(batch=batch)
        self._report(batch)
        if batch.status != ImportStatus.PREVIEWED:
            raise CommandError(f"Fichier refusé : {batch.message}", returncode=1)
        if dry_run:
            self.stdout.write(f"Aperçu seulement (import n° {batch.pk}) : rien n'a été modifié.")
            return
        try:
            batch = services.import_batch_apply(
                batch=batch, user=account, sha256=batch.sha256, skip_errors=skip_errors
            )
        except services.ImportRefused as refusal:
            raise CommandError(f"Rien n'a été appliqué : {refusal.message}", returncode=2) from None
        if batch.status != ImportStatus.APPLIED:
            raise CommandError(f"Rien n'a été appliqué : {batch.message}", returncode=2)
        self.stdout.write(
            self.style.SUCCESS(
                f"Import n° {batch.pk} appliqué : {batch.new_count} nouvelle(s), "
                f"{batch.transfer_count} transfert(s)."
            )
        )

    def _user(self, username):
        User = get_user_model()
        if username:
            try:
                return User.objects.get(username=username)
            except User.DoesNotExist:
                raise CommandError(f"Compte inconnu : {username}") from None
        account = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if account is None:
            raise CommandError("Aucun superutilisateur : précisez --user.")
        return account

    def _report(self, batch):
        self.stdout.write(
            f"Lignes : {batch.total_rows} ; nouvelles affectations : {batch.new_count} ; "
            f"transferts : {batch.transfer_count} ; inchangées : {batch.unchanged_count} ; "
            f"lignes en erreur : {batch.error_count} ; avertissements : {batch.warning_count}"
        )
        if batch.unknown_columns:
            self.stdout.write("Colonnes ignorées : " + ", ".join(batch.unknown_columns))
        for row, column, message, level in batch.errors:
            self.stdout.write(f"ligne {row}, colonne « {column} » ({level}) : {message}")
