"""Public (non-admin) URLs of the reports: the satisfaction page. Included by
backoffice/urls.py under "satisfaction/"."""

from django.urls import path

from .views.public import rate

app_name = "reports_public"

urlpatterns = [path("<str:token>/", rate, name="rate")]
