from django.http import HttpResponse


def import_units(request):  # replaced by the import implementation
    return HttpResponse(status=501)


def import_template(request):  # replaced by the import implementation
    return HttpResponse(status=501)
