"""[privacy-archive] Verifying the tamper-evident archive, and telling the administrators.

`archive_verify` walks the hash chain by `seq` in constant memory and names the first entry
that was altered (its hash, or one byte of the mail it covers), removed (a gap in `seq`,
or a chain shorter than the last verified head) or reordered (a broken `previous_hash`
link). `archive_check_run` records the verdict as an `ArchiveCheck` and alerts the
administrators on failure; the nightly task and the command both go through it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db import connections, models
from django.db.models import F, Func
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.correspondence.models import ArchiveEntry, Message, RawMail
from backoffice.correspondence.services.archive import GENESIS, archive_entry_hash

from ..models import ArchiveCheck
from .alerts import admins_notify

BATCH = 2000
MAX_PROBLEMS = 1000


@dataclass(frozen=True)
class ArchiveProblem:
    seq: int
    kind: str
    object_id: int | None
    code: str  # "gap", "link", "hash", "content", "missing", "erased", "truncated"
    detail: str

    def describe(self) -> str:
        kinds = dict(ArchiveEntry.Kind.choices)
        return _("Entrée n° %(seq)s (%(kind)s, identifiant %(id)s) : %(detail)s") % {
            "seq": self.seq,
            "kind": kinds.get(self.kind, self.kind or "?"),
            "id": self.object_id if self.object_id is not None else "?",
            "detail": self.detail,
        }


@dataclass
class ArchiveReport:
    entries: int = 0
    contents_checked: int = 0
    erased: int = 0
    head_seq: int | None = None
    head_hash: str = GENESIS
    problems: list[ArchiveProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> ArchiveProblem | None:
        return self.problems[0] if self.problems else None


class _Sha256Hex(Func):
    """sha256 of a bytea column, computed by PostgreSQL (the bytes never leave the server)."""

    template = "encode(sha256(%(expressions)s), 'hex')"
    output_field = models.CharField()


def _content_digests(kind: str, ids: list[int], using: str) -> dict[int, tuple[int, str | None]]:
    """{object id: (content length, sha256 hex)} for one batch; a missing id is absent."""
    if kind == ArchiveEntry.Kind.RAW_MAIL:
        queryset, column = RawMail.objects.using(using), "data"
    else:
        queryset, column = Message.objects.using(using), "mime"
    low, high = min(ids), max(ids)
    if high - low < 4 * len(ids):
        # Entries follow insertion order, so a batch's ids are nearly contiguous: a range
        # scan is far cheaper than a 2,000-item IN list (rows not asked for are ignored).
        queryset = queryset.filter(pk__gte=low, pk__lte=high)
    else:
        queryset = queryset.filter(pk__in=ids)
    if connections[using].vendor == "postgresql":
        rows = queryset.annotate(
            _length=Func(F(column), function="octet_length"),
            _digest=_Sha256Hex(F(column)),
        ).values_list("pk", "_length", "_digest")
        return {pk: (length or 0, digest) for pk, length, digest in rows}
    digests = {}
    for pk, data in queryset.values_list("pk", column).iterator(chunk_size=200):
        data = bytes(data) if data is not None else b""
        digests[pk] = (len(data), hashlib.sha256(data).hexdigest())
    return digests


def _check_contents(batch: list[tuple], report: ArchiveReport, using: str) -> list[ArchiveProblem]:
    problems: list[ArchiveProblem] = []
    for kind in (ArchiveEntry.Kind.RAW_MAIL, ArchiveEntry.Kind.SENT):
        entries = [entry for entry in batch if entry[1] == kind]
        if not entries:
            continue
        digests = _content_digests(kind, [entry[2] for entry in entries], using)
        for seq, kind_, object_id, content_sha256, erased_at in entries:
            found = digests.get(object_id)
            if found is None:
                problems.append(
                    ArchiveProblem(
                        seq, kind_, object_id, "missing", _("le courriel archivé a disparu.")
                    )
                )
                continue
            length, digest = found
            if length == 0:
                if erased_at is None:
                    problems.append(
                        ArchiveProblem(
                            seq,
                            kind_,
                            object_id,
                            "erased",
                            _("le contenu est vide sans effacement enregistré."),
                        )
                    )
                else:
                    report.erased += 1
                continue
            # Content present (even if marked erased: a mark cannot hide an altered byte).
            report.contents_checked += 1
            if digest != content_sha256:
                problems.append(
                    ArchiveProblem(
                        seq,
                        kind_,
                        object_id,
                        "content",
                        _("le contenu ne correspond plus à son empreinte (octet modifié)."),
                    )
                )
    return problems


def archive_verify(
    *, stop_at_first: bool = True, using: str = "default", expected_head: tuple | None = None
) -> ArchiveReport:
    """Walks the whole chain by `seq` (streamed, constant memory) and reports every problem,
    or only the first when `stop_at_first`. `expected_head` = (seq, hash) of a previously
    verified head: a chain that no longer reaches it was truncated."""
    report = ArchiveReport()
    previous_hash, expected_seq = GENESIS, 1
    batch: list[tuple] = []

    def flush() -> bool:
        problems = _check_contents(batch, report, using)
        batch.clear()
        return _record(report, problems, stop_at_first)

    rows = (
        ArchiveEntry.objects.using(using)
        .order_by("seq")
        .values_list(
            "seq", "kind", "object_id", "content_sha256", "previous_hash", "entry_hash",
            "content_erased_at",
        )
        .iterator(chunk_size=BATCH)
    )  # fmt: skip
    for seq, kind, object_id, content_sha256, prev_hash, entry_hash, erased_at in rows:
        report.entries += 1
        problems = []
        if seq != expected_seq:
            problems.append(
                ArchiveProblem(
                    seq,
                    kind,
                    object_id,
                    "gap",
                    _("rang attendu %(expected)s : entrée(s) supprimée(s) avant celle-ci.")
                    % {"expected": expected_seq},
                )
            )
        elif prev_hash != previous_hash:
            problems.append(
                ArchiveProblem(
                    seq,
                    kind,
                    object_id,
                    "link",
                    _("ne suit pas l'entrée précédente (entrées supprimées ou réordonnées)."),
                )
            )
        recomputed = archive_entry_hash(
            previous_hash=prev_hash,
            seq=seq,
            kind=kind,
            object_id=object_id,
            content_sha256=content_sha256,
        )
        if recomputed != entry_hash:
            problems.append(
                ArchiveProblem(
                    seq, kind, object_id, "hash", _("l'entrée a été modifiée (empreinte fausse).")
                )
            )
        if problems and batch:
            # Earlier entries' contents first: the report names the *first* bad entry.
            problems = _check_contents(batch, report, using) + problems
            batch.clear()
        if _record(report, problems, stop_at_first):
            return report
        batch.append((seq, kind, object_id, content_sha256, erased_at))
        if len(batch) >= BATCH and flush():
            return report
        previous_hash, expected_seq = entry_hash, seq + 1
        report.head_seq, report.head_hash = seq, entry_hash
    if batch and flush():
        return report
    if expected_head is not None:
        head_seq, head_hash = expected_head
        if report.head_seq is None or report.head_seq < head_seq:
            _record(
                report,
                [
                    ArchiveProblem(
                        head_seq,
                        "",
                        None,
                        "truncated",
                        _("la chaîne s'arrête avant la tête déjà vérifiée (fin supprimée)."),
                    )
                ],
                stop_at_first,
            )
        elif report.head_seq == head_seq and report.head_hash != head_hash:
            _record(
                report,
                [ArchiveProblem(head_seq, "", None, "hash", _("la tête vérifiée a changé."))],
                stop_at_first,
            )
    return report


def _record(report: ArchiveReport, problems: list[ArchiveProblem], stop_at_first: bool) -> bool:
    """Adds problems (in seq order); True when the walk should stop."""
    if not problems:
        return False
    problems.sort(key=lambda p: p.seq)
    room = MAX_PROBLEMS - len(report.problems)
    report.problems.extend(problems[: max(room, 0)])
    return stop_at_first or len(report.problems) >= MAX_PROBLEMS


def archive_report_message(report: ArchiveReport) -> str:
    """The French verdict shown by the command, the alert mail and the admin screens."""
    if report.ok:
        return _(
            "Archive intacte : %(count)s entrées vérifiées (%(checked)s contenus recalculés, "
            "%(erased)s effacés par la conservation). Empreinte de tête : %(head)s"
        ) % {
            "count": report.entries,
            "checked": report.contents_checked,
            "erased": report.erased,
            "head": report.head_hash,
        }
    lines = [_("ARCHIVE ALTÉRÉE : première anomalie à l'entrée n° %s.") % report.problems[0].seq]
    lines += [problem.describe() for problem in report.problems[:20]]
    if len(report.problems) > 20:
        lines.append(_("… et %s autres anomalies.") % (len(report.problems) - 20))
    return "\n".join(lines)


def archive_check_run(*, triggered_by: str = "", stop_at_first: bool = True) -> ArchiveCheck:
    """Verifies the chain against the last verified head, records an `ArchiveCheck`, and on
    failure alerts the administrators (mail; the admin home shows the failed check)."""
    last_ok = (
        ArchiveCheck.objects.filter(ok=True, head_seq__isnull=False)
        .values_list("head_seq", "head_hash")
        .first()
    )
    check = ArchiveCheck.objects.create(started_at=timezone.now(), triggered_by=triggered_by)
    report = archive_verify(stop_at_first=stop_at_first, expected_head=last_ok)
    first = report.first_problem
    check.finished_at = timezone.now()
    check.ok = report.ok
    check.entries = report.entries
    check.head_seq = report.head_seq
    check.head_hash = report.head_hash if report.head_seq else ""
    check.problem_seq = first.seq if first else None
    check.problem = "" if report.ok else archive_report_message(report)
    check.save()
    if not report.ok:
        admins_notify(
            subject=_("[Mailnet] Archive des courriels altérée (entrée n° %s)") % first.seq,
            body=check.problem,
        )
        check.alerted_at = timezone.now()
        check.save(update_fields=["alerted_at"])
    check.report = report
    return check
