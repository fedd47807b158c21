"""[privacy-archive] No update path for archived mail bytes, enforced by PostgreSQL itself.

A BEFORE UPDATE trigger refuses any change of `correspondence_rawmail.data`, and any change
of `correspondence_message.mime` once it holds bytes, except erasing them to empty bytes
(what retention does). It covers `QuerySet.update()`, raw SQL and other clients, which the
model guard (`ImmutableContentMixin`) cannot see. Storing a message's mime for the first time
(NULL before) is allowed. SQLite (the embedded demo) has only the model guard.

An operator who really must repair a row does it knowingly, as the table owner:
`ALTER TABLE ... DISABLE TRIGGER mailnet_<table>_immutable;` — and archive_verify will then
name the entry.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION mailnet_rawmail_immutable() RETURNS trigger AS $$
BEGIN
    IF NEW.data IS DISTINCT FROM OLD.data AND octet_length(NEW.data) > 0 THEN
        RAISE EXCEPTION 'mailnet: correspondence_rawmail.data (id %) can only be erased, never changed', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS mailnet_rawmail_immutable ON correspondence_rawmail;
CREATE TRIGGER mailnet_rawmail_immutable
    BEFORE UPDATE OF data ON correspondence_rawmail
    FOR EACH ROW EXECUTE FUNCTION mailnet_rawmail_immutable();

CREATE OR REPLACE FUNCTION mailnet_message_mime_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.mime IS NOT NULL AND NEW.mime IS DISTINCT FROM OLD.mime
       AND (NEW.mime IS NULL OR octet_length(NEW.mime) > 0) THEN
        RAISE EXCEPTION 'mailnet: correspondence_message.mime (id %) can only be erased, never changed', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS mailnet_message_mime_immutable ON correspondence_message;
CREATE TRIGGER mailnet_message_mime_immutable
    BEFORE UPDATE OF mime ON correspondence_message
    FOR EACH ROW EXECUTE FUNCTION mailnet_message_mime_immutable();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS mailnet_rawmail_immutable ON correspondence_rawmail;
DROP FUNCTION IF EXISTS mailnet_rawmail_immutable();
DROP TRIGGER IF EXISTS mailnet_message_mime_immutable ON correspondence_message;
DROP FUNCTION IF EXISTS mailnet_message_mime_immutable();
"""


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # no placeholders: RAISE uses %

    return run


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
