from django.http import HttpRequest, HttpResponse


def stream(request: HttpRequest) -> HttpResponse:
    return HttpResponse("TODO", status=501)
