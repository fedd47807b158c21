"""Writing mail: the reply screen (template chooser, editor, appointment, preview, send),
proactive mail to my caseload, and my upcoming contacts.

Views hold settings and forms; `backoffice.correspondence.services.outgoing` does every
write. Each form carries an idempotency key: a double click or a resubmission sends once.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib import messages as flash
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, timezone, translation
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.rich_text import expand_db_html

from answer_repository.rendering import template_render
from answer_repository.selectors import templates_published, templates_search
from answer_repository.suggest import templates_suggest
from backoffice.caseloads.models import Jobseeker
from backoffice.correspondence.models import Message, ScheduledContact, Thread
from backoffice.correspondence.services.outgoing import (
    address_is_valid,
    counsellor_writing_as,
    mail_content,
    message_requeue,
    placeholder_context,
    proactive_queue,
    reply_queue,
    reply_render,
    sender_display_name,
)
from backoffice.organisation import access

from ..forms_compose import (
    CaseloadFilterSet,
    ComposeForm,
    ContactFilterSet,
    ReplyForm,
    drafts_delete,
    drafts_load,
    drafts_read,
    drafts_sign,
    new_idempotency_key,
)

SEARCH_LIMIT = 20
SUGGESTIONS = 3


def thread_url(thread_pk: int) -> str:
    return reverse("inbox:thread", args=[thread_pk])


def thread_repliable(user, thread: Thread) -> bool:
    """Whether `user` may reply on `thread`: a thread they may write, to a known address."""
    return (
        thread.status != Thread.Status.TRIAGE
        and user.has_perm("correspondence.add_message")
        and access.can_write(user, thread)
        and counsellor_writing_as(user) is not None
    )


def rating_footer(message: Message) -> str:
    """The satisfaction link at the foot of a reply (reports' signed one-click page)."""
    from reports.services.ratings import rating_url_for

    return _("Votre avis nous aide : notez cette réponse en un clic : %(url)s") % {
        "url": rating_url_for(message=message)
    }


class _WritingView(WagtailAdminTemplateMixin, TemplateView):
    header_icon = "mail"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, *self.trail(), {"url": "", "label": self.get_page_title()}]

    def trail(self) -> list[dict]:
        return []

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("correspondence.add_message"):
            raise PermissionDenied
        self.sender = counsellor_writing_as(request.user)
        if self.sender is None:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ReplyView(_WritingView):
    """inbox:reply — choose a template (suggestions first), edit, preview, send."""

    template_name = "inbox/compose/reply.html"
    preview_template_name = "inbox/compose/reply_preview.html"
    page_title = gettext_lazy("Répondre")

    def dispatch(self, request, *args, **kwargs):
        readable = access.scope_queryset(
            Thread.objects.select_related("counsellor__user", "agency", "jobseeker", "employer"),
            request.user,
        )
        self.thread = get_object_or_404(readable, pk=kwargs["pk"])
        if not thread_repliable(request.user, self.thread):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.thread.subject or _("(sans objet)")

    def trail(self) -> list[dict]:
        try:
            inbox = [{"url": reverse("inbox:index"), "label": _("Boîte de réception")}]
        except NoReverseMatch:
            inbox = []
        subject = self.thread.subject or _("(sans objet)")
        return [*inbox, {"url": thread_url(self.thread.pk), "label": subject}]

    @cached_property
    def audience(self) -> str:
        return "employer" if self.thread.employer_id else "jobseeker"

    @cached_property
    def last_incoming(self) -> Message | None:
        return (
            self.thread.messages.filter(direction=Message.Direction.INCOMING)
            .order_by("-received_at", "-pk")
            .only("pk", "subject", "body_text", "received_at", "from_address", "from_name")
            .first()
        )

    def form_kwargs(self) -> dict:
        return {"time_zone": self.thread.agency.time_zone}

    def get(self, request, *args, **kwargs):
        initial = {"idempotency_key": new_idempotency_key(), "appointment_duration": 30}
        chosen, gaps = None, []
        template_id = request.GET.get("template", "")
        if template_id.isdigit():
            chosen = templates_published().filter(pk=int(template_id)).first()
        if chosen is not None:
            rendered = template_render(
                template=chosen,
                context=placeholder_context(thread=self.thread, sender=self.sender),
            )
            initial.update(body=rendered.html, template=chosen.pk)
            gaps = rendered.gaps
            legal = rendered.legal_pages
            expired = rendered.expired_legal_pages
        else:
            legal = expired = []
        form = ReplyForm(initial=initial, **self.form_kwargs())
        return self.render_edit(form, chosen=chosen, gaps=gaps, legal=legal, expired=expired)

    def render_edit(self, form, *, chosen=None, gaps=(), files=(), legal=(), expired=(), errors=()):
        query = self.request.GET.get("q", "").strip()
        results = []
        if query:
            results = list(
                templates_search(query, templates_published(audience=self.audience))[:SEARCH_LIMIT]
            )
        last = self.last_incoming
        suggestions = templates_suggest(
            subject=self.thread.subject,
            body=last.body_text if last else "",
            audience=self.audience,
            limit=SUGGESTIONS,
        )
        failed = self.thread.messages.filter(
            direction=Message.Direction.OUTGOING, send_state=Message.SendState.FAILED
        ).only("pk", "subject", "send_error", "received_at")
        return self.render_to_response(
            self.get_context_data(
                form=form,
                thread=self.thread,
                last_incoming=last,
                suggestions=suggestions,
                query=query,
                results=results,
                chosen=chosen,
                gaps=gaps,
                legal_pages=legal,
                expired_legal_pages=expired,
                files=files,
                errors=errors,
                failed=list(failed),
                thread_url=thread_url(self.thread.pk),
            )
        )

    def edit_again(self, errors):
        """Back to the editor with what the preview page carried, and why it was refused."""
        try:
            files = drafts_load(self.request.POST.get("files_token", ""))
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            files = []  # an expired or forged token: the files are asked for again
        initial = {**self.request.POST.dict(), "files_token": drafts_sign(files)}
        form = ReplyForm(initial=initial, **self.form_kwargs())
        return self.render_edit(form, files=files, errors=errors)

    @staticmethod
    def form_errors(form) -> list[str]:
        return [str(message) for messages in form.errors.values() for message in messages]

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "preview")
        if action == "send":
            return self.send()
        if action == "edit":
            return self.edit_again([])
        form = ReplyForm(request.POST, request.FILES, **self.form_kwargs())
        if not form.is_valid():
            return self.render_edit(form, files=form.cleaned_data.get("files_token") or [])
        return self.preview(form)

    def preview(self, form):
        data = form.cleaned_data
        files = form.files_keep()
        body = expand_db_html(data["body"])
        mail = reply_render(
            thread=self.thread,
            author=self.request.user,
            body_html=body,
            appointment=data["appointment"],
            footer_text=_("Votre avis nous aide : notez cette réponse en un clic : [lien]"),
        )
        hidden = {name: self.request.POST.get(name, "") for name in ReplyForm.APPOINTMENT_FIELDS}
        confirm = ReplyForm(
            initial={
                **hidden,
                "body": data["body"],
                "template": data["template"].pk if data["template"] else "",
                "idempotency_key": data["idempotency_key"],
                "files_token": drafts_sign(files),
            },
            confirmed=True,
            **self.form_kwargs(),
        )
        return self.response_class(
            request=self.request,
            template=[self.preview_template_name],
            context=self.get_context_data(
                confirm=confirm,
                mail=mail,
                files=files,
                appointment=data["appointment"],
                thread=self.thread,
                thread_url=thread_url(self.thread.pk),
            ),
            using=self.template_engine,
        )

    def send(self):
        key = self.request.POST.get("idempotency_key", "")
        existing = (
            Message.objects.filter(idempotency_key=key, thread=self.thread).first() if key else None
        )
        if existing is not None:
            # The same form again (double click, back and resubmit): already queued once.
            flash.info(self.request, _("Cette réponse a déjà été envoyée."))
            return redirect(thread_url(self.thread.pk))
        form = ReplyForm(self.request.POST, confirmed=True, **self.form_kwargs())
        if not form.is_valid():
            return self.edit_again(self.form_errors(form))
        data = form.cleaned_data
        files = data["files_token"]
        try:
            attachments = drafts_read(files)
        except FileNotFoundError:
            return self.edit_again([_("Les pièces jointes ont expiré : ajoutez-les à nouveau.")])
        try:
            reply_queue(
                thread=self.thread,
                author=self.request.user,
                body_html=expand_db_html(data["body"]),
                attachments=attachments,
                idempotency_key=data["idempotency_key"],
                template=data["template"],
                appointment=data["appointment"],
                footer_text=rating_footer,
            )
        except ValidationError as error:
            return self.edit_again(error.messages)
        drafts_delete(files)
        flash.success(self.request, _("Votre réponse est partie en envoi."))
        return redirect(thread_url(self.thread.pk))


class ComposeView(_WritingView):
    """inbox:compose — one individual mail (and thread) per jobseeker of my caseload."""

    template_name = "inbox/compose/compose.html"
    preview_template_name = "inbox/compose/compose_preview.html"
    result_template_name = "inbox/compose/compose_result.html"
    page_title = gettext_lazy("Écrire à mes demandeurs d'emploi")

    @cached_property
    def caseload(self):
        return (
            Jobseeker.objects.filter(
                assignments__counsellor_id=self.sender.pk, assignments__ends_on__isnull=True
            )
            .distinct()
            .order_by("last_name", "first_name", "pk")
        )

    def get(self, request, *args, **kwargs):
        filters = CaseloadFilterSet(
            request.GET or None, queryset=self.caseload, counsellor_id=self.sender.pk
        )
        shown = filters.qs if filters.is_bound else self.caseload
        only = request.GET.get("jobseeker", "")
        selected = shown.filter(pk=int(only)) if only.isdigit() else shown
        form = ComposeForm(
            initial={
                "idempotency_key": new_idempotency_key(),
                "jobseekers": list(selected.values_list("pk", flat=True)) if request.GET else [],
                "appointment_duration": 60,
            },
            caseload=shown,
            time_zone=self.sender.agency.time_zone,
        )
        return self.render_to_response(self.get_context_data(form=form, filters=filters))

    def compose_form(self, *args, **kwargs) -> ComposeForm:
        return ComposeForm(
            *args, caseload=self.caseload, time_zone=self.sender.agency.time_zone, **kwargs
        )

    def render_edit(self, form, *, files=(), errors=()):
        filters = CaseloadFilterSet(None, queryset=self.caseload, counsellor_id=self.sender.pk)
        return self.render_to_response(
            self.get_context_data(form=form, filters=filters, files=files, errors=errors)
        )

    def edit_again(self, errors):
        try:
            files = drafts_load(self.request.POST.get("files_token", ""))
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            files = []
        initial = {
            **self.request.POST.dict(),
            "jobseekers": self.request.POST.getlist("jobseekers"),
            "files_token": drafts_sign(files),
        }
        return self.render_edit(self.compose_form(initial=initial), files=files, errors=errors)

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "preview")
        if action == "send":
            return self.send()
        if action == "edit":
            return self.edit_again([])
        form = self.compose_form(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_edit(form, files=form.cleaned_data.get("files_token") or [])
        return self.preview(form)

    def preview(self, form):
        """Who gets the mail, who will be skipped (no valid address), and the mail itself."""
        data = form.cleaned_data
        files = form.files_keep()
        recipients = list(data["jobseekers"])
        hidden = {name: self.request.POST.get(name, "") for name in ComposeForm.APPOINTMENT_FIELDS}
        confirm = self.compose_form(
            initial={
                **hidden,
                "jobseekers": [j.pk for j in recipients],
                "subject": data["subject"],
                "body": data["body"],
                "idempotency_key": data["idempotency_key"],
                "files_token": drafts_sign(files),
            },
            confirmed=True,
        )
        content = mail_content(
            body_html=expand_db_html(data["body"]),
            agency=self.sender.agency,
            appointment=data["appointment"],
        )
        return self.response_class(
            request=self.request,
            template=[self.preview_template_name],
            context=self.get_context_data(
                confirm=confirm,
                content=content,
                subject=data["subject"],
                sender_name=sender_display_name(self.sender),
                sender_address=self.sender.public_address,
                recipients=[j for j in recipients if address_is_valid(j.email)],
                skipped=[j for j in recipients if not address_is_valid(j.email)],
                files=files,
                appointment=data["appointment"],
            ),
            using=self.template_engine,
        )

    def send(self):
        form = self.compose_form(self.request.POST, confirmed=True)
        if not form.is_valid():
            return self.edit_again(ReplyView.form_errors(form))
        data = form.cleaned_data
        files = data["files_token"]
        key = data["idempotency_key"]
        already = Message.objects.filter(idempotency_key__startswith=f"{key[:40]}:").exists()
        try:
            # Sent once already (double click, resubmission): the service returns those mails.
            attachments = [] if already else drafts_read(files)
        except FileNotFoundError:
            return self.edit_again([_("Les pièces jointes ont expiré : ajoutez-les à nouveau.")])
        try:
            result = proactive_queue(
                author=self.request.user,
                jobseekers=data["jobseekers"],
                subject=data["subject"],
                body_html=expand_db_html(data["body"]),
                idempotency_key=key,
                attachments=attachments,
                appointment=data["appointment"],
            )
        except ValidationError as error:
            return self.edit_again(error.messages)
        drafts_delete(files)
        sent = (
            Message.objects.filter(pk__in=[m.pk for m in result.messages])
            .select_related("thread__jobseeker")
            .order_by("thread__jobseeker__last_name", "pk")
        )
        return self.response_class(
            request=self.request,
            template=[self.result_template_name],
            context=self.get_context_data(sent=list(sent), skipped=result.skipped),
            using=self.template_engine,
        )


class ContactsView(generic.IndexView):
    """inbox:contacts — my upcoming contacts (calls, video calls, meetings), soonest first."""

    model = ScheduledContact
    permission_policy = ModelPermissionPolicy(ScheduledContact)
    any_permission_required = ["view"]
    page_title = gettext_lazy("Mes prochains contacts")
    header_icon = "date"
    index_url_name = "inbox:contacts"
    index_results_url_name = "inbox:contacts_results"
    filterset_class = ContactFilterSet
    paginate_by = 50
    default_ordering = None
    verbose_name = gettext_lazy("contact")
    verbose_name_plural = gettext_lazy("contacts")
    no_results_message = gettext_lazy("Aucun contact à venir.")

    def get_valid_orderings(self):
        return []

    @cached_property
    def columns(self):
        return [
            Column("scheduled_for", label=_("Quand"), accessor="when_label"),
            Column("channel", label=_("Canal"), accessor="get_channel_display"),
            Column("correspondent", label=_("Avec"), accessor="correspondent_label"),
            TitleColumn(
                "thread",
                label=_("Fil"),
                accessor="thread_subject",
                get_url=lambda contact: (
                    thread_url(contact.thread_id) if contact.thread_id else None
                ),
            ),
            Column("note", label=_("Détail")),
        ]

    def get_base_queryset(self):
        counsellor_id = access.scope_for(self.request.user).counsellor_id
        if not counsellor_id:
            return ScheduledContact.objects.none()
        since = timezone.now() - dt.timedelta(hours=1)
        return ScheduledContact.objects.filter(
            counsellor_id=counsellor_id, scheduled_for__gte=since
        ).select_related("jobseeker", "employer", "thread", "counsellor__agency")

    def order_queryset(self, queryset):
        return queryset.order_by("scheduled_for", "pk")

    def paginate_queryset(self, queryset, page_size):
        paginator, page, object_list, is_paginated = super().paginate_queryset(queryset, page_size)
        contacts = list(object_list)
        for contact in contacts:
            local = contact.scheduled_for.astimezone(ZoneInfo(contact.counsellor.agency.time_zone))
            with translation.override("fr"):
                contact.when_label = dateformat.format(local, r"l j F Y, H \h i")
            party = contact.jobseeker or contact.employer
            contact.correspondent_label = str(party) if party else "—"
            contact.thread_subject = (
                (contact.thread.subject or _("(sans objet)")) if contact.thread_id else "—"
            )
        page.object_list = contacts
        return paginator, page, contacts, is_paginated


@require_POST
def message_resend(request, pk: int):
    """inbox:message_resend — a failed reply or proactive mail goes back in the queue."""
    readable = access.scope_queryset(Message.objects.select_related("thread"), request.user)
    message = get_object_or_404(readable, pk=pk, direction=Message.Direction.OUTGOING)
    try:
        message_requeue(message=message, user=request.user)
    except ValidationError as error:
        flash.error(request, " ".join(error.messages))
    else:
        flash.success(request, _("Le courriel est remis en file d'envoi."))
    return redirect(thread_url(message.thread_id))
