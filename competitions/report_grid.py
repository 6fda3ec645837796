from django.http import HttpResponse


def report_grid(request):  # replaced by the grid implementation
    return HttpResponse(status=501)


def report_grid_export(request):  # replaced by the grid implementation
    return HttpResponse(status=501)


def report_figures_export(request):  # replaced by the grid implementation
    return HttpResponse(status=501)
