"""Who may see and change what: the one place that turns a user into a scope.

Roles (see `roles.py`) give model permissions; this module narrows them to objects:

| role                    | reads                      | writes                         |
|-------------------------|----------------------------|--------------------------------|
| Administrateur national | everything                 | everything                     |
| Responsable d'équipe    | their agency               | their agency                   |
| Conseiller              | their agency               | their own caseload             |
| Pilote régional         | their region (no persons)  | nothing                        |
| anyone else             | nothing                    | nothing                        |

Each model says how it hangs off an agency, a region or a caseload with `scope_register`
(apps do it in `AppConfig.ready`); `scope_queryset` and `ScopedPermissionPolicy` apply
the rules to every list, search, export, chooser and object view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from . import roles

QBuilder = Callable[[frozenset[int]], Q]


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    region_ids: frozenset[int] = frozenset()
    agency_ids: frozenset[int] = frozenset()
    counsellor_id: int | None = None
    writes: str = "none"  # "all", "agency", "caseload" or "none"
    sees_persons: bool = False
    role: str | None = None


NOTHING = Scope()


@dataclass(frozen=True)
class ScopeRule:
    """How one model relates to the network. Each builder takes a set of ids and returns a Q."""

    by_agency: QBuilder | None = None
    by_region: QBuilder | None = None
    by_caseload: QBuilder | None = None
    personal: bool = False  # persons' data: never shown to pilots
    extra: dict = field(default_factory=dict)


_RULES: dict[type[models.Model], ScopeRule] = {}


def _lookup(path: str) -> QBuilder:
    return lambda ids: Q(**{f"{path}__in": ids})


def scope_register(
    model: type[models.Model],
    *,
    agency: str | QBuilder | None = None,
    region: str | QBuilder | None = None,
    caseload: str | QBuilder | None = None,
    personal: bool = False,
) -> None:
    """Declares how `model` is scoped. Strings are lookups to an agency/region/counsellor id."""
    _RULES[model] = ScopeRule(
        by_agency=_lookup(agency) if isinstance(agency, str) else agency,
        by_region=_lookup(region) if isinstance(region, str) else region,
        by_caseload=_lookup(caseload) if isinstance(caseload, str) else caseload,
        personal=personal,
    )
    # Wagtail's own views, choosers and permission checks consult the registry.
    register_permission_policy(model, ScopedPermissionPolicy(model), exact_class=True)


def scope_for(user) -> Scope:
    """The scope of a user, computed once per request (cached on the user object)."""
    cached = getattr(user, "_mailnet_scope", None)
    if cached is not None:
        return cached
    scope = _compute_scope(user)
    if user is not None:
        user._mailnet_scope = scope
    return scope


def _compute_scope(user) -> Scope:
    from .models import Counsellor, RegionalPilot

    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_superuser:
        return Scope(everything=True, writes="all", sees_persons=True, role=roles.NATIONAL_ADMIN)
    names = set(user.groups.values_list("name", flat=True))
    if roles.NATIONAL_ADMIN in names:
        return Scope(everything=True, writes="all", sees_persons=True, role=roles.NATIONAL_ADMIN)
    counsellor = (
        Counsellor.objects.filter(user=user, is_active=True)
        .values("id", "agency_id", "agency__region_id")
        .first()
    )
    if counsellor and roles.MANAGER in names:
        return Scope(
            agency_ids=frozenset({counsellor["agency_id"]}),
            counsellor_id=counsellor["id"],
            writes="agency",
            sees_persons=True,
            role=roles.MANAGER,
        )
    if counsellor and roles.COUNSELLOR in names:
        return Scope(
            agency_ids=frozenset({counsellor["agency_id"]}),
            counsellor_id=counsellor["id"],
            writes="caseload",
            sees_persons=True,
            role=roles.COUNSELLOR,
        )
    if roles.REGIONAL_PILOT in names:
        region_ids = frozenset(
            RegionalPilot.objects.filter(user=user).values_list("region_id", flat=True)
        )
        if region_ids:
            return Scope(region_ids=region_ids, writes="none", role=roles.REGIONAL_PILOT)
    if names & {roles.CONTENT_EDITOR, roles.MODERATOR}:
        return Scope(
            role=roles.CONTENT_EDITOR if roles.CONTENT_EDITOR in names else roles.MODERATOR
        )
    return NOTHING


def _rule(model: type[models.Model]) -> ScopeRule:
    concrete = model._meta.concrete_model
    try:
        return _RULES[concrete]
    except KeyError:
        raise LookupError(f"{concrete.__name__} has no scope rule: call scope_register") from None


def is_scoped(model: type[models.Model]) -> bool:
    return model._meta.concrete_model in _RULES


def read_filter(model: type[models.Model], user) -> Q | None:
    """The Q that keeps what `user` may read of `model`; None means everything."""
    scope = scope_for(user)
    if scope.everything:
        return None
    rule = _rule(model)
    if scope.agency_ids and rule.by_agency:
        return rule.by_agency(scope.agency_ids)
    if scope.region_ids and not rule.personal and rule.by_region:
        return rule.by_region(scope.region_ids)
    return Q(pk__in=[])


def write_filter(model: type[models.Model], user) -> Q | None:
    """The Q that keeps what `user` may change or delete of `model`; None means everything."""
    scope = scope_for(user)
    if scope.writes == "all":
        return None
    rule = _rule(model)
    if scope.writes == "agency" and rule.by_agency:
        return rule.by_agency(scope.agency_ids)
    if scope.writes == "caseload" and rule.by_caseload and scope.counsellor_id:
        return rule.by_caseload(frozenset({scope.counsellor_id}))
    return Q(pk__in=[])


def scope_queryset(queryset: models.QuerySet, user, *, write: bool = False) -> models.QuerySet:
    """Narrows any queryset of a registered model to what `user` may read (or write)."""
    condition = (write_filter if write else read_filter)(queryset.model, user)
    return queryset if condition is None else queryset.filter(condition)


def can_read(user, instance: models.Model) -> bool:
    return scope_queryset(type(instance)._default_manager.filter(pk=instance.pk), user).exists()


def can_write(user, instance: models.Model) -> bool:
    return scope_queryset(
        type(instance)._default_manager.filter(pk=instance.pk), user, write=True
    ).exists()


class ScopedPermissionPolicy(ModelPermissionPolicy):
    """Django model permissions (from the role), narrowed to the user's scope per object."""

    def user_has_permission_for_instance(self, user, action, instance):
        if not self.user_has_permission(user, action):
            return False
        if instance is None or instance.pk is None:
            return True
        return can_read(user, instance) if action == "view" else can_write(user, instance)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return any(self.user_has_permission_for_instance(user, a, instance) for a in actions)

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return self.model._default_manager.none()
        write = "view" not in actions
        return scope_queryset(self.model._default_manager.all(), user, write=write)
