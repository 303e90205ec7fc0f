from django.contrib import admin

from prossima.counterfeit.models import ProductAlert, SeizedGoods, Seizure


@admin.register(ProductAlert)
class ProductAlertAdmin(admin.ModelAdmin):
    list_display = ("number", "product_name", "brand", "category", "risk_level", "source")
    list_filter = ("source", "category", "risk_level")
    search_fields = ("number", "product_name", "brand")


class SeizedGoodsInline(admin.TabularInline):
    model = SeizedGoods
    extra = 0


@admin.register(Seizure)
class SeizureAdmin(admin.ModelAdmin):
    list_display = ("seized_on", "tenant", "place_type", "outcome")
    list_filter = ("place_type", "outcome")
    inlines = [SeizedGoodsInline]
