"""factory_boy factories for the whole suite. Tests never load the demo data."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from backoffice.caseloads.models import (
    Assignment,
    AssignmentKind,
    Employer,
    EmployerContact,
    Jobseeker,
    Modality,
    luhn_complete,
)
from backoffice.organisation import roles
from backoffice.organisation.models import (
    Agency,
    Counsellor,
    Region,
    RegionalPilot,
    Team,
    Territory,
)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{n % 1000:03d}")  # codes are 3 characters at most
    name = factory.Sequence(lambda n: f"Région {n}")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    code = factory.Sequence(lambda n: f"{10000 + n:05d}")
    name = factory.Sequence(lambda n: f"Agence {n}")
    region = factory.SubFactory(RegionFactory)
    time_zone = "Europe/Paris"
    territory = Territory.METROPOLE


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"Équipe {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"agent{n}")
    first_name = factory.Sequence(lambda n: f"Prénom{n}")
    last_name = factory.Sequence(lambda n: f"Nom{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@mailnet.test")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


class CounsellorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Counsellor

    user = factory.SubFactory(UserFactory, role=roles.COUNSELLOR)
    matricule = factory.Sequence(lambda n: f"C{n:06d}")
    agency = factory.SubFactory(AgencyFactory)
    team = None
    public_address = factory.Sequence(lambda n: f"conseiller.{n}@mailnet.test")


class RegionalPilotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegionalPilot

    user = factory.SubFactory(UserFactory, role=roles.REGIONAL_PILOT)
    region = factory.SubFactory(RegionFactory)


class JobseekerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jobseeker

    identifier = factory.Sequence(lambda n: f"{1000000 + n:07d}A")
    first_name = factory.Sequence(lambda n: f"Camille{n}")
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    email = factory.Sequence(lambda n: f"de{n}@example.org")
    phone = "0600000000"


class EmployerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employer

    siret = factory.Sequence(lambda n: luhn_complete(f"{4000000000000 + n:013d}"))
    name = factory.Sequence(lambda n: f"Entreprise {n}")


class EmployerContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmployerContact

    employer = factory.SubFactory(EmployerFactory)
    email = factory.Sequence(lambda n: f"rh{n}@entreprise.example")


def modality(code: str = "GUIDE") -> Modality:
    return Modality.objects.get(code=code)


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    jobseeker = factory.SubFactory(JobseekerFactory)
    counsellor = factory.SubFactory(CounsellorFactory)
    kind = AssignmentKind.REFERENT
    modality = factory.LazyFunction(modality)
    starts_on = datetime.date(2026, 1, 5)
