"""Wagtail registrations of the quality review: the "Qualité" menu and its screens."""

from wagtail import hooks

from .viewsets import QualityViewSetGroup


@hooks.register("register_admin_viewset")
def register_quality_viewsets():
    return QualityViewSetGroup()
