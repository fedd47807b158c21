from django.core.management.base import BaseCommand

from answer_repository.demo.evaluation import labelled_mails, suggestions_measure
from answer_repository.selectors import templates_published


class Command(BaseCommand):
    help = "Mesure les suggestions de modèles sur le jeu de mails étiquetés de la démo."

    def handle(self, *args, **options):
        templates = list(templates_published())
        mails = labelled_mails()
        parts = {
            "tout": mails,
            "réglage": [m for m in mails if not m.held_out],
            "réservé": [m for m in mails if m.held_out],
        }
        for use_audience in (True, False):
            label = "avec public" if use_audience else "sans public"
            for name, part in parts.items():
                rates = suggestions_measure(templates, part, use_audience=use_audience)
                self.stdout.write(
                    f"{label:12} {name:8} n={rates.count:3}  "
                    f"top-1 {rates.top1:6.1%}  top-3 {rates.top3:6.1%}"
                )
