from django.contrib.auth.decorators import login_required
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
