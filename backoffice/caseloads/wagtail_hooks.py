from wagtail import hooks

from .viewsets import CaseloadsViewSetGroup, EmployerChooserViewSet, JobseekerChooserViewSet


@hooks.register("register_admin_viewset")
def register_caseload_viewsets():
    return [
        CaseloadsViewSetGroup(),
        JobseekerChooserViewSet("jobseeker_chooser"),
        EmployerChooserViewSet("employer_chooser"),
    ]
