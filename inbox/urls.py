"""Admin URLs of the inbox, mounted under /admin/inbox/ by wagtail_hooks (namespace "inbox").

Each feature appends its own lines at the end of `urlpatterns`.
"""

from django.urls import path

from .views import delegation
from .views.compose import ComposeView, ContactsView, ReplyView, message_resend
from .views.listing import InboxIndexView
from .views.lookup import LookupView
from .views.queue import QueueBulkView, TeamQueueView
from .views.thread import ThreadCloseView, ThreadMotifView, ThreadReassignView, ThreadView

app_name = "inbox"
urlpatterns = [
    path("", InboxIndexView.as_view(), name="index"),
    path("results/", InboxIndexView.as_view(results_only=True), name="index_results"),
    path("queue/", TeamQueueView.as_view(), name="queue"),
    path("queue/results/", TeamQueueView.as_view(results_only=True), name="queue_results"),
    path("queue/bulk/", QueueBulkView.as_view(), name="queue_bulk"),
    path("threads/<int:pk>/", ThreadView.as_view(), name="thread"),
    path("threads/<int:pk>/motif/", ThreadMotifView.as_view(), name="thread_motif"),
    path("threads/<int:pk>/reassign/", ThreadReassignView.as_view(), name="reassign"),
    path("threads/<int:pk>/close/", ThreadCloseView.as_view(), name="close"),
    path("lookup/", LookupView.as_view(), name="lookup"),
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
