from django.urls import path

from . import certificate_views, summary_views, views

app_name = "awards"

urlpatterns = [
    path("notices/", views.notices, name="notices"),
    path("notices/<int:list_id>/", views.notice, name="notice"),
    path("lists/<int:list_id>/objections/", views.objections, name="objections"),
    # Honours pages (views): rules, lists and their actions, nominations, instant honours.
    path("", views.index, name="index"),
    path("campaigns/<int:campaign_id>/rules/", views.rules, name="rules"),
    path("campaigns/<int:campaign_id>/instant/", views.instant, name="instant"),
    path("rules/<int:rule_id>/edit/", views.rule_edit, name="rule-edit"),
    path("rules/<int:rule_id>/delete/", views.rule_delete, name="rule-delete"),
    path("rules/<int:rule_id>/", views.honour_list, name="list"),
    path("rules/<int:rule_id>/status/", views.list_status, name="list-status"),
    path("rules/<int:rule_id>/generate/", views.generate, name="list-generate"),
    path("rules/<int:rule_id>/add/", views.entry_add, name="entry-add"),
    path("rules/<int:rule_id>/publish/", views.publish, name="list-publish"),
    path("rules/<int:rule_id>/confirm/", views.confirm, name="list-confirm"),
    path(
        "rules/<int:rule_id>/entries/<int:entry_id>/remove/",
        views.entry_remove,
        name="entry-remove",
    ),
    path("rules/<int:rule_id>/entries/<int:entry_id>/keep/", views.entry_keep, name="entry-keep"),
    path(
        "rules/<int:rule_id>/entries/<int:entry_id>/nominate/",
        views.entry_nominate,
        name="entry-nominate",
    ),
    path("nominations/", views.nominations, name="nominations"),
    path("nominations/<int:entry_id>/", views.nominate, name="nominate"),
    # Certificates (certificate_views): downloads for staff and units, public verification.
    path("certificates/", certificate_views.certificate_list, name="certificates"),
    path("certificates/<int:pk>/pdf/", certificate_views.certificate_pdf, name="certificate-pdf"),
    path(
        "lists/<int:list_id>/certificates/",
        certificate_views.list_certificates,
        name="list-certificates",
    ),
    path(
        "lists/<int:list_id>/certificates/zip/",
        certificate_views.list_certificates_zip,
        name="list-certificates-zip",
    ),
    path(
        "lists/<int:list_id>/certificates/pdf/",
        certificate_views.list_certificates_booklet,
        name="list-certificates-pdf",
    ),
    path("verify/", certificate_views.verify, name="verify"),
    path("verify/<str:code>/", certificate_views.verify_code, name="verify-code"),
    # Summaries (summary_views): history and "build now", one summary with its exports, the
    # build's progress, the leadership's overview screen.
    path("summaries/", summary_views.index, name="summaries"),
    path(
        "summaries/campaigns/<int:campaign_id>/",
        summary_views.campaign_summaries,
        name="summary-campaign",
    ),
    path(
        "summaries/campaigns/<int:campaign_id>/build/",
        summary_views.build_now,
        name="summary-build",
    ),
    path(
        "summaries/campaigns/<int:campaign_id>/screen/",
        summary_views.overview,
        name="summary-overview",
    ),
    path("summaries/<int:build_id>/", summary_views.summary, name="summary"),
    path("summaries/<int:build_id>/status/", summary_views.build_status, name="summary-status"),
    path("summaries/<int:build_id>/xlsx/", summary_views.summary_xlsx, name="summary-xlsx"),
    path("summaries/<int:build_id>/pdf/", summary_views.summary_pdf, name="summary-pdf"),
]
