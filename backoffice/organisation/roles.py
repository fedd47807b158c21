"""The roles of Mailnet, as Django groups, and the model permissions each one holds.

This is the one place that says what each role may see and change at the model level;
`access.py` narrows it to objects (agency, region, own caseload). Data migrations call
`roles_sync` so a fresh database and an upgraded one end up with the same groups.
"""

COUNSELLOR = "Conseiller"
MANAGER = "Responsable d'équipe"
CONTENT_EDITOR = "Éditeur de contenu"
MODERATOR = "Modérateur"
REGIONAL_PILOT = "Pilote régional"
NATIONAL_ADMIN = "Administrateur national"

ALL_ROLES = [COUNSELLOR, MANAGER, CONTENT_EDITOR, MODERATOR, REGIONAL_PILOT, NATIONAL_ADMIN]


def _crud(model: str, actions=("add", "change", "delete", "view")) -> list[str]:
    app_label, model_name = model.split(".")
    return [f"{app_label}.{action}_{model_name}" for action in actions]


_ORGANISATION = [
    "organisation.region",
    "organisation.agency",
    "organisation.team",
    "organisation.counsellor",
]
_CASELOADS = [
    "caseloads.modality",
    "caseloads.jobseeker",
    "caseloads.employer",
    "caseloads.assignment",
]
_VIEW = ("view",)

# Permissions by "app_label.codename". A permission whose model does not exist yet is
# skipped by roles_sync and granted by the migration that creates the model.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    COUNSELLOR: [
        "wagtailadmin.access_admin",
        *[p for m in _ORGANISATION for p in _crud(m, _VIEW)],
        *_crud("organisation.absence", _VIEW),
        *[p for m in _CASELOADS for p in _crud(m, _VIEW)],
        *_crud("caseloads.jobseeker", ("change",)),
        *_crud("caseloads.employer", ("change",)),
    ],
    MANAGER: [
        "wagtailadmin.access_admin",
        *[p for m in _ORGANISATION for p in _crud(m, _VIEW)],
        *_crud("organisation.team", ("change",)),
        *_crud("organisation.absence"),
        *_crud("caseloads.modality", _VIEW),
        # Persons are not deleted by managers: a delete would reach other agencies'
        # assignments; the end of a follow-up is an assignment's end date.
        *_crud("caseloads.jobseeker", ("add", "change", "view")),
        *_crud("caseloads.employer", ("add", "change", "view")),
        *_crud("caseloads.assignment"),
    ],
    CONTENT_EDITOR: ["wagtailadmin.access_admin"],
    MODERATOR: ["wagtailadmin.access_admin"],
    REGIONAL_PILOT: [
        "wagtailadmin.access_admin",
        *_crud("organisation.region", _VIEW),
        *_crud("organisation.agency", _VIEW),
        *_crud("organisation.team", _VIEW),
        *_crud("caseloads.modality", _VIEW),
    ],
    NATIONAL_ADMIN: [
        "wagtailadmin.access_admin",
        *[p for m in _ORGANISATION for p in _crud(m)],
        *_crud("organisation.absence"),
        *_crud("organisation.regionalpilot"),
        *[p for m in _CASELOADS for p in _crud(m)],
    ],
}


def role_permissions_extend(role: str, permissions: list[str]) -> None:
    """Lets a later app add its own permissions to a role (called at import of its roles)."""
    existing = ROLE_PERMISSIONS.setdefault(role, [])
    existing.extend(p for p in permissions if p not in existing)


def roles_sync(apps, extra: dict[str, list[str]] | None = None) -> None:
    """Creates the groups and grants them their permissions; safe to run again.

    `apps` is a migration's app registry (or django.apps.apps). `extra` lets a later
    migration grant permissions on its own models without editing this module's past.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # A migration's registry has no models module; create_permissions wants one.
        previous = getattr(app_config, "models_module", None)
        app_config.models_module = previous or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = previous

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    wanted = {role: list(perms) for role, perms in ROLE_PERMISSIONS.items()}
    for role, perms in (extra or {}).items():
        wanted.setdefault(role, []).extend(perms)
    for role, perms in wanted.items():
        group, _ = Group.objects.get_or_create(name=role)
        ids = []
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            ids.extend(
                Permission.objects.filter(
                    content_type__app_label=app_label, codename=codename
                ).values_list("id", flat=True)
            )
        group.permissions.add(*ids)
