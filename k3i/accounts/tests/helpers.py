"""Small helpers for the account tests: TOTP codes computed from the device key, as a phone does."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from k3i.testing import PASSWORD


def code_for(device: TOTPDevice, offset_steps: int = 0) -> str:
    """The current code of ``device`` (``offset_steps`` moves the clock by 30 s steps)."""
    return f"{totp(device.bin_key, device.step, device.t0 - offset_steps * device.step, device.digits, device.drift):06d}"


def wrong_code(device: TOTPDevice) -> str:
    """A code that is none of the accepted ones (current, previous, next step)."""
    accepted = {code_for(device, s) for s in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in accepted)


def confirmed_device(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="ponsel", confirmed=True)


def post_password(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post("/akun/masuk/", {"username": username, "password": password, **extra})
