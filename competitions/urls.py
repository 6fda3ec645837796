from django.urls import path

from . import import_views, report_grid, report_views, views, workflow_views

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
    path("projects/declare/", workflow_views.declaration_create, name="declaration-create"),
    path("projects/<int:pk>/edit/", workflow_views.declaration_edit, name="declaration-edit"),
    path(
        "projects/<int:pk>/transition/",
        workflow_views.project_transition,
        name="project-transition",
    ),
    path("review/", workflow_views.review_queue, name="review-queue"),
    path("review/decide/", workflow_views.review_decide, name="review-decide"),
    path("registrations/", workflow_views.registration_list, name="registration-list"),
    path(
        "registrations/request/<int:campaign_pk>/",
        workflow_views.registration_request,
        name="registration-request",
    ),
    path(
        "registrations/<int:pk>/decide/",
        workflow_views.registration_decide,
        name="registration-decide",
    ),
    path("registrations/invite/", workflow_views.registration_invite, name="registration-invite"),
    path("signup/", workflow_views.signup, name="signup"),
    path("reports/", report_views.report_list, name="report-list"),
    path("reports/<int:pk>/", report_views.report_detail, name="report-detail"),
    path("reports/<int:pk>/edit/", report_views.report_edit, name="report-edit"),
    path("reports/<int:pk>/review/", report_views.report_review, name="report-review"),
    path("reports/grid/", report_grid.report_grid, name="report-grid"),
    path("reports/grid.xlsx", report_grid.report_grid_export, name="report-grid-export"),
    path("reports/figures.xlsx", report_grid.report_figures_export, name="report-figures-export"),
    path(
        "report-attachments/<int:pk>/",
        report_views.report_attachment_download,
        name="report-attachment-download",
    ),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment-download"),
    path("documents/<int:pk>/", views.document_download, name="document-download"),
]
