from django.urls import path

from . import import_views, views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("campaigns/", views.CampaignListView.as_view(), name="campaign-list"),
    path("campaigns/<int:pk>/", views.CampaignDetailView.as_view(), name="campaign-detail"),
    path("zones/", views.ZoneListView.as_view(), name="zone-list"),
    path("zones/<int:pk>/", views.ZoneDetailView.as_view(), name="zone-detail"),
    path("units/", views.UnitListView.as_view(), name="unit-list"),
    path("units/<int:pk>/", views.UnitDetailView.as_view(), name="unit-detail"),
    path("units/import/", import_views.import_units, name="unit-import"),
    path("units/import/template.xlsx", import_views.import_template, name="unit-import-template"),
    path("projects/", views.ProjectListView.as_view(), name="project-list"),
    path("projects/<int:pk>/", views.ProjectDetailView.as_view(), name="project-detail"),
]
