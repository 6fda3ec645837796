from . import evaluate_views, result_views, setup_views

app_name = "scoring"

# Each page module declares its own routes: criteria and assignments (staff), the
# evaluator's queue and form, results and rankings.
urlpatterns = [
    *setup_views.urlpatterns,
    *evaluate_views.urlpatterns,
    *result_views.urlpatterns,
]
