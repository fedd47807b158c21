"""Backup and restore (docs/BACKUP.md): a pg_dump of the database restored into a fresh
database keeps the archive chain intact, and archive_verify run against the restored copy
proves it (and still catches an altered byte there)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from backoffice.correspondence.models import ArchiveEntry
from tests.conftest import skip_or_fail

from .conftest import raw_store, sent_store

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="backup and restore are PostgreSQL's (pg_dump / pg_restore): DATABASE_URL",
    ),
]


def _pg_env(db):
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _pg_args(db):
    return [
        "-h",
        db.get("HOST") or "127.0.0.1",
        "-p",
        str(db.get("PORT") or 5432),
        "-U",
        db["USER"],
    ]


def _url(db, name):
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{db.get('PORT') or 5432}/{name}"


def _archive_verify(db, name):
    env = {
        **_pg_env(db),
        "DATABASE_URL": _url(db, name),
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.test",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "archive_verify"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_restored_dump_has_an_intact_archive_chain(tmp_path: Path, reference_data):
    for tool in ("pg_dump", "pg_restore", "createdb", "dropdb", "psql"):
        if shutil.which(tool) is None:
            skip_or_fail(f"{tool} is missing (apt-get install postgresql-client)")
    from tests.correspondence.sla_factories import ThreadFactory

    thread = ThreadFactory()
    raw_store(1), sent_store(thread, 1), raw_store(2), sent_store(thread, 2), raw_store(3)
    head = ArchiveEntry.objects.order_by("-seq").first()

    db = connection.settings_dict
    restored = f"{db['NAME']}_restored"
    dump = tmp_path / "mailnet.dump"
    env = _pg_env(db)
    subprocess.run(
        ["pg_dump", "-Fc", *_pg_args(db), "-d", db["NAME"], "-f", str(dump)], check=True, env=env
    )
    subprocess.run(["dropdb", "--if-exists", *_pg_args(db), restored], check=True, env=env)
    subprocess.run(["createdb", *_pg_args(db), restored], check=True, env=env)
    try:
        subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                *_pg_args(db),
                "-d",
                restored,
                str(dump),
            ],
            check=True,
            env=env,
        )

        result = _archive_verify(db, restored)

        assert result.returncode == 0, result.stderr
        assert "5 entrées vérifiées" in result.stdout
        assert head.entry_hash in result.stdout

        # The restored copy keeps its guard, and the verifier really reads that copy.
        psql = ["psql", "-v", "ON_ERROR_STOP=1", *_pg_args(db), "-d", restored, "-Atc"]
        triggers = subprocess.run(
            [*psql, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'mailnet_%'"],
            check=True,
            env=env,
            capture_output=True,
            text=True,
        )
        assert triggers.stdout.strip() == "2"
        subprocess.run(
            [
                *psql,
                "ALTER TABLE correspondence_rawmail DISABLE TRIGGER USER; "
                "UPDATE correspondence_rawmail SET data = data || '\\x00'::bytea "
                "WHERE id = (SELECT min(id) FROM correspondence_rawmail);",
            ],
            check=True,
            env=env,
            capture_output=True,
        )
        tampered = _archive_verify(db, restored)
        assert tampered.returncode == 1
        assert "Entrée n° 1" in tampered.stderr
    finally:
        subprocess.run(["dropdb", "--if-exists", *_pg_args(db), restored], env=env)
