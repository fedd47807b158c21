"""The agency network: regions, agencies, teams, counsellors and their absences."""

from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Territory(models.TextChoices):
    """The calendar an agency's business hours run in (public holidays and time zone)."""

    METROPOLE = "metropole", _("Métropole")
    ALSACE_MOSELLE = "alsace-moselle", _("Alsace-Moselle")
    GUADELOUPE = "guadeloupe", _("Guadeloupe")
    MARTINIQUE = "martinique", _("Martinique")
    GUYANE = "guyane", _("Guyane")
    REUNION = "reunion", _("La Réunion")
    MAYOTTE = "mayotte", _("Mayotte")


TERRITORY_TIME_ZONES = {
    Territory.METROPOLE: "Europe/Paris",
    Territory.ALSACE_MOSELLE: "Europe/Paris",
    Territory.GUADELOUPE: "America/Guadeloupe",
    Territory.MARTINIQUE: "America/Martinique",
    Territory.GUYANE: "America/Cayenne",
    Territory.REUNION: "Indian/Reunion",
    Territory.MAYOTTE: "Indian/Mayotte",
}


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(
            _("« %(value)s » n'est pas un fuseau horaire connu."), params={"value": value}
        )


class Region(models.Model):
    """A regional directorate (DR)."""

    code = models.CharField(_("code"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("direction régionale")
        verbose_name_plural = _("directions régionales")

    def __str__(self) -> str:
        return self.name


class Agency(models.Model):
    code = models.CharField(
        _("code agence"),
        max_length=5,
        unique=True,
        validators=[RegexValidator(r"^\d{5}$", _("Le code agence compte exactement 5 chiffres."))],
    )
    name = models.CharField(_("nom"), max_length=150)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="agencies", verbose_name=_("région")
    )
    time_zone = models.CharField(
        _("fuseau horaire"), max_length=64, default="Europe/Paris", validators=[validate_time_zone]
    )
    territory = models.CharField(
        _("calendrier"), max_length=20, choices=Territory.choices, default=Territory.METROPOLE
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("agence")
        verbose_name_plural = _("agences")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[0-9]{5}$"), name="agency_code_five_digits"
            ),
            models.CheckConstraint(
                condition=models.Q(territory__in=Territory.values), name="agency_territory_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class Team(models.Model):
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="teams", verbose_name=_("agence")
    )
    name = models.CharField(_("nom"), max_length=100)
    manager = models.ForeignKey(
        "Counsellor",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_teams",
        verbose_name=_("responsable d'équipe"),
    )

    class Meta:
        ordering = ["agency__code", "name"]
        verbose_name = _("équipe")
        verbose_name_plural = _("équipes")
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="team_unique_name_per_agency")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency.code})" if self.agency_id else self.name

    def clean(self) -> None:
        if self.manager_id and self.agency_id and self.manager.agency_id != self.agency_id:
            raise ValidationError(
                {"manager": _("Le responsable doit appartenir à l'agence de l'équipe.")}
            )


class Counsellor(models.Model):
    """A member of staff at an agency: counsellor, or team manager (who is one too)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="counsellor",
        verbose_name=_("compte"),
    )
    matricule = models.CharField(
        _("matricule"),
        max_length=10,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Z0-9]{4,10}$", _("Le matricule compte 4 à 10 lettres majuscules ou chiffres.")
            )
        ],
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="counsellors", verbose_name=_("agence")
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("équipe"),
    )
    public_address = models.EmailField(
        _("adresse publique"),
        max_length=254,
        unique=True,
        null=True,
        blank=True,
        help_text=_("L'adresse que les demandeurs d'emploi et les entreprises suivis utilisent."),
    )
    handles_jobseekers = models.BooleanField(_("suit des demandeurs d'emploi"), default=True)
    handles_employers = models.BooleanField(_("suit des entreprises"), default=False)
    handles_benefits = models.BooleanField(_("conseiller indemnisation"), default=False)
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        verbose_name = _("conseiller")
        verbose_name_plural = _("conseillers")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(public_address=Lower("public_address"))
                | models.Q(public_address__isnull=True),
                name="counsellor_public_address_lower_case",
            ),
            models.CheckConstraint(
                condition=models.Q(matricule__regex=r"^[A-Z0-9]{4,10}$"),
                name="counsellor_matricule_format",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.matricule

    @property
    def full_name(self) -> str:
        return f"{self.user.first_name} {self.user.last_name}".strip()

    def clean(self) -> None:
        if self.public_address:
            self.public_address = self.public_address.strip().lower()
        if self.team_id and self.agency_id and self.team.agency_id != self.agency_id:
            raise ValidationError({"team": _("L'équipe doit appartenir à l'agence du conseiller.")})

    def save(self, *args, **kwargs):
        # Normalising a field is not a side effect: the constraint wants lower case.
        if self.public_address:
            self.public_address = self.public_address.strip().lower()
        else:
            self.public_address = None
        super().save(*args, **kwargs)


class RegionalPilot(models.Model):
    """Gives a regional pilot their region (pilots are not counsellors)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="regional_pilot",
        verbose_name=_("compte"),
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="pilots", verbose_name=_("région")
    )

    class Meta:
        verbose_name = _("pilote régional")
        verbose_name_plural = _("pilotes régionaux")

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.get_username()} – {self.region}"


class Absence(models.Model):
    counsellor = models.ForeignKey(
        Counsellor, on_delete=models.CASCADE, related_name="absences", verbose_name=_("conseiller")
    )
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    delegate = models.ForeignKey(
        Counsellor,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="delegations",
        verbose_name=_("délégataire"),
        help_text=_("Qui reçoit le courrier pendant l'absence ; vide : la file de l'équipe."),
    )
    reason = models.CharField(_("motif"), max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="absence_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(delegate=models.F("counsellor")),
                name="absence_delegate_not_self",
            ),
        ]
        indexes = [models.Index(fields=["counsellor", "starts_at", "ends_at"])]

    def __str__(self) -> str:
        return f"{self.counsellor} ({self.starts_at:%d/%m/%Y} – {self.ends_at:%d/%m/%Y})"

    def overlapping(self) -> models.QuerySet["Absence"]:
        return Absence.objects.filter(
            counsellor_id=self.counsellor_id, starts_at__lt=self.ends_at, ends_at__gt=self.starts_at
        ).exclude(pk=self.pk)

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("La fin de l'absence doit suivre son début.")})
        if self.delegate_id and self.delegate_id == self.counsellor_id:
            raise ValidationError(
                {"delegate": _("Un conseiller ne peut pas être son propre délégataire.")}
            )
        if self.counsellor_id and self.starts_at and self.ends_at:
            clash = self.overlapping().first()
            if clash:
                raise ValidationError(
                    _(
                        "Cette absence chevauche une absence déjà saisie pour ce conseiller "
                        "(du %(start)s au %(end)s)."
                    ),
                    params={
                        "start": f"{clash.starts_at:%d/%m/%Y %H:%M}",
                        "end": f"{clash.ends_at:%d/%m/%Y %H:%M}",
                    },
                )


class ClosureDay(models.Model):
    """A day an agency is closed on top of its territory's public holidays ([sla])."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="closure_days", verbose_name=_("agence")
    )
    day = models.DateField(_("jour"))
    reason = models.CharField(_("motif"), max_length=200, blank=True)

    class Meta:
        ordering = ["agency__code", "day"]
        verbose_name = _("jour de fermeture")
        verbose_name_plural = _("jours de fermeture")
        constraints = [
            models.UniqueConstraint(fields=["agency", "day"], name="closure_day_once_per_agency")
        ]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} – {self.reason}" if self.reason else f"{self.day:%d/%m/%Y}"
