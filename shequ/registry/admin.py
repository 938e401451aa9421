"""The Django admin for data stewards: scoped like every page, writing through
the services like every page.

:class:`RegistryAdminMixin` gives each ModelAdmin three rules:
- rows come from ``visible_to(request.user)``; foreign-key choices too;
- every ``has_*_permission`` asks ``user_can`` at the row's area;
- a save or delete calls the service. The form first runs the same service call
  inside a savepoint that is rolled back, so a service ValidationError shows next
  to its field instead of failing after the admin has accepted the form.

ID and phone numbers are never edited raw: forms offer clear ``id_number`` and
``phone`` fields that feed the services, which encrypt, hash and mask them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models, transaction
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from shequ.accounts.admin import ReadOnlyCapabilityAdmin
from shequ.accounts.audit import Actor
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.core.scoping import ScopedQuerySet
from shequ.registry import selectors, services
from shequ.registry.codes import ETHNICITY_CHOICES, POLITICAL_STATUS_CHOICES
from shequ.registry.forms import BLANK, add_service_errors
from shequ.registry.services.things import FACILITY_FIELDS
from shequ.registry.models import (
    Area, CareTag, Facility, House, Organization, OrganizationMember, Person, Residence, Vehicle,
)


ADMIN_SEARCH_LIMIT = 1000


class CappedCountPaginator(Paginator):
    """Counts at most ``cap`` rows: a changelist over a million people would
    otherwise spend longer on COUNT(*) than on the page."""

    cap = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.cap].count()


class ScopedRawIdWidget(admin.widgets.ForeignKeyRawIdWidget):
    """The raw-id input names the chosen row next to it; only a row the user may
    see is named (``?area=<id>`` on an add page would otherwise reveal any area)."""

    def __init__(self, rel, admin_site, queryset, **kwargs):
        super().__init__(rel, admin_site, **kwargs)
        self.queryset = queryset

    def label_and_url_for_value(self, value):
        if value in (None, "") or not self.queryset.filter(pk=value).exists():
            return "", ""
        return super().label_and_url_for_value(value)


class _DryRun(Exception):
    """Raised to roll back the validating service call."""


class ServiceAdminForm(forms.ModelForm):
    """Validates by running the admin's service call in a rolled-back savepoint."""

    model_admin: RegistryAdminMixin | None = None
    admin_request = None

    def _post_clean(self) -> None:
        # the model's own full_clean is skipped: the service runs it on what it saves
        if self.errors or self.model_admin is None:
            return
        original = self.model_admin.fresh(self.admin_request, self.instance)
        try:
            with transaction.atomic():
                self.model_admin.service_save(self.model_admin.actor(self.admin_request), original, self.cleaned_data)
                raise _DryRun
        except _DryRun:
            pass
        except ValidationError as exc:
            add_service_errors(self, exc, getattr(self.model_admin, "service_field_map", None))
        except PermissionDenied as exc:
            self.add_error(None, str(exc) or _("您无权在该区域执行此操作。"))


class RegistryAdminMixin:
    """Scope, permissions and service-backed saves for a registry ModelAdmin."""

    #: dotted path from a row to its Area, for permission checks
    area_attr = "area"
    form = ServiceAdminForm
    paginator = CappedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    can_delete = True

    # --- scope ---
    def get_queryset(self, request):
        queryset = self.model._default_manager.all()
        if isinstance(queryset, ScopedQuerySet):
            queryset = queryset.visible_to(request.user)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model._default_manager.all()
        if isinstance(related, ScopedQuerySet):
            kwargs["queryset"] = related.visible_to(request.user)
            if db_field.name in self.raw_id_fields:
                kwargs["widget"] = ScopedRawIdWidget(db_field.remote_field, self.admin_site, kwargs["queryset"],
                                                     using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def area_of(self, obj) -> Area:
        for part in self.area_attr.split("."):
            obj = obj if part == "self" else getattr(obj, part)
        return obj

    # --- permissions ---
    def has_module_permission(self, request) -> bool:
        return user_can(request.user, Capability.VIEW)

    def has_view_permission(self, request, obj=None) -> bool:
        return user_can(request.user, Capability.VIEW, self.area_of(obj) if obj else None)

    def has_add_permission(self, request, *args) -> bool:
        return user_can(request.user, Capability.CHANGE)

    def has_change_permission(self, request, obj=None) -> bool:
        return user_can(request.user, Capability.CHANGE, self.area_of(obj) if obj else None)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.can_delete and user_can(request.user, Capability.CHANGE, self.area_of(obj) if obj else None)

    # --- writes through the services ---
    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"model_admin": self, "admin_request": request})

    @staticmethod
    def actor(request) -> Actor:
        return Actor.from_request(request, via="admin")

    def fresh(self, request, instance) -> models.Model | None:
        """The row as stored (the admin mutates its instance before save_model)."""
        if instance is None or instance.pk is None:
            return None
        return self.get_queryset(request).get(pk=instance.pk)

    def service_save(self, actor: Actor, original, data: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def save_model(self, request, obj, form, change) -> None:
        saved = self.service_save(self.actor(request), self.fresh(request, obj) if change else None, form.cleaned_data)
        for field in saved._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False

    def save_related(self, request, form, formsets, change) -> None:
        """Relations are saved by the services (care tags, members), never by the form."""

    def delete_model(self, request, obj) -> None:
        services.audited_delete(self.actor(request), obj, self.area_of(obj))

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


def _pick(data: dict, *names: str) -> dict:
    return {name: data[name] for name in names if name in data}


# --- areas and houses ---------------------------------------------------------------------------------------------

@admin.register(Area)
class AreaAdmin(RegistryAdminMixin, admin.ModelAdmin):
    area_attr = "self"
    can_delete = False  # retired, never deleted: IDs and old records point at areas
    list_display = ["name", "level", "code", "path", "retired_on"]
    list_filter = ["level"]
    search_fields = ["=code", "name"]
    raw_id_fields = ["parent"]
    fields = ["parent", "level", "code", "name", "retired_on"]

    def get_readonly_fields(self, request, obj=None):
        return ["parent", "level", "code"] if obj else []

    def service_save(self, actor, original, data):
        if original is None:
            return services.area_create(actor=actor, **_pick(data, "parent", "level", "code", "name"))
        area = services.area_update(actor=actor, area=original, name=data["name"])
        if data.get("retired_on") and not original.retired_on:
            area = services.area_retire(actor=actor, area=area, on=data["retired_on"])
        return area


class HouseAdminForm(ServiceAdminForm):
    unit = forms.ModelChoiceField(queryset=Area.objects.none(), required=False, widget=forms.TextInput,
                                  label=_("所在单元（区域ID）"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "unit" in self.fields and self.admin_request is not None:
            self.fields["unit"].queryset = Area.objects.visible_to(self.admin_request.user).filter(level="unit")
            self.fields["unit"].required = True


@admin.register(House)
class HouseAdmin(RegistryAdminMixin, admin.ModelAdmin):
    form = HouseAdminForm
    can_delete = False
    list_display = ["number", "area", "floor", "floor_area", "use", "status", "ownership"]
    list_filter = ["status", "use", "ownership"]
    list_select_related = ["area"]
    search_fields = ["=number"]
    service_field_map = {"code": "number", "name": "number"}

    def get_fields(self, request, obj=None):
        head = ["area"] if obj else ["unit"]
        return head + ["number", "floor", "floor_area", "use", "status", "ownership"]

    def get_readonly_fields(self, request, obj=None):
        return ["area"] if obj else []

    def service_save(self, actor, original, data):
        fields = _pick(data, "number", "floor", "floor_area", "use", "status", "ownership")
        if original is None:
            return services.house_create(actor=actor, unit=data["unit"], **fields)
        return services.house_update(actor=actor, house=original, **fields)


# --- people -------------------------------------------------------------------------------------------------------

class PersonAdminForm(ServiceAdminForm):
    id_number = forms.CharField(label=_("证件号码"), max_length=40, required=False,
                                help_text=_("修改时留空则不变。"))
    phone = forms.CharField(label=_("手机号码"), max_length=20, required=False, help_text=_("修改时留空则不变。"))
    clear_phone = forms.BooleanField(label=_("删除手机号码"), required=False)
    ethnicity = forms.ChoiceField(label=_("民族"), required=False, choices=BLANK + ETHNICITY_CHOICES)
    political_status = forms.ChoiceField(label=_("政治面貌"), required=False, choices=BLANK + POLITICAL_STATUS_CHOICES)
    care_tag_codes = forms.MultipleChoiceField(label=_("关爱标签"), required=False,
                                               widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["care_tag_codes"].choices = [(tag.code, tag.name) for tag in CareTag.objects.order_by("code")]
        if self.instance.pk:
            self.fields["care_tag_codes"].initial = [tag.code for tag in self.instance.care_tags.all()]
        else:
            self.fields["id_number"].required = True


@admin.register(Person)
class PersonAdmin(RegistryAdminMixin, admin.ModelAdmin):
    form = PersonAdminForm
    list_display = ["name", "gender", "birth_date", "id_number_masked", "phone_masked", "area"]
    list_filter = ["id_type", "gender"]
    list_select_related = ["area"]
    raw_id_fields = ["area"]
    search_fields = ["name"]  # replaced by the indexed finder below
    fields = ["name", "id_type", "id_number", "id_number_masked", "phone", "phone_masked", "clear_phone",
              "gender", "birth_date", "ethnicity", "political_status", "care_tag_codes", "area", "note"]
    readonly_fields = ["id_number_masked", "phone_masked", "gender", "birth_date"]
    ordering = ["name", "pk"]

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        _kind, found = selectors.person_search(user=request.user, query=search_term)
        return queryset.filter(pk__in=found.values("pk")[:ADMIN_SEARCH_LIMIT]), False

    def service_save(self, actor, original, data):
        common = _pick(data, "name", "ethnicity", "political_status", "note", "area")
        if original is None:
            return services.person_create(
                actor=actor, id_type=data["id_type"], id_number=data["id_number"], phone=data.get("phone", ""),
                care_tags=data["care_tag_codes"], **common,
            )
        changes: dict[str, Any] = {"care_tags": data["care_tag_codes"], **common}
        if data["id_number"] or data["id_type"] != original.id_type:
            changes.update(id_type=data["id_type"], id_number=data["id_number"] or None)
        if data.get("clear_phone"):
            changes["phone"] = ""
        elif data.get("phone"):
            changes["phone"] = data["phone"]
        if changes.get("area") == original.area:
            changes.pop("area")
        return services.person_update(actor=actor, person=original, **changes)


@admin.register(CareTag)
class CareTagAdmin(ReadOnlyCapabilityAdmin):
    """A reference table: readable by registry users, changed only by migrations or seeds."""

    capability = Capability.VIEW
    list_display = ["code", "name"]


@admin.register(Residence)
class ResidenceAdmin(RegistryAdminMixin, admin.ModelAdmin):
    area_attr = "house.area"
    can_delete = False  # moving out keeps history
    list_display = ["person", "house", "relation", "population_type", "start_date", "end_date"]
    list_filter = ["relation", "population_type"]
    list_select_related = ["person", "house"]
    raw_id_fields = ["person", "house"]
    fields = ["person", "house", "relation", "population_type", "start_date", "lease_end", "end_date"]

    def get_readonly_fields(self, request, obj=None):
        if obj:
            return ["person", "house", "relation", "population_type", "start_date", "lease_end"]
        return ["end_date"]

    def service_save(self, actor, original, data):
        if original is None:
            return services.residence_start(
                actor=actor, **_pick(data, "person", "house", "relation", "population_type", "start_date", "lease_end")
            )
        if data.get("end_date") and data["end_date"] != original.end_date:
            return services.residence_end(actor=actor, residence=original, end_date=data["end_date"])
        return original


# --- organizations, vehicles, facilities -------------------------------------------------------------------------

@admin.register(Organization)
class OrganizationAdmin(RegistryAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "uscc", "area"]
    list_filter = ["kind"]
    list_select_related = ["area"]
    raw_id_fields = ["area"]
    search_fields = ["name", "=uscc"]
    fields = ["name", "kind", "uscc", "area", "address", "legal_representative"]

    def service_save(self, actor, original, data):
        fields = _pick(data, "name", "kind", "uscc", "area", "address", "legal_representative")
        if original is None:
            return services.organization_create(actor=actor, **fields)
        return services.organization_update(actor=actor, organization=original, **fields)


@admin.register(OrganizationMember)
class OrganizationMemberAdmin(RegistryAdminMixin, admin.ModelAdmin):
    area_attr = "organization.area"
    can_delete = False
    list_display = ["person", "organization", "role", "is_contact", "start_date", "end_date"]
    list_select_related = ["person", "organization"]
    raw_id_fields = ["organization", "person"]
    fields = ["organization", "person", "role", "is_contact", "start_date", "end_date"]

    def get_readonly_fields(self, request, obj=None):
        return ["organization", "person", "role", "is_contact", "start_date"] if obj else ["end_date"]

    def service_save(self, actor, original, data):
        if original is None:
            return services.organization_member_add(
                actor=actor, **_pick(data, "organization", "person", "role", "is_contact", "start_date")
            )
        if data.get("end_date") and data["end_date"] != original.end_date:
            return services.organization_member_end(actor=actor, member=original, end_date=data["end_date"])
        return original


@admin.register(Vehicle)
class VehicleAdmin(RegistryAdminMixin, admin.ModelAdmin):
    list_display = ["plate", "plate_kind", "owner", "area"]
    list_filter = ["plate_kind"]
    list_select_related = ["owner", "area"]
    raw_id_fields = ["owner", "house", "area"]
    search_fields = ["plate"]
    fields = ["plate", "owner", "house", "parking_space", "brand", "color", "area"]

    def service_save(self, actor, original, data):
        fields = _pick(data, "plate", "owner", "house", "parking_space", "brand", "color", "area")
        if original is None:
            return services.vehicle_create(actor=actor, **fields)
        return services.vehicle_update(actor=actor, vehicle=original, **fields)


@admin.register(Facility)
class FacilityAdmin(RegistryAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "status", "area", "next_inspection_on"]
    list_filter = ["kind", "status"]
    list_select_related = ["area"]
    raw_id_fields = ["area"]
    search_fields = ["name", "=serial"]
    fields = ["kind", "name", "serial", "area", "location", "latitude", "longitude", "status", "installed_on",
              "last_inspected_on", "next_inspection_on"]

    def service_save(self, actor, original, data):
        fields = _pick(data, *FACILITY_FIELDS)
        if original is None:
            return services.facility_create(actor=actor, **fields)
        return services.facility_update(actor=actor, facility=original, **fields)
