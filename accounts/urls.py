from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .forms import QueuedPasswordResetForm
from .login import LoginView

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("notifications/", views.notification_list, name="notification-list"),
    path("profile/", views.profile, name="profile"),
    path("profile/my-data.json", views.profile_export, name="profile-export"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(form_class=QueuedPasswordResetForm),
        name="password_reset",
    ),
    path("", include("django.contrib.auth.urls")),
]
