"""Template helpers for the registry pages."""

from __future__ import annotations

from django import template

register = template.Library()

#: top-nav module -> url-name prefixes that belong to it
NAV_MODULES = {
    "home": ("home", "area_"),
    "people": ("person_list", "person_detail", "person_create", "person_edit", "person_delete", "residence_"),
    "houses": ("house_",),
    "organizations": ("organization_", "member_"),
    "vehicles": ("vehicle_",),
    "facilities": ("facility_",),
    "find": ("person_find",),
}


@register.simple_tag(takes_context=True)
def nav_active(context, module: str) -> str:
    """' active' when the current page belongs to ``module`` (for the top nav)."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if not match or match.namespace != "registry":
        return ""
    return " active" if match.url_name.startswith(NAV_MODULES.get(module, ())) else ""


@register.inclusion_tag("registry/_field.html")
def field(bound_field, **attrs):
    """One form field with its label, help text and its own error messages."""
    return {"field": bound_field, "wide": attrs.get("wide", False)}


@register.filter
def indent(area, base: int = 0) -> str:
    """An area name indented by its depth, for <option> labels."""
    return "\u3000" * max(area.depth - base, 0) + area.name


@register.filter
def min_depth(areas) -> int:
    return min((area.depth for area in areas), default=0)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
