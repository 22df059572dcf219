"""Text that is written into a record is in the installation's own language.

Labels of choices (statuses, channels) are translated where they are shown (``gettext_lazy``). Text that an
action writes into a record — a timeline line, a live event's payload read by everyone — and the messages of
the errors it raises (Bahasa Indonesia, like every error) are made in ``LANGUAGE_CODE``, whatever the language
of the request that caused them: otherwise an English-speaking operator would leave English lines in the
Indonesian timeline of every other reader.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation


def source_language() -> translation.override:
    """``with source_language():`` — the installation's language (``LANGUAGE_CODE``) inside the block."""
    return translation.override(settings.LANGUAGE_CODE)


def source_text(label: Any) -> str:
    """A (lazy) label in the installation's language."""
    with source_language():
        return str(label)


def source_display(obj: Any, field: str) -> str:
    """``obj.get_<field>_display()`` in the installation's language."""
    with source_language():
        return str(getattr(obj, f"get_{field}_display")())
