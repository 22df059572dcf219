from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Nama pengguna"), max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "autofocus": True,
                                      "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("Kata sandi"), max_length=256, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    kode = forms.CharField(
        label=_("Kode verifikasi (6 angka)"), max_length=10,
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*", "autofocus": True,
            "aria-describedby": "kode-bantuan",
        }),
    )

    def clean_kode(self) -> str:
        kode = self.cleaned_data["kode"].replace(" ", "").strip()
        if not kode.isdigit() or len(kode) != 6:
            raise forms.ValidationError(_("Kode harus 6 angka."))
        return kode
