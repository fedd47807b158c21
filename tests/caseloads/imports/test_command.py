"""`manage.py caseload_import`: counts, every error, and exit codes."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from backoffice.caseloads.models import Assignment

from .conftest import row, xlsx_bytes

pytestmark = pytest.mark.django_db


def _file(tmp_path, content, name="affectations.xlsx"):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_dry_run_prints_counts_and_errors_and_writes_nothing(network, admin, tmp_path, capsys):
    path = _file(tmp_path, xlsx_bytes([row("1000001A"), row("1000002A", matricule="NOPE")]))
    call_command("caseload_import", path, "--dry-run", "--user", admin.username)
    out = capsys.readouterr().out
    assert "nouvelles affectations : 1" in out
    assert "lignes en erreur : 1" in out
    assert (
        "ligne 3, colonne « Matricule conseiller » (erreur) : Conseiller de matricule « NOPE » inconnu."
        in out
    )
    assert Assignment.objects.count() == 0


def test_apply_succeeds_with_a_clean_file(network, admin, tmp_path, capsys):
    call_command(
        "caseload_import", _file(tmp_path, xlsx_bytes([row("1000001A")])), "--user", admin.username
    )
    assert "appliqué" in capsys.readouterr().out
    assert Assignment.objects.count() == 1


def test_a_refused_file_exits_1(network, admin, tmp_path):
    with pytest.raises(CommandError) as raised:
        call_command("caseload_import", _file(tmp_path, b"", "vide.csv"), "--user", admin.username)
    assert raised.value.returncode == 1
    assert "vide" in str(raised.value)


def test_errors_without_skip_errors_exit_2_and_apply_nothing(network, admin, tmp_path):
    path = _file(tmp_path, xlsx_bytes([row("1000001A"), row("1000002A", matricule="NOPE")]))
    with pytest.raises(CommandError) as raised:
        call_command("caseload_import", path, "--user", admin.username)
    assert raised.value.returncode == 2
    assert Assignment.objects.count() == 0
    call_command("caseload_import", path, "--user", admin.username, "--skip-errors")
    assert Assignment.objects.count() == 1


def test_a_manager_running_the_command_stays_in_their_agency(network, manager, tmp_path, capsys):
    path = _file(tmp_path, xlsx_bytes([row("1000002A", matricule="OLGA03", agency="75001")]))
    call_command("caseload_import", path, "--dry-run", "--user", manager.username)
    assert "hors de votre périmètre" in capsys.readouterr().out


def test_unknown_user_is_refused(network, tmp_path):
    with pytest.raises(CommandError, match="Compte inconnu"):
        call_command("caseload_import", _file(tmp_path, xlsx_bytes([row()])), "--user", "nobody")
