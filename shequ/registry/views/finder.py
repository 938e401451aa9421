"""The person finder and the pickers that forms use to choose a house, area or person."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shequ.accounts.roles import Capability
from shequ.registry import selectors
from shequ.registry.forms import FindForm
from shequ.registry.models import House
from shequ.registry.models.area import AreaLevel
from shequ.registry.views.common import is_htmx

#: picker kind -> the area levels it offers
PICKER_LEVELS = {
    "house": [AreaLevel.HOUSE],
    "unit": [AreaLevel.UNIT],
    "home": [AreaLevel.HOUSE, AreaLevel.COMMUNITY],
    "area": [level for level in AreaLevel if level != AreaLevel.HOUSE],
}
PICKER_LIMIT = 20


@login_required
def person_find(request: HttpRequest) -> HttpResponse:
    form = FindForm(request.GET)
    query = kind = ""
    rows, more = [], False
    if form.is_valid() and form.cleaned_data["q"].strip():
        query = form.cleaned_data["q"]
        kind, found = selectors.person_search(user=request.user, query=query, kind=form.cleaned_data["kind"] or None)
        rows = list(found[: selectors.SEARCH_LIMIT + 1])
        more = len(rows) > selectors.SEARCH_LIMIT
        rows = selectors.attach_addresses(rows[: selectors.SEARCH_LIMIT])
    context = {"form": form, "query": query, "kind": kind, "rows": rows, "more": more,
               "kind_label": dict(selectors.SEARCH_KIND_CHOICES).get(kind, "")}
    template = "registry/person_find_fragment_results.html" if is_htmx(request) else "registry/person_find.html"
    return render(request, template, context)


@login_required
def picker(request: HttpRequest) -> HttpResponse:
    """Radio buttons for the matches of a picker's search box (htmx fragment).

    ``kind`` is house, unit, home (house or community), area or person; ``name``
    is the form field the radios fill. Editing forms ask for ``cap=change``.
    """
    kind = request.GET.get("kind", "area")
    name = request.GET.get("name", kind)
    query = request.GET.get("q", "").strip()
    capability = Capability.CHANGE if request.GET.get("cap") == "change" else Capability.VIEW
    options = []
    if kind == "person":
        if query:
            _kind, people = selectors.person_search(user=request.user, query=query)
            for person in selectors.attach_addresses(people[:PICKER_LIMIT]):
                options.append((person.pk, f"{person.name}  {person.id_number_masked}  {person.area_label}"))
    elif kind in PICKER_LEVELS:
        areas = selectors.area_search(user=request.user, query=query, levels=PICKER_LEVELS[kind],
                                      capability=capability, limit=PICKER_LIMIT)
        values = _picker_values(kind, areas)
        options = [(values[area.pk], area.area_label) for area in areas if area.pk in values]
    return render(request, "registry/picker_fragment_results.html", {
        "options": options, "name": name, "query": query, "limit": PICKER_LIMIT,
    })


def _picker_values(kind: str, areas: list) -> dict[int, int]:
    """{area id: submitted id}: house pickers submit the House id, the others the Area id."""
    if kind == "house":
        return dict(House.objects.filter(area__in=areas).values_list("area_id", "pk"))
    return {area.pk: area.pk for area in areas}
