"""Admin URLs of the inbox, mounted under /admin/inbox/ by wagtail_hooks (namespace "inbox").

Each feature appends its own lines at the end of `urlpatterns`.
"""

from django.urls import path

from .views.compose import ComposeView, ContactsView, ReplyView, message_resend

app_name = "inbox"
urlpatterns = [
    # [inbox] outgoing: reply, proactive mail, upcoming contacts.
    path("threads/<int:pk>/reply/", ReplyView.as_view(), name="reply"),
    path("compose/", ComposeView.as_view(), name="compose"),
    path("contacts/", ContactsView.as_view(), name="contacts"),
    path("contacts/results/", ContactsView.as_view(results_only=True), name="contacts_results"),
    path("messages/<int:pk>/resend/", message_resend, name="message_resend"),
]
