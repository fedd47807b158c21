"""Undoing an applied import: removes what it created, reopens what it closed.

Set-based whatever the size of the import: a fixed number of statements driven by the
import's log (subqueries, no lists of ids), in one transaction. A large import is undone
by a django-q2 task: `import_batch_start_undo` marks it undoing and queues the task; a
worker that dies rolls the transaction back, and `import_batches_fail_stale` puts the
batch back to applied.
"""

from __future__ import annotations

import logging

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import IntegrityError, router, transaction
from django.db.models import (
    CASCADE,
    SET_NULL,
    CharField,
    Exists,
    ForeignKey,
    OuterRef,
    QuerySet,
    signals,
)
from django.db.models.deletion import (
    Collector,
    ProtectedError,
    RestrictedError,
    get_candidate_relations_to_delete,
)
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import ReferenceIndex
from wagtail.signal_handlers import remove_reference_index_on_delete

from backoffice.caseloads.models import Assignment, Employer, Jobseeker

from ..models import ChangeAction, ImportBatch, ImportChange, ImportStatus
from .common import ImportRefused, import_task_queue
from .progress import _progress_callback, _progress_key

logger = logging.getLogger(__name__)

# The relations of a party the import created that keep it: other assignments, mail.
KEPT_WHEN_ANY = frozenset({"assignments", "threads"})


def _undo_blocker(batch: ImportBatch) -> ImportBatch | None:
    """The first later applied import that touched one of the same jobseekers/employers."""
    later = (
        ImportChange.objects.filter(
            batch_id__gt=batch.pk,
            batch__status=ImportStatus.APPLIED,
        )
        .filter(
            Exists(
                ImportChange.objects.filter(
                    batch_id=batch.pk, party_key=OuterRef("party_key"), kind=OuterRef("kind")
                )
            )
        )
        .order_by("batch_id")
        .values_list("batch_id", flat=True)
        .first()
    )
    return ImportBatch.objects.get(pk=later) if later else None


def _blocked(blocker: ImportBatch) -> ImportRefused:
    return ImportRefused(
        _(
            "Annulation impossible : l'import n° %(n)s (« %(name)s », du %(d)s) a modifié "
            "depuis les mêmes lignes. Annulez-le d'abord."
        )
        % {
            "n": blocker.pk,
            "name": blocker.original_name,
            "d": timezone.localtime(blocker.applied_at or blocker.created_at).strftime(
                "%d/%m/%Y %H:%M"
            ),
        }
    )


@transaction.atomic
def import_batch_undo(*, batch: ImportBatch, user) -> ImportBatch:
    """Reverses an applied import: removes what it created, reopens what it closed.

    Refused when a later import touched the same rows (it is named) or the assignments
    were changed since. Runs here, whatever the size; `import_batch_start_undo` queues it.
    """
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status not in {ImportStatus.APPLIED, ImportStatus.UNDOING}:
        raise ImportRefused(_("Seul un import appliqué peut être annulé."))
    blocker = _undo_blocker(batch)
    if blocker:
        raise _blocked(blocker)
    report = _stage_reporter(batch)
    changes = batch.changes.all()
    created = changes.filter(action=ChangeAction.CREATED).values("assignment_id")
    created_count = created.count()
    if created_count:
        still_open = Assignment.objects.filter(id__in=created, ends_on__isnull=True).count()
        if still_open != created_count:
            raise ImportRefused(
                _(
                    "Annulation impossible : des affectations créées par cet import ont été "
                    "modifiées ou supprimées depuis."
                )
            )
        _created_rows_delete(
            model=Assignment, log=changes.filter(action=ChangeAction.CREATED), field="assignment_id"
        )
    report(25)
    closed = changes.filter(action=ChangeAction.CLOSED)
    closed_count = closed.count()
    try:
        with transaction.atomic():
            # reopened only if still closed on the date this import closed it
            reopened = Assignment.objects.filter(
                Exists(closed.filter(assignment_id=OuterRef("pk"), on_date=OuterRef("ends_on")))
            ).update(ends_on=None)
            if reopened != closed_count:
                raise ImportRefused(
                    _(
                        "Annulation impossible : des affectations clôturées par cet "
                        "import ont été modifiées depuis."
                    )
                )
    except IntegrityError:
        raise ImportRefused(
            _(
                "Annulation impossible : une autre affectation a été ouverte depuis pour une "
                "personne de cet import."
            )
        ) from None
    report(50)
    parties = changes.filter(action=ChangeAction.PARTY_CREATED)
    for model, field in ((Jobseeker, "jobseeker_id"), (Employer, "employer_id")):
        # a party with other assignments or mail since is kept
        _created_rows_delete(model=model, log=parties, field=field, kept_when_any=KEPT_WHEN_ANY)
        report(75 if model is Jobseeker else 99)
    batch.status = ImportStatus.UNDONE
    batch.undone_at = timezone.now()
    batch.undone_by = user
    batch.message = ""
    batch.progress = 100
    batch.save(update_fields=["status", "undone_at", "undone_by", "message", "progress"])
    cache.delete(_progress_key(batch.pk))
    return batch


def _stage_reporter(batch: ImportBatch):
    """Progress by stage, in the cache only: the undo's transaction holds the batch row."""
    report = _progress_callback(batch, apply=True)
    rows = max(batch.total_rows, 1)
    return lambda percent: report(rows * percent // 100)


def _created_rows_delete(
    *, model, log: QuerySet, field: str, kept_when_any: frozenset[str] = frozenset()
) -> None:
    """Deletes the `model` rows whose ids are in `field` of the import's `log`, except those
    that a relation named in `kept_when_any` points at; Django's on_delete rules and delete
    signals hold for the rest, as if each had been deleted through Django.

    Almost none has anything else pointing at it: those go in one DELETE, whose NOT EXISTS
    list is every relation Django's deletion visits (hidden ones included, so a relation
    added later is respected). Rows Django would cascade-delete in one statement anyway
    (their model has no relations or delete signals of its own: employer contacts) and
    SET_NULL references are settled right after, one statement each (the foreign keys are
    checked at commit), and so are Wagtail's reference index entries. The few others go
    through Django's delete, as before; a PROTECT relation refuses the undo. Without the
    one DELETE (other delete signals, parents), all of them do.
    """
    entries = log.filter(**{f"{field}__isnull": False})
    ids = entries.values(field)
    relations = list(get_candidate_relations_to_delete(model._meta))
    candidates = model._base_manager.filter(pk__in=ids).filter(
        *[~_referencing(rel) for rel in relations if rel.get_accessor_name() in kept_when_any]
    )
    relations = [rel for rel in relations if rel.get_accessor_name() not in kept_when_any]
    split = _split_relations(model, relations)
    if split is not None:
        after, blocking = split
        # What Django's own fast delete runs (QuerySet.delete() would fetch every row here,
        # the model having relations).
        using = router.db_for_write(model)
        deleted = candidates.filter(*[~_referencing(rel) for rel in blocking])._raw_delete(using)
        if deleted:
            for rel in after:
                orphans = rel.related_model._base_manager.filter(
                    **{f"{rel.field.attname}__in": ids}
                ).filter(~Exists(model._base_manager.filter(pk=OuterRef(rel.field.attname))))
                if rel.field.remote_field.on_delete is CASCADE:
                    orphans.delete()  # one DELETE, as Django's cascade would do it
                else:
                    orphans.update(**{rel.field.name: None})
            if blocking or kept_when_any:  # not all of them are gone
                entries = entries.filter(~Exists(model._base_manager.filter(pk=OuterRef(field))))
            _reference_index_purge(
                model=model, ids=entries.annotate(text=Cast(field, CharField())).values("text")
            )
        if not blocking:
            return
    try:
        candidates.delete()
    except (ProtectedError, RestrictedError) as error:
        objects = getattr(error, "protected_objects", None) or error.restricted_objects
        raise ImportRefused(
            _(
                "Annulation impossible : des fiches créées par cet import sont depuis liées "
                "à d'autres données (%(what)s)."
            )
            % {"what": ", ".join(sorted({str(o._meta.verbose_name_plural) for o in objects}))}
        ) from None


def _referencing(rel) -> Exists:
    """The rows of relation `rel` that point at the outer row."""
    return Exists(
        rel.related_model._base_manager.filter(
            **{
                local.attname: OuterRef(target.attname)
                for local, target in rel.field.related_fields
            }
        )
    )


def _split_relations(model, relations) -> tuple[list, list] | None:
    """The relations settled after a set-based DELETE of the rows they point at (fast
    cascades and SET_NULL on a plain foreign key to the primary key), and those whose rows
    send theirs through Django's delete. None when every row must go through Django's
    delete: what Django's fast delete also refuses (parents, generic relations, delete
    signals), Wagtail's reference index apart."""
    if (
        model._meta.parents
        or any(hasattr(f, "bulk_related_objects") for f in model._meta.private_fields)
        or _deletion_listeners(model) - {remove_reference_index_on_delete}
    ):
        return None
    collector = Collector(using=router.db_for_write(model), origin=None)
    after, blocking = [], []
    for rel in relations:
        field = rel.field
        plain = isinstance(field, ForeignKey) and field.target_field == model._meta.pk
        on_delete = field.remote_field.on_delete
        if plain and (
            on_delete is SET_NULL
            or (
                on_delete is CASCADE
                and collector.can_fast_delete(rel.related_model, from_field=field)
            )
        ):
            after.append(rel)
        else:
            blocking.append(rel)
    return after, blocking


def _deletion_listeners(model) -> set:
    """The receivers of `model`'s pre_delete and post_delete signals.

    Wagtail's reference index listens to the models of admin ViewSets (assignments among
    them): then Django's delete fetches every row and runs its handler once per row.
    """
    return {
        receiver
        for signal in (signals.pre_delete, signals.post_delete)
        for receivers in signal._live_receivers(model)  # (sync, async)
        for receiver in receivers
    }


def _reference_index_purge(*, model, ids: QuerySet) -> None:
    """Removes Wagtail's reference index entries from and to the deleted `model` rows `ids`
    (a subquery of their primary keys as text): what its delete handler does row by row."""
    if model not in ReferenceIndex.tracked_models:
        return
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    ReferenceIndex.objects.filter(base_content_type=content_type, object_id__in=ids).delete()
    ReferenceIndex.objects.filter(to_content_type=content_type, to_object_id__in=ids).delete()


def import_batch_start_undo(*, batch: ImportBatch, user) -> ImportBatch:
    """Undoes now, or marks the import undoing and queues the undo when it is large
    (a refusal known now is raised now)."""
    if not batch.background:
        return import_batch_undo(batch=batch, user=user)
    blocker = _undo_blocker(batch)
    if blocker:
        raise _blocked(blocker)
    claimed = ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.APPLIED).update(
        status=ImportStatus.UNDOING, heartbeat_at=timezone.now(), progress=0, message=""
    )
    if not claimed:
        batch.refresh_from_db()
        if batch.status == ImportStatus.UNDOING:
            raise ImportRefused(_("L'annulation de cet import est déjà en cours."))
        raise ImportRefused(_("Seul un import appliqué peut être annulé."))
    try:
        import_task_queue(batch, "undo", user.pk)
    except Exception:  # not queued: it stays applied
        ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.UNDOING).update(
            status=ImportStatus.APPLIED, progress=100
        )
        raise
    batch.refresh_from_db()
    return batch


def import_batch_undo_queued(*, batch: ImportBatch, user) -> ImportBatch:
    """The task's undo of an import marked undoing by `import_batch_start_undo`.

    A refusal or a failure rolls everything back and puts the batch back to applied with
    the reason, for the screen and the mail; the manager may undo again.
    """
    try:
        return import_batch_undo(batch=batch, user=user)
    except ImportRefused as refusal:
        message = refusal.message
    except Exception:
        logger.exception("caseload import %s: undo failed", batch.pk)
        message = _("L'annulation a échoué : rien n'a été annulé. Vous pouvez réessayer.")
    ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.UNDOING).update(
        status=ImportStatus.APPLIED, message=message, progress=100, heartbeat_at=timezone.now()
    )
    cache.delete(_progress_key(batch.pk))
    batch.refresh_from_db()
    return batch
