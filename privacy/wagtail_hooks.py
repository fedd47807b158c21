"""Menu "Données personnelles" and the administrators' home panel."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.components import Component

from backoffice.organisation import access

from .selectors import privacy_attention_for
from .viewsets import PrivacyViewSetGroup


@hooks.register("register_admin_viewset")
def register_privacy_viewsets():
    return PrivacyViewSetGroup()


class PrivacyAttentionPanel(Component):
    """What needs an administrator: a failed archive check, read alerts not yet seen,
    retention dry runs awaiting confirmation."""

    name = "privacy_attention"
    order = 50
    template_name = "privacy/home_panel.html"

    def __init__(self, attention):
        self.attention = attention

    def get_context_data(self, parent_context):
        return {"attention": self.attention, "title": _("Données personnelles et archive")}


@hooks.register("construct_homepage_panels")
def add_privacy_panel(request, panels):
    if not access.scope_for(request.user).everything:
        return
    attention = privacy_attention_for(user=request.user)
    if attention.needed:
        panels.append(PrivacyAttentionPanel(attention))
