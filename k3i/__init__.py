"""K3i — platform operasi Polres sebagai KOD."""

__version__ = "0.1.0"
