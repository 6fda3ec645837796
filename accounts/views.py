from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

NOTIFICATIONS_SHOWN = 100


@login_required
def notification_list(request):
    notifications = request.user.notifications.all()[:NOTIFICATIONS_SHOWN]
    return render(request, "accounts/notification_list.html", {"notifications": notifications})


@login_required
@require_POST
def notifications_read(request):
    request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notification-list")


@login_required
def profile(request):
    """The user's own account, with their contact data in full and a copy of their data."""
    return render(request, "accounts/profile.html", {"account": request.user})


@login_required
def profile_export(request):
    """The user's own copy of the data held about them (PIPL art. 45), recorded."""
    from competitions import privacy_requests
    from competitions.models import PrivacyRequest

    data = privacy_requests.export_user(request.user, request.user, PrivacyRequest.Channel.WEB)
    response = HttpResponse(
        privacy_requests.to_json(data), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="my-data-{request.user.pk}.json"'
    return response
