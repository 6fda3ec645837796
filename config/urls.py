from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts.login import TokenView
from awards import api as awards_api
from awards import certificate_api, summary_api
from competitions import api as competitions_api
from scoring import api as scoring_api
from skills import api as skills_api

from .health import healthz

router = DefaultRouter()
router.register("organisations", competitions_api.OrganisationViewSet, basename="organisation")
router.register("campaigns", competitions_api.CampaignViewSet, basename="campaign")
# Scoring actions on a zone (ranking, locks, weights) share the ``zones/`` prefix; registered
# first so the API root's "zones" link still names the zone list.
router.register("zones", scoring_api.ZoneScoringViewSet, basename="zone-scoring")
router.register("zones", competitions_api.ZoneViewSet, basename="zone")
router.register("stages", competitions_api.StageViewSet, basename="stage")
router.register("units", competitions_api.UnitViewSet, basename="unit")
router.register("projects", competitions_api.ProjectViewSet, basename="project")
router.register("reports", competitions_api.ReportViewSet, basename="report")
router.register("criteria", scoring_api.CriterionViewSet, basename="criterion")
router.register(
    "criterion-weights", scoring_api.CriterionWeightViewSet, basename="criterion-weight"
)
router.register("assignments", scoring_api.AssignmentViewSet, basename="assignment")
router.register("scores", scoring_api.ScoreViewSet, basename="score")
router.register("results", scoring_api.ResultViewSet, basename="result")
router.register("skill-events", skills_api.SkillEventViewSet, basename="skill-event")
router.register("heats", skills_api.HeatViewSet, basename="heat")
router.register("contestants", skills_api.ContestantViewSet, basename="contestant")
router.register("honour-lists", awards_api.HonourListViewSet, basename="honour-list")
router.register("instant-honours", awards_api.InstantHonourViewSet, basename="instant-honour")
router.register("certificates", certificate_api.CertificateViewSet, basename="certificate")
router.register("summaries", summary_api.SummaryViewSet, basename="summary")


# A database outage answers 503 "try again shortly", not a 500 (config/errors.py).
handler500 = "config.errors.server_error"

urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    path("", include("competitions.urls")),
    path("scoring/", include("scoring.urls")),
    path("skills/", include("skills.urls")),
    path("honours/", include("awards.urls")),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/auth/token/", TokenView.as_view(), name="api-token"),
    path("api/v1/", include((router.urls, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file (?script), not inline, for the CSP.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

admin.site.site_header = admin.site.site_title = _("Labour competition platform")
