"""Django admin for accounts, for data stewards, scoped like every page.

- Users: the system administrator (accounts.manage_users), inside their areas; never
  superusers or holders of the three administrator roles.
- Role grants: the security administrator (accounts.manage_grants); adding and
  revoking go through the services. Grants are never edited or deleted, only revoked.
- Audit records: the auditor only (audit.read), read-only for everybody, superusers included.

Permissions come from role grants, not from Django's model permissions, so the
separation of the three administrators holds in the admin too.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shequ.accounts import selectors, services
from shequ.accounts.audit import Actor
from shequ.accounts.forms import GrantForm
from shequ.accounts.models import AuditRecord, RoleGrant, User
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can


def _login_through_accounts(request, extra_context=None):
    """The admin's own login form would skip the second factor and the lockout."""
    if request.user.is_authenticated:
        # logged in but not admin staff: sending them to the login page would loop
        raise PermissionDenied
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"), reverse("accounts:login"))


admin.site.login = _login_through_accounts


def _actor(request) -> Actor:
    return Actor.from_request(request, via="admin")


class CapabilityAdmin(admin.ModelAdmin):
    """Visible and usable by holders of ``capability``; nothing is ever deleted here."""

    capability: str = ""

    def _allowed(self, request) -> bool:
        return user_can(request.user, self.capability)

    def has_module_permission(self, request) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyCapabilityAdmin(CapabilityAdmin):
    """Shown to holders of ``capability``, changed by nobody here: its rows come from
    services, migrations or seeds."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(CapabilityAdmin, DjangoUserAdmin):
    capability = Capability.MANAGE_USERS
    list_display = ("username", "display_name", "is_active", "is_staff", "totp_enrolled", "locked_until", "last_login")
    list_filter = ("is_active", "is_staff")
    search_fields = ("username", "display_name", "email")
    ordering = ("username",)
    filter_horizontal = ()
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("display_name", "last_name", "first_name", "email")}),
        (_("状态"), {"fields": ("is_active", "is_staff")}),
        (_("登录情况"), {"fields": ("last_login", "date_joined", "totp_enrolled", "failed_logins", "locked_until")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "display_name", "usable_password", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined", "totp_enrolled", "failed_logins", "locked_until")

    @admin.display(boolean=True, description=_("动态口令"))
    def totp_enrolled(self, obj: User) -> bool:
        return obj.has_totp

    def get_queryset(self, request):
        return selectors.user_list(viewer=request.user, capability=self.capability, include_administrators=False)

    def save_model(self, request, obj, form, change) -> None:
        services.user_save(actor=_actor(request), user=obj, created=not change, changed_fields=form.changed_data)

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        # the admin's password form saves by itself; this is where it can be audited
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "auth_user_password_change":
            services.user_password_changed(actor=_actor(request), user=obj)
        return entry


@admin.register(RoleGrant)
class RoleGrantAdmin(CapabilityAdmin):
    capability = Capability.MANAGE_GRANTS
    list_display = ("user", "role", "area", "granted_by", "created_at", "revoked_at")
    list_filter = ("role", ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("user", "area", "granted_by")
    search_fields = ("user__username", "user__display_name", "area__code", "area__name")
    readonly_fields = ("user", "role", "area", "granted_by", "created_at", "revoked_at")
    actions = ["revoke_selected"]

    def get_queryset(self, request):
        return selectors.grant_list(viewer=request.user, include_revoked=True)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a grant is revoked and granted anew, never edited

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)

        class ScopedGrantForm(GrantForm):
            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, viewer=request.user, **form_kwargs)

        kwargs.update(form=ScopedGrantForm, fields=["user", "role", "area"])
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["user", "role", "area"] if obj is None else list(self.readonly_fields)

    def save_model(self, request, obj, form, change) -> None:
        grant = services.grant_role(actor=_actor(request), user=obj.user, role=obj.role, area=obj.area)
        # point the admin's message and log entry at the row the service wrote
        obj.pk, obj.granted_by, obj.created_at = grant.pk, grant.granted_by, grant.created_at

    @admin.action(description=_("撤销所选授权"))
    def revoke_selected(self, request, queryset) -> None:
        revoked = 0
        for grant in queryset.filter(revoked_at__isnull=True).select_related("user", "area"):
            services.revoke_grant(actor=_actor(request), grant=grant)
            revoked += 1
        self.message_user(request, _("已撤销 %(count)d 项授权。") % {"count": revoked}, messages.SUCCESS)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyCapabilityAdmin):
    """Read-only for everybody; visible to auditors only. Reading it is audited."""

    capability = Capability.READ_AUDIT
    list_display = ("seq", "at", "actor_name", "ip", "action", "object_type", "object_id", "area_path")
    search_fields = ("=actor_name", "^action", "=object_type", "=object_id")
    actions = None
    show_full_result_count = False  # one COUNT(*) over the whole log per page is enough

    def get_queryset(self, request):
        return selectors.audit_record_list(viewer=request.user)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in AuditRecord._meta.fields]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        services.audit_log_read(actor=_actor(request), filters=selectors.AuditFilters())
        return super().changelist_view(request, extra_context)
