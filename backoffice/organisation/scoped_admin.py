"""Wagtail ModelViewSet pieces that apply `access` to every list, object view, form and export.

A ViewSet of ours subclasses `ScopedModelViewSet` and only holds settings (columns,
filterset_class, list_export...). Objects outside the reader's scope answer 404, objects
readable but not writable answer 403 on change and delete.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.forms import ModelChoiceField
from django.http import Http404
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms.models import WagtailAdminModelForm
from wagtail.admin.panels import ObjectList
from wagtail.admin.views import generic
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.views.generic import history, usage
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.admin.viewsets.model import ModelViewSet

from backoffice.spreadsheets import neutralise_formula

from . import access


class ScopedModelForm(WagtailAdminModelForm):
    """Offers only the related objects the user may read in every foreign-key choice."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self, "for_user", None)
        for form_field in self.fields.values():
            if isinstance(form_field, ModelChoiceField) and access.is_scoped(
                form_field.queryset.model
            ):
                form_field.queryset = access.scope_queryset(form_field.queryset, user)


class ScopedObjectMixin:
    """404 for an object the user may not read, whatever the view."""

    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        if obj is not None and obj.pk is not None and not access.can_read(self.request.user, obj):
            raise Http404
        return obj


class ScopedSaveMixin:
    """Refuses to save an object that would land outside what the user may write."""

    def save_instance(self):
        with transaction.atomic():
            instance = super().save_instance()
            if not access.can_write(self.request.user, instance):
                transaction.set_rollback(True)
                raise PermissionDenied
        return instance


class ScopedIndexView(generic.IndexView):
    list_select_related: tuple[str, ...] = ()
    list_prefetch_related: tuple[str, ...] = ()

    def preprocess_field_value(self, field, value, export_format):
        return neutralise_formula(super().preprocess_field_value(field, value, export_format))

    def get_base_queryset(self):
        queryset = access.scope_queryset(super().get_base_queryset(), self.request.user)
        if self.list_select_related:
            queryset = queryset.select_related(*self.list_select_related)
        if self.list_prefetch_related:
            queryset = queryset.prefetch_related(*self.list_prefetch_related)
        return queryset


class ScopedCreateView(ScopedSaveMixin, generic.CreateView):
    pass


class ScopedWriteObjectMixin(ScopedObjectMixin):
    """403 for an object the user may read but not change (e.g. a colleague's jobseeker)."""

    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        if obj is not None and obj.pk is not None and not access.can_write(self.request.user, obj):
            raise PermissionDenied
        return obj


class ScopedEditView(ScopedWriteObjectMixin, ScopedSaveMixin, generic.EditView):
    pass


class ScopedDeleteView(ScopedWriteObjectMixin, generic.DeleteView):
    pass


class ScopedInspectView(ScopedObjectMixin, generic.InspectView):
    pass


class ScopedHistoryView(ScopedObjectMixin, history.HistoryView):
    pass


class ScopedUsageView(ScopedObjectMixin, usage.UsageView):
    pass


class ScopedModelViewSet(ModelViewSet):
    """A ModelViewSet whose every view goes through `access`."""

    index_view_class = ScopedIndexView
    add_view_class = ScopedCreateView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    inspect_view_class = ScopedInspectView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView
    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_admin_menu = False
    list_per_page = 50

    panels: list = []
    form_base_class = ScopedModelForm
    list_select_related: tuple[str, ...] = ()
    list_prefetch_related: tuple[str, ...] = ()
    # Our models are searched in the database (icontains on search_fields), not indexed.
    search_backend_name = None

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            list_select_related=self.list_select_related,
            list_prefetch_related=self.list_prefetch_related,
            **kwargs,
        )

    def get_edit_handler(self):
        return ObjectList(self.panels, base_form_class=self.form_base_class).bind_to_model(
            self.model
        )


class ScopedChooseViewMixin:
    def get_object_list(self):
        return access.scope_queryset(super().get_object_list(), self.request.user)


class ScopedChooseView(ScopedChooseViewMixin, chooser_views.ChooseView):
    pass


class ScopedChooseResultsView(ScopedChooseViewMixin, chooser_views.ChooseResultsView):
    pass


class ScopedChosenView(chooser_views.ChosenView):
    def get_object(self, pk):
        return access.scope_queryset(
            self.model_class._default_manager.all(), self.request.user
        ).get(pk=pk)


class ScopedChosenMultipleView(chooser_views.ChosenMultipleView):
    def get_objects(self, pks):
        return access.scope_queryset(
            self.model_class._default_manager.filter(pk__in=pks), self.request.user
        )


class ScopedChooserViewSet(ChooserViewSet):
    """A chooser that only ever lists or returns objects the user may read."""

    choose_view_class = ScopedChooseView
    choose_results_view_class = ScopedChooseResultsView
    chosen_view_class = ScopedChosenView
    chosen_multiple_view_class = ScopedChosenMultipleView
    create_action_label = None
    creation_form_class = None


class ScopedFilterSet(WagtailFilterSet):
    """A FilterSet whose choices only offer what the user may read (no leak through a filter)."""

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        for list_filter in self.filters.values():
            queryset = list_filter.extra.get("queryset")
            if isinstance(queryset, QuerySet) and access.is_scoped(queryset.model):
                list_filter.extra["queryset"] = access.scope_queryset(queryset, user)
