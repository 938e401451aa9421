"""The questions each Open311 service asks: configuration, not area-bound data,
so Django's own model permissions govern it (superusers by default)."""

from __future__ import annotations

from django.contrib import admin

from shequ.open311.models import ServiceAttribute


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    list_display = ("category", "code", "description", "datatype", "required", "order")
    list_filter = ("category", "datatype", "required")
    search_fields = ("code", "description")
    ordering = ("category", "order", "code")
