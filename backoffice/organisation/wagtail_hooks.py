from wagtail import hooks

from .viewsets import OrganisationViewSetGroup


@hooks.register("register_admin_viewset")
def register_organisation_viewsets():
    return OrganisationViewSetGroup()
