"""Screens of transfer, consultation and the expert's answer ([inbox] parts 5 and 6).

Views hold settings and forms; the writes are the services of
`backoffice.correspondence.services.delegation`. A thread the user may not read answers
404; one they may read but not write answers 403.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from backoffice.correspondence.delegation_selectors import (
    consultation_experts_for,
    consultation_for_expert,
    consultations_put_to,
    transfer_experts_for,
)
from backoffice.correspondence.models import Consultation, Thread
from backoffice.correspondence.services.delegation import (
    consultation_answer,
    consultation_ask,
    consultation_thread_read_record,
    thread_transfer,
)
from backoffice.organisation import access
from backoffice.organisation.models import Counsellor

from ..forms_delegation import (
    ConsultationAnswerForm,
    ConsultationFilterSet,
    ConsultForm,
    TransferForm,
)
from .compose import thread_url


def user_counsellor(user) -> Counsellor | None:
    """The active counsellor record of a user (managers have one too), once per request."""
    if not hasattr(user, "_mailnet_counsellor"):
        user._mailnet_counsellor = (
            Counsellor.objects.filter(user_id=user.pk, is_active=True).first()
            if user.is_authenticated
            else None
        )
    return user._mailnet_counsellor


class ThreadActionView(WagtailAdminTemplateMixin, FormView):
    """A form about one thread that only who may write the thread may use."""

    header_icon = "mail"
    submit_button_label = ""

    @cached_property
    def thread(self) -> Thread:
        user = self.request.user
        if not user.has_perm("correspondence.change_thread"):
            raise PermissionDenied
        readable = access.scope_queryset(
            Thread.objects.select_related("agency__region", "counsellor__user"), user
        )
        thread = get_object_or_404(readable, pk=self.kwargs["pk"])
        if not access.can_write(user, thread):
            raise PermissionDenied
        return thread

    def dispatch(self, request, *args, **kwargs):
        self.thread  # noqa: B018 refuse before any form is built
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return f"{self.page_title} – {self.thread.subject or _('(sans objet)')}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            thread=self.thread,
            thread_url=thread_url(self.thread.pk),
            action_url=self.request.get_full_path(),
            submit_button_label=self.submit_button_label,
        )
        return context

    def service_call(self, form):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            return self.service_call(form)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)


class TransferView(ThreadActionView):
    template_name = "inbox/delegation/transfer.html"
    form_class = TransferForm
    page_title = gettext_lazy("Transférer le fil à un expert")
    submit_button_label = gettext_lazy("Transférer")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "experts": transfer_experts_for(thread=self.thread)}

    def service_call(self, form):
        expert = form.cleaned_data["expert"]
        thread_transfer(
            thread=self.thread,
            to_counsellor=expert,
            by=self.request.user,
            note=form.cleaned_data["note"],
        )
        messages.success(
            self.request,
            _("Le fil est transféré à %(expert)s.") % {"expert": expert.full_name},
        )
        # The thread may have left the user's agency (and their reach) with its expert.
        if access.can_read(self.request.user, self.thread):
            return redirect(thread_url(self.thread.pk))
        return redirect("inbox:index")


class ConsultView(ThreadActionView):
    template_name = "inbox/delegation/consult.html"
    form_class = ConsultForm
    page_title = gettext_lazy("Consulter un expert")
    submit_button_label = gettext_lazy("Envoyer la question")

    def dispatch(self, request, *args, **kwargs):
        if user_counsellor(request.user) is None:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        experts = consultation_experts_for(
            thread=self.thread, asker=user_counsellor(self.request.user)
        )
        return {**super().get_form_kwargs(), "experts": experts}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["consultations"] = self.thread.consultations.select_related(
            "expert__user", "asked_by__user"
        )
        return context

    def service_call(self, form):
        expert = form.cleaned_data["expert"]
        consultation_ask(
            thread=self.thread,
            expert=expert,
            by=self.request.user,
            question=form.cleaned_data["question"],
        )
        messages.success(
            self.request,
            _("Votre question est envoyée à %(expert)s ; sa réponse vous parviendra par courriel.")
            % {"expert": expert.full_name},
        )
        return redirect(thread_url(self.thread.pk))


class ConsultationAnswerView(WagtailAdminTemplateMixin, FormView):
    """The expert's screen: the question, the thread's messages (text), the answer form.

    The expert may work in another agency and not read the thread page: this screen shows
    them the messages while the consultation is open, and logs each opening.
    """

    template_name = "inbox/delegation/answer.html"
    form_class = ConsultationAnswerForm
    header_icon = "help"
    page_title = gettext_lazy("Consultation")

    @cached_property
    def consultation(self) -> Consultation:
        counsellor = user_counsellor(self.request.user)
        try:
            return consultation_for_expert(
                pk=self.kwargs["pk"], counsellor_id=counsellor.pk if counsellor else None
            )
        except Consultation.DoesNotExist:
            raise Http404 from None

    def dispatch(self, request, *args, **kwargs):
        self.consultation  # noqa: B018 404 before anything else
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if self.consultation.answered_at is None:
            consultation_thread_read_record(consultation=self.consultation, user=request.user)
        return super().get(request, *args, **kwargs)

    def get_page_title(self):
        return f"{self.page_title} – {self.consultation.thread.subject or _('(sans objet)')}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        consultation = self.consultation
        open_ = consultation.answered_at is None
        context.update(
            consultation=consultation,
            thread=consultation.thread,
            # Once answered, the thread is no longer the expert's to read here.
            thread_messages=consultation.thread.messages.all() if open_ else [],
            is_open=open_,
            action_url=self.request.get_full_path(),
            submit_button_label=_("Répondre à %(asker)s")
            % {"asker": consultation.asked_by.full_name},
        )
        return context

    def post(self, request, *args, **kwargs):
        if self.consultation.answered_at is not None:
            messages.error(request, _("Cette consultation a déjà reçu une réponse."))
            return redirect("inbox:consultations")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            consultation_answer(
                consultation=self.consultation,
                by=self.request.user,
                answer=form.cleaned_data["answer"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Votre réponse est transmise à %(asker)s.")
            % {"asker": self.consultation.asked_by.full_name},
        )
        return redirect("inbox:consultations")


class ConsultationsView(WagtailAdminTemplateMixin, TemplateView):
    """The questions put to me: open ones first (oldest first), answered ones on demand."""

    template_name = "inbox/delegation/consultations.html"
    header_icon = "help"
    page_title = gettext_lazy("Consultations")
    paginate_by = 50

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("correspondence.view_consultation"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counsellor = user_counsellor(self.request.user)
        filterset = ConsultationFilterSet(
            self.request.GET or {"state": "open"},
            queryset=consultations_put_to(counsellor_id=counsellor.pk if counsellor else None),
        )
        page = Paginator(filterset.qs, self.paginate_by).get_page(self.request.GET.get("p"))
        context.update(filterset=filterset, page_obj=page, state=filterset.data.get("state"))
        return context
