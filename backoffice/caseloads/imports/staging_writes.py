"""The apply of the staging engine (PostgreSQL): the new parties, the closed and the opened
assignments, and the undo log, each one INSERT ... SELECT or UPDATE ... FROM over the
classified staging table, in the apply's transaction."""

from backoffice.caseloads.models import Assignment, Employer, EmployerContact, Jobseeker

from .engine import CHANGE_COLUMNS, NEW, TRANSFER
from .models import ChangeAction, ImportChange


def party_columns(*, employers: bool) -> tuple[str, str, str]:
    """(party table, its key column, the assignment's foreign key to it)."""
    if employers:
        return Employer._meta.db_table, "siret", "employer_id"
    return Jobseeker._meta.db_table, "identifier", "jobseeker_id"


def staged_rows_write(cursor, *, employers: bool, excluded: list[int], batch_id: int, step) -> None:
    """Creates the new parties, closes what moves, opens the new assignments and logs each
    change for undo, from `import_classified` (rows in `excluded` left out); `step(share)`
    reports progress between statements. Runs inside the apply's transaction.
    """
    table, _key, party_fk = party_columns(employers=employers)
    assignments = Assignment._meta.db_table
    rows_left_out = {"excluded": excluded}
    cursor.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
    party_sequence = cursor.fetchone()[0]
    cursor.execute(f"SELECT pg_get_serial_sequence('{assignments}', 'id')")
    assignment_sequence = cursor.fetchone()[0]
    # 1. the parties the file introduces, with the values of their last row
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE import_new_parties AS
        SELECT nextval(%(sequence)s) AS id, n.* FROM (
            SELECT DISTINCT ON (key) key, row, kind, first_name, last_name, name,
                   coalesce(email, '') AS email
            FROM import_classified
            WHERE category = {NEW} AND party_id IS NULL
              AND NOT row = ANY(%(excluded)s::integer[])
            ORDER BY key, row DESC
        ) n
        """,  # noqa: S608
        {**rows_left_out, "sequence": party_sequence},
    )
    if employers:
        cursor.execute(
            f"INSERT INTO {table} (id, siret, name) "  # noqa: S608
            "SELECT id, key, name FROM import_new_parties"
        )
        cursor.execute(
            f"INSERT INTO {EmployerContact._meta.db_table} (employer_id, name, email) "  # noqa: S608
            "SELECT id, '', email FROM import_new_parties WHERE email <> ''"
        )
    else:
        cursor.execute(
            f"INSERT INTO {table} (id, identifier, first_name, last_name, email, phone) "  # noqa: S608
            "SELECT id, key, first_name, last_name, email, '' FROM import_new_parties"
        )
    step(0.55)
    # 2. what each accepted row does: which party, which assignment it closes and opens
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE import_plan AS
        SELECT c.row, c.key, c.kind, c.counsellor_id, c.modality_id, c.starts_on,
               c.open_id, c.open_counsellor_id, coalesce(c.party_id, n.id) AS party_id,
               nextval(%(sequence)s) AS assignment_id
        FROM import_classified c
        LEFT JOIN import_new_parties n ON c.party_id IS NULL AND n.key = c.key
        WHERE c.category IN ({NEW}, {TRANSFER}) AND NOT c.row = ANY(%(excluded)s::integer[])
        """,  # noqa: S608
        {**rows_left_out, "sequence": assignment_sequence},
    )
    # 3. close what moves, on the new assignment's date, then open the new ones
    cursor.execute(
        f"UPDATE {assignments} a SET ends_on = p.starts_on FROM import_plan p "  # noqa: S608
        "WHERE p.open_id IS NOT NULL AND a.id = p.open_id AND a.ends_on IS NULL"
    )
    step(0.7)
    cursor.execute(
        f"INSERT INTO {assignments} (id, {party_fk}, counsellor_id, kind, modality_id, "  # noqa: S608
        "starts_on) SELECT assignment_id, party_id, counsellor_id, kind, modality_id, "
        "starts_on FROM import_plan"
    )
    step(0.85)
    # 4. the undo log: parties created, assignments closed, assignments created
    none = "NULL::bigint"
    jobseeker_id, employer_id = (none, "{party}") if employers else ("{party}", none)
    columns = ", ".join(CHANGE_COLUMNS)

    def select(action: ChangeAction, assignment: str, party: str, counsellor: str, day: str) -> str:
        return (
            f"SELECT %(batch)s, row, '{action.value}', {assignment}, "
            f"{jobseeker_id.format(party=party)}, {employer_id.format(party=party)}, "
            f"key, kind, {counsellor}, {day}"
        )

    cursor.execute(
        f"INSERT INTO {ImportChange._meta.db_table} ({columns}) "
        f"{select(ChangeAction.PARTY_CREATED, none, 'id', none, 'NULL::date')} FROM import_new_parties "
        f"UNION ALL {select(ChangeAction.CLOSED, 'open_id', 'party_id', 'open_counsellor_id', 'starts_on')} "
        "FROM import_plan WHERE open_id IS NOT NULL "
        f"UNION ALL {select(ChangeAction.CREATED, 'assignment_id', 'party_id', 'counsellor_id', 'starts_on')} "
        "FROM import_plan",
        {"batch": batch_id},
    )
