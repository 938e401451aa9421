"""Template helpers for the resident pages."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def url_or_hash(name: str, *args) -> str:
    """Reverse ``name``; "#" when it is not (yet) routed.

    The bottom navigation points at pages of apps built in parallel (visitors, notices, mailbox);
    a missing route must leave the link dead, not crash every resident page.
    """
    try:
        return reverse(name, args=args or None)
    except NoReverseMatch:
        return "#"
