"""Admin URLs of correspondence, mounted under /admin/correspondence/ by wagtail_hooks."""

from django.urls import path

from . import views

app_name = "correspondence"
urlpatterns = [
    path(
        "threads/<int:pk>/remote-images/",
        views.thread_remote_images,
        name="thread_remote_images",
    ),
    path("messages/<int:pk>/html/", views.message_html, name="message_html"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("triage/", views.triage_index, name="triage"),
]
