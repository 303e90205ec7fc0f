from django.contrib import admin
from django.http import HttpRequest

from prossima.incidents.models import (
    Category,
    CategoryMapping,
    CitizenReport,
    Dataset,
    Import,
    ReportCategory,
    ReportRouting,
    ReportUpdate,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("tenant", "code", "label_it", "label_en", "sensitive")
    list_filter = ("sensitive",)


@admin.register(CategoryMapping)
class CategoryMappingAdmin(admin.ModelAdmin):
    list_display = ("tenant", "source_label", "category")


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("name", "tenant", "source_kind", "created_at")


@admin.register(Import)
class ImportAdmin(admin.ModelAdmin):
    list_display = ("filename", "dataset", "status", "rows", "created", "rejected", "started_at")
    readonly_fields = [f.name for f in Import._meta.fields]


@admin.register(ReportCategory)
class ReportCategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "label_it", "label_en", "position", "active", "sensitive")
    list_editable = ("position", "active")


@admin.register(ReportRouting)
class ReportRoutingAdmin(admin.ModelAdmin):
    list_display = ("tenant", "category", "organisation")


class ReportUpdateInline(admin.TabularInline):
    model = ReportUpdate
    extra = 0
    readonly_fields = (
        "old_status",
        "new_status",
        "comment",
        "author",
        "organisation",
        "created_at",
    )
    can_delete = False


@admin.register(CitizenReport)
class CitizenReportAdmin(admin.ModelAdmin):
    """Read-only: reports change through the moderation and status pages, which audit."""

    list_display = ("pk", "title", "comune", "category", "status", "moderation_state", "created_at")
    list_filter = ("status", "moderation_state", "illustrative")
    readonly_fields = [f.name for f in CitizenReport._meta.fields]
    inlines = [ReportUpdateInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
