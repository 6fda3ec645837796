from django.http import HttpResponse


def report_list(request):  # being written
    return HttpResponse(status=501)


report_detail = report_edit = report_review = report_attachment_download = report_list
