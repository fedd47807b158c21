"""The public satisfaction page (no login): one rating per reply, from a signed link."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ..forms import RatingForm
from ..models import Rating
from ..services.ratings import RatingRefused, rating_message_for, rating_record


@never_cache
@require_http_methods(["GET", "POST"])
def rate(request, token: str):
    try:
        message = rating_message_for(token=token)
    except RatingRefused as refused:
        return render(request, "reports/public/rate.html", {"refused": str(refused)}, status=410)
    if Rating.objects.filter(message=message).exists():
        return render(request, "reports/public/rate.html", {"already": True})
    if request.method == "POST":
        form = RatingForm(request.POST)
        if form.is_valid():
            try:
                rating_record(
                    token=token,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
            except RatingRefused:
                return render(request, "reports/public/rate.html", {"already": True})
            return render(request, "reports/public/rate.html", {"thanks": True})
    else:
        note = request.GET.get("note")
        form = RatingForm(initial={"score": int(note)} if note in {"1", "2", "3", "4", "5"} else {})
    return render(request, "reports/public/rate.html", {"form": form})
