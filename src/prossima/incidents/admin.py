from django.contrib import admin

from prossima.incidents.models import Category, CategoryMapping, Dataset, Import


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
