from wagtail import hooks

from .viewsets import OrganisationViewSetGroup


@hooks.register("register_admin_viewset")
def register_organisation_viewsets():
    return OrganisationViewSetGroup()


@hooks.register("construct_main_menu")
def hide_wagtail_help_menu(request, menu_items):
    """Wagtail's "Aide" menu points to its English editor guide online: not for our users."""
    menu_items[:] = [item for item in menu_items if item.name != "help"]
