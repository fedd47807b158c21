"""The HTML frame of one message, attachments, remote images, undistributed raw mails.

The thread page itself is the inbox's (`inbox:thread`). These endpoints follow the same
reading rule (`inbox_selectors.threads_readable_by`): a thread a counsellor opened through
the person lookup shows its HTML and attachments too.

Mail HTML is only ever shown through `message_html`: a document served with a CSP that
forbids scripts and every remote load, inside an iframe sandboxed without scripts or
same-origin. Attachments always download (`Content-Disposition: attachment`, nosniff),
except raster images asked for inline by that frame.
"""

import base64
import re

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import inbox_selectors, selectors
from .models import Attachment, Message
from .services.display import thread_remote_images_allow

INLINE_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
INLINE_IMAGE_MAX_BYTES = 2 * 1024 * 1024
_ATTACHMENT_SRC_RE = re.compile(r'src="/admin/correspondence/attachments/(\d+)/\?inline=1"')


def _require(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied


def _readable_thread_ids(user):
    return inbox_selectors.threads_readable_by(user=user).values("pk")


@require_POST
def thread_remote_images(request, pk: int):
    _require(request.user, "correspondence.view_thread")
    thread = get_object_or_404(inbox_selectors.threads_readable_by(user=request.user), pk=pk)
    thread_remote_images_allow(thread=thread, user=request.user)
    flash.success(request, _("Les images distantes de ce fil sont affichées (choix enregistré)."))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("wagtailadmin_home")
    return redirect(next_url)


def _frame_csp(request, *, remote_allowed: bool) -> str:
    prefix = reverse("correspondence:attachment", args=[0]).rsplit("/0/", 1)[0] + "/"
    # data: carries the message's own inline images (see _inline_images); the sanitiser
    # drops every data: URL that came with the mail itself.
    images = request.build_absolute_uri(prefix) + " data:"
    if remote_allowed:
        images += " https: http:"
    return (
        f"default-src 'none'; img-src {images}; style-src 'unsafe-inline'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"
    )


def message_html(request, pk: int):
    """The sanitised HTML of one message, as a document for the sandboxed iframe."""
    _require(request.user, "correspondence.view_message")
    message = get_object_or_404(
        Message.objects.select_related("thread").filter(
            thread_id__in=_readable_thread_ids(request.user)
        ),
        pk=pk,
    )
    remote_allowed = message.has_remote_images and selectors.thread_remote_images_allowed(
        thread=message.thread, user=request.user
    )
    body = message.body_html_with_remote_images if remote_allowed else message.body_html
    body = _inline_images(message, body)
    document = format_html(
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="referrer" content="no-referrer">'
        "<style>body{{font-family:sans-serif;margin:8px;overflow-wrap:anywhere}}"
        "img{{max-width:100%}}</style></head><body>{}</body></html>",
        _SafeStored(body),
    )
    response = HttpResponse(document, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = _frame_csp(request, remote_allowed=remote_allowed)
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


def _inline_images(message: Message, html: str) -> str:
    """Embeds the message's own `cid:` images: a sandboxed frame has no session cookie."""
    wanted = {int(pk) for pk in _ATTACHMENT_SRC_RE.findall(html)}
    if not wanted:
        return html
    images = {}
    for attachment in message.attachments.filter(
        pk__in=wanted,
        content_type__in=INLINE_IMAGE_TYPES,
        extracted=True,
        size__lte=INLINE_IMAGE_MAX_BYTES,
    ):
        with attachment.file.open("rb") as handle:
            encoded = base64.b64encode(handle.read()).decode("ascii")
        images[attachment.pk] = f'src="data:{attachment.content_type};base64,{encoded}"'
    return _ATTACHMENT_SRC_RE.sub(lambda m: images.get(int(m.group(1)), 'src=""'), html)


class _SafeStored(str):
    """HTML sanitised by nh3 when it was stored (sanitize.html_sanitise): already safe."""

    def __html__(self):
        return str(self)


def attachment_download(request, pk: int):
    _require(request.user, "correspondence.view_attachment")
    attachment = get_object_or_404(
        Attachment.objects.filter(message__thread_id__in=_readable_thread_ids(request.user)),
        pk=pk,
    )
    if not attachment.extracted or not attachment.file:
        raise Http404(_("Pièce gardée dans le courriel brut seulement."))
    inline = request.GET.get("inline") == "1" and attachment.content_type in INLINE_IMAGE_TYPES
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.name,
        content_type=attachment.content_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def triage_index(request):
    """Raw mails that became no thread (unparseable, oversized): the triage threads
    themselves are in the team queue (`inbox:queue`, category "à trier")."""
    _require(request.user, "correspondence.view_rawmail")
    context = {
        "title": _("Courriels non distribués"),
        "raw_mails": selectors.triage_raw_mails_for(user=request.user)[:200],
    }
    return TemplateResponse(request, "correspondence/triage_index.html", context)
