"""The Exports screen: workbooks built in the background (on demand or monthly), each
downloadable only by who may read its scope, until its retention ends."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from ..models import ExportJob
from ..selectors.scope import report_scope_for


def exports_visible_to(user):
    """The export jobs `user` may see and download.

    National administrator: all. Pilot: their regions' jobs without counsellor detail.
    Manager: their agency's jobs. Anyone also sees the jobs they requested (whose scope
    was theirs when they asked).
    """
    scope = report_scope_for(user)
    jobs = ExportJob.objects.select_related("region", "agency", "requested_by")
    if not scope.allowed:
        return jobs.none()
    if scope.everything:
        return jobs
    visible = Q(requested_by=user)
    if scope.region_ids:
        visible |= Q(region_id__in=scope.region_ids, with_counsellors=False)
    if scope.agency_ids:
        visible |= Q(agency_id__in=scope.agency_ids)
    return jobs.filter(visible)


def exports_index(request):
    if not report_scope_for(request.user).allowed:
        raise PermissionDenied
    jobs = list(exports_visible_to(request.user)[:200])
    return TemplateResponse(
        request,
        "reports/exports.html",
        {"page_title": _("Exports"), "header_title": _("Exports Excel"), "jobs": jobs},
    )


def exports_download(request, pk: int):
    job = get_object_or_404(exports_visible_to(request.user), pk=pk)
    if job.state != ExportJob.State.DONE or not job.file:
        raise Http404
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename)
