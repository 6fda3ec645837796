from django.urls import path

from . import views

app_name = "awards"

urlpatterns = [
    path("notices/", views.notices, name="notices"),
    path("notices/<int:list_id>/", views.notice, name="notice"),
    path("lists/<int:list_id>/objections/", views.objections, name="objections"),
]
