"""What a resident shares with a visitor: the QR code (SVG, made here, nothing
external) and a ready-to-send text with the share link. Sending the text (SMS)
is the residents app's pluggable backend; this only words it."""

from __future__ import annotations

import segno
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from shequ.visitors.models import VisitorPass


def share_path(visitor_pass: VisitorPass) -> str:
    """The share link's path; make it absolute with ``request.build_absolute_uri``."""
    from django.urls import reverse

    return reverse("visitors:pass_share", args=[visitor_pass.share_key])


def qr_svg(text: str) -> SafeString:
    """The QR code of ``text`` as inline SVG that scales to its box. Error correction
    M: the code stays readable on a cracked or dim phone screen."""
    code = segno.make(text, error="m", micro=False)
    # segno writes only path data and the class given here: nothing from the text itself is markup
    return mark_safe(code.svg_inline(scale=1, border=4, omitsize=True, svgclass="pass-qr"))  # noqa: S308


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%m-%d %H:%M")


def share_text(visitor_pass: VisitorPass, *, url: str, host_label: str | None = None) -> str:
    """The message a resident sends their visitor (SMS, chat): who invites, when, how
    many entries, the link (``url``: the absolute share link). ``host_label`` is the
    household's address, looked up when not given."""
    if host_label is None:
        from shequ.registry.selectors import address_labels

        host_label = address_labels([visitor_pass.area]).get(visitor_pass.area_id, "")
    return _("%(name)s您好，%(host)s为您办理了访客通行证：%(start)s至%(end)s有效，可通行%(entries)s次。"
             "到达时请在门禁处出示二维码：%(url)s") % {
        "name": visitor_pass.visitor_name, "host": host_label, "start": _when(visitor_pass.valid_from),
        "end": _when(visitor_pass.valid_until), "entries": visitor_pass.max_entries, "url": url}
