from django.urls import path

from prossima.practices import views

app_name = "practices"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("mine/", views.mine, name="mine"),
    path("review/", views.review_queue, name="queue"),
    path("like-mine/", views.like_mine, name="like_mine"),
    path("catalogue.csv", views.catalogue_csv, name="catalogue_csv"),
    path("catalogue.json", views.catalogue_json, name="catalogue_json"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/print/", views.printable, name="print"),
    path("<slug:slug>/versions/<int:number>/", views.version, name="version"),
    path("<slug:slug>/pdf/", views.pdf, name="pdf"),
    path("<slug:slug>/edit/", views.edit, name="edit"),
    path("<slug:slug>/submit/", views.submit, name="submit"),
    path("<slug:slug>/review/", views.review, name="review"),
    path("<slug:slug>/revise/", views.revise, name="revise"),
    path("<slug:slug>/withdraw/", views.withdraw, name="withdraw"),
    path("<slug:slug>/reopen/", views.reopen, name="reopen"),
    path("<slug:slug>/documents/", views.attach, name="attach"),
    path("<slug:slug>/documents/<int:pk>/", views.document, name="document"),
    path("<slug:slug>/documents/<int:pk>/remove/", views.detach, name="detach"),
]
