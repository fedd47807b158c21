"""Registers the caseload import screens in the Wagtail admin (URLs and a menu item)."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import views
from .services import may_import

app_name = "caseload_imports"
urlpatterns = [
    path("", views.HistoryView.as_view(), name="history"),
    path("<int:pk>/", views.DetailView.as_view(), name="detail"),
    path("<int:pk>/etat/", views.StatusView.as_view(), name="status"),
    path("<int:pk>/confirmer/", views.ConfirmView.as_view(), name="confirm"),
    path("<int:pk>/annuler/", views.UndoView.as_view(), name="undo"),
    path("<int:pk>/relancer/", views.RetryView.as_view(), name="retry"),
    path("<int:pk>/erreurs.xlsx", views.ErrorsDownloadView.as_view(), name="errors"),
    path("<int:pk>/fichier/", views.FileDownloadView.as_view(), name="file"),
    path("modele/<str:kind>.xlsx", views.TemplateDownloadView.as_view(), name="template"),
]


@hooks.register("register_admin_urls")
def register_import_urls():
    return [path("caseload-imports/", include((urlpatterns, app_name), namespace=app_name))]


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return may_import(request.user)


@hooks.register("register_admin_menu_item")
def register_import_menu_item():
    return ImportMenuItem(
        _("Imports d'affectations"),
        reverse("caseload_imports:history"),
        icon_name="upload",
        order=420,
    )
