from wagtail import hooks

from .imports import wagtail_hooks as _imports_hooks  # noqa: F401  (imports screens)
from .viewsets import CaseloadsViewSetGroup, EmployerChooserViewSet, JobseekerChooserViewSet


@hooks.register("register_admin_viewset")
def register_caseload_viewsets():
    return [
        CaseloadsViewSetGroup(),
        JobseekerChooserViewSet("jobseeker_chooser"),
        EmployerChooserViewSet("employer_chooser"),
    ]
