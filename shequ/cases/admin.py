"""Admin for the data stewards: the category tree, deadline policies and the
holiday calendar are data an administrator keeps up (next year's 调休 days are
entered here once the State Council publishes them). Cases themselves change only
through the services, so they are read-only here."""

from django.contrib import admin

from shequ.cases.models import CalendarDay, Case, Category, DeadlinePolicy


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "parent", "group", "deadline_class", "hotline_labels", "is_active", "sort")
    list_filter = ("group", "deadline_class", "is_active")
    search_fields = ("name", "code", "hotline_labels")
    ordering = ("sort", "code")


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = ("deadline_class", "amount", "unit", "warn_before_hours")


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    date_hierarchy = "date"
    search_fields = ("name",)


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "category", "channel", "status", "level", "received_at", "due_at")
    list_filter = ("status", "level", "channel")
    search_fields = ("number", "title")

    def get_queryset(self, request):
        # the admin follows the same scoping as every page
        return Case.objects.visible_to(request.user, "cases.view").select_related("category")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
