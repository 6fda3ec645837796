from . import board_views, contest_views, judge_views, sheet_views

app_name = "skills"

# Each page module declares its own routes: the contest pages of staff and units, the judges'
# marking, Excel imports and exports, and the public results board.
urlpatterns = [
    *contest_views.urlpatterns,
    *judge_views.urlpatterns,
    *sheet_views.urlpatterns,
    *board_views.urlpatterns,
]
