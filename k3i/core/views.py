from django.http import HttpRequest, HttpResponse


def ledger(request: HttpRequest) -> HttpResponse:
    return HttpResponse("TODO")
