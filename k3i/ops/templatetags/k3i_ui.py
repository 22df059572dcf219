"""Small template helpers for the page frame: the Polres name and role checks."""

from __future__ import annotations

from typing import Any

from django import template

from k3i.core.access import can as _can
from k3i.organization.models import polres_for

register = template.Library()


@register.filter
def can(user: Any, permission: str) -> bool:
    """``{% if user|can:"view_audit" %}`` — the role table of ``k3i.core.roles``."""
    try:
        return _can(user, permission)
    except KeyError:
        return False


@register.simple_tag(takes_context=True)
def polres_name(context: Any) -> str:
    """The name of the Polres this installation (or the logged-in user) serves, cached per request."""
    request = context.get("request")
    cached = getattr(request, "_k3i_polres_name", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    polres = polres_for(user if user is not None and user.is_authenticated else None)
    name = polres.nama if polres else ""
    if request is not None:
        request._k3i_polres_name = name
    return name
