"""Admin URLs of the inbox, mounted under /admin/inbox/ by wagtail_hooks (namespace "inbox").

Each feature appends its own lines at the end of `urlpatterns`.
"""

from django.urls import path

from .views import delegation
from .views.compose import ComposeView, ContactsView, ReplyView, message_resend

app_name = "inbox"
urlpatterns = [
    # [inbox] delegation: transfer, consultation of an expert, the expert's answers.
    path("threads/<int:pk>/transfer/", delegation.TransferView.as_view(), name="transfer"),
    path("threads/<int:pk>/consult/", delegation.ConsultView.as_view(), name="consult"),
    path("consultations/", delegation.ConsultationsView.as_view(), name="consultations"),
    path(
        "consultations/<int:pk>/",
        delegation.ConsultationAnswerView.as_view(),
        name="consultation_answer",
    ),
    # [inbox] outgoing: reply, proactive mail, upcoming contacts.
    path("threads/<int:pk>/reply/", ReplyView.as_view(), name="reply"),
    path("compose/", ComposeView.as_view(), name="compose"),
    path("contacts/", ContactsView.as_view(), name="contacts"),
    path("contacts/results/", ContactsView.as_view(results_only=True), name="contacts_results"),
    path("messages/<int:pk>/resend/", message_resend, name="message_resend"),
]
