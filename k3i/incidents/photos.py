"""Photos sent with a public report (``/lapor/``): verified, re-encoded, stored privately, staff only.

``prepare`` checks an upload before anything is written: the size (``K3I_PHOTO_MAX_BYTES``), the real image
content with Pillow (JPEG, PNG or WebP — not the file name nor the browser's content type), the pixel count
(``K3I_PHOTO_MAX_PIXELS``: decompression bombs), and that the image decodes completely. It then turns the
image upright by its EXIF orientation and re-encodes it as a JPEG of at most ``MAX_SIDE`` pixels with **no
metadata at all** — no EXIF (GPS position, time, phone model), no XMP, no comment, no ICC profile — because a
citizen's photo must not give away where they live or which phone they carry.

``attach_photo`` (an action, inside the caller's transaction) writes the file under a random name, then its
``IncidentPhoto`` row, a timeline line and the ledger entry (with the SHA-256 of the stored file, so the ledger
also proves the evidence unchanged). Wrapped around the transaction, ``kept_only_if_committed`` removes the files
written in it when it does not commit, so no file is left without its row. Photos are served by ``views.foto`` to logged-in staff who may see the incident (``visible_photo``),
never on ``/lacak/`` or the public tracking API.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from k3i.core import audit
from k3i.core.errors import ValidationFailed

from .models import Incident, IncidentLog, IncidentPhoto

FIELD = "foto"
FORMATS = ("JPEG", "PNG", "WEBP")  # what Pillow may recognise in an upload; nothing else is even tried
MAX_SIDE = 2048  # px, longest side of the stored photo
JPEG_QUALITY = 85
PHOTO_DIR = "foto"  # under K3I_MEDIA_ROOT
CONTENT_TYPE = "image/jpeg"


@dataclass(frozen=True)
class PreparedPhoto:
    """A verified photo, re-encoded and ready to store (nothing written yet)."""

    data: bytes
    width: int
    height: int
    sha256: str
    original_format: str
    original_size: int


def max_bytes() -> int:
    return int(getattr(settings, "K3I_PHOTO_MAX_BYTES", 8 * 1024 * 1024))


def max_pixels() -> int:
    return int(getattr(settings, "K3I_PHOTO_MAX_PIXELS", 50_000_000))


def media_root() -> Path:
    return Path(getattr(settings, "K3I_MEDIA_ROOT", Path(settings.BASE_DIR) / "var" / "media"))


def mb(n: int) -> str:
    """Megabytes for a message, rounded up to one decimal (8,1 MB is over 8 MB), Indonesian comma."""
    return f"{math.ceil(n * 10 / (1024 * 1024)) / 10:g}".replace(".", ",")


def _reject(message: str) -> ValidationFailed:
    return ValidationFailed.field(FIELD, message)


def prepare(upload: UploadedFile) -> PreparedPhoto:
    """Verify an uploaded photo and re-encode it (see the module). Raises ``ValidationFailed`` on field ``foto``
    with an Indonesian message; never writes anything."""
    size = int(upload.size or 0)
    if size <= 0:
        raise _reject(_("Berkas foto kosong. Pilih ulang fotonya."))
    if size > max_bytes():
        raise _reject(_("Foto terlalu besar: %(size)s MB, paling besar %(max)s MB. Kirim foto yang lebih kecil.")
                      % {"size": mb(size), "max": mb(max_bytes())})
    not_a_photo = _("Berkas ini bukan foto JPEG, PNG atau WebP. Pilih foto lain.")
    too_many_pixels = _("Foto terlalu besar ukuran gambarnya (paling banyak %(mp)s megapiksel). "
                        "Kirim foto yang lebih kecil.") % {"mp": f"{max_pixels() / 1_000_000:g}".replace(".", ",")}
    broken = _("Foto rusak atau tidak lengkap sehingga tidak dapat dibuka. Pilih foto lain.")
    upload.seek(0)
    try:
        image: Any = Image.open(upload, formats=FORMATS)
    except UnidentifiedImageError as exc:
        raise _reject(not_a_photo) from exc
    except Image.DecompressionBombError as exc:
        raise _reject(too_many_pixels) from exc
    except (OSError, SyntaxError, ValueError, TypeError) as exc:
        raise _reject(broken) from exc
    try:
        with image:
            original_format = str(image.format or "")
            width, height = image.size
            if width <= 0 or height <= 0:
                raise _reject(broken)
            if width * height > max_pixels():
                raise _reject(too_many_pixels)
            if original_format == "JPEG":
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # let the decoder scale down big JPEGs (less memory)
            image.load()  # decode now: a truncated or corrupt file fails here, not later
            try:
                upright = ImageOps.exif_transpose(image)
            except Exception:  # a malformed orientation tag: keep the photo as it is
                upright = image
            data, out_w, out_h = _encode(upright)
    except ValidationFailed:
        raise
    except Image.DecompressionBombError as exc:
        raise _reject(too_many_pixels) from exc
    except (OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError, EOFError,
            MemoryError, Image.DecompressionBombWarning) as exc:
        raise _reject(broken) from exc
    return PreparedPhoto(data=data, width=out_w, height=out_h, sha256=hashlib.sha256(data).hexdigest(),
                         original_format=original_format, original_size=size)


def _encode(image: Any) -> tuple[bytes, int, int]:
    """RGB, at most MAX_SIDE, JPEG — from pixels only, so no metadata of the original can come along."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        rgb = Image.new("RGB", rgba.size, (255, 255, 255))  # transparent → white, not black
        rgb.paste(rgba, mask=rgba.getchannel("A"))
    elif image.mode in ("I;16", "I;16B", "I;16L", "I"):
        rgb = image.convert("I").point(lambda v: v / 256).convert("L").convert("RGB")  # 16-bit greyscale PNG
    else:
        rgb = image.convert("RGB")
    rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    clean = Image.new("RGB", rgb.size)  # a fresh image: no info dict (comment, exif, xmp, icc) to inherit
    clean.paste(rgb)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue(), clean.width, clean.height


# --- storage ------------------------------------------------------------------------------------------

def photo_path(file_name: str) -> Path:
    """The absolute path of a stored photo; refuses names that leave the media root."""
    root = media_root().resolve()
    path = (root / file_name).resolve()
    if not path.is_relative_to(root) or path == root:
        raise ValueError(f"nama berkas foto tidak sah: {file_name!r}")
    return path


def _write(data: bytes) -> str:
    """Write the bytes under a new random name (complete before it gets its name); returns the name."""
    relative = f"{PHOTO_DIR}/{timezone.now():%Y}/{secrets.token_hex(16)}.jpg"
    path = photo_path(relative)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return relative


_written: ContextVar[list[str] | None] = ContextVar("k3i_photos_written", default=None)


@contextmanager
def kept_only_if_committed() -> Iterator[None]:
    """Around ``transaction.atomic()``: photo files written inside are removed again if it raises (including
    a failed commit). ``with photos.kept_only_if_committed(), transaction.atomic(): ...``"""
    written: list[str] = []
    token = _written.set(written)
    try:
        yield
    except BaseException:
        for name in written:
            remove_file(name)
        raise
    finally:
        _written.reset(token)


def remove_file(file_name: str) -> None:
    """Remove a stored photo file (used when the transaction that would have kept it did not commit)."""
    try:
        photo_path(file_name).unlink(missing_ok=True)
    except (OSError, ValueError):
        pass


def read_file(photo: IncidentPhoto) -> bytes | None:
    """The stored bytes, or None when the file is missing."""
    try:
        return photo_path(photo.file_name).read_bytes()
    except (OSError, ValueError):
        return None


# --- the action and the read -------------------------------------------------------------------------

def attach_photo(actor: Any, incident: Incident, prepared: PreparedPhoto, *, channel: str) -> IncidentPhoto:
    """Store a prepared photo with its incident: the file, the row, a timeline line and the ledger entry.

    Must run inside the caller's ``transaction.atomic()`` (with the report itself), itself inside
    ``kept_only_if_committed()``: the file is written first and removed again if the database write here or the
    commit later fails.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("attach_photo harus dipanggil di dalam transaksi laporan")
    file_name = _write(prepared.data)
    written = _written.get()
    if written is not None:
        written.append(file_name)
    try:
        photo = IncidentPhoto.objects.create(
            incident=incident, file_name=file_name, content_type=CONTENT_TYPE, width=prepared.width,
            height=prepared.height, size=len(prepared.data), sha256=prepared.sha256,
            original_format=prepared.original_format, original_size=prepared.original_size,
            created_at=timezone.now(),
        )
        IncidentLog.objects.create(
            incident=incident, created_at=photo.created_at, kind="foto", message="Foto dari pelapor dilampirkan",
            actor_username=actor.get_username() if getattr(actor, "is_authenticated", False) else "",
            data={"foto": photo.pk, "lebar": photo.width, "tinggi": photo.height},
        )
        audit.record(
            actor, "kejadian.foto_dilampirkan", photo, channel=channel, polres_id=incident.polres_id,
            changes={"kejadian": incident.pk, "sha256": photo.sha256, "ukuran": photo.size,
                     "lebar": photo.width, "tinggi": photo.height, "format_asli": photo.original_format,
                     "ukuran_asli": photo.original_size},
        )
    except BaseException:
        remove_file(file_name)
        raise
    return photo


def visible_photo(user: Any, incident_id: int, photo_id: int) -> IncidentPhoto | None:
    """The photo if the user may see its incident (``Incident.objects.restrict(user, "view")``), else None
    (→ 404): the same rule as the incident page, photos have no scope of their own."""
    incident = Incident.objects.restrict(user, "view").filter(pk=incident_id).first()
    if incident is None:
        return None
    photo = IncidentPhoto.objects.filter(pk=photo_id, incident=incident).first()
    if photo is not None:
        photo.incident = incident
    return photo


def serve(user: Any, incident_id: int, photo_id: int) -> HttpResponse | None:
    """The photo as a private, never cached JPEG answer for a user who may see its incident; ``None`` (→ 404)
    otherwise or when its file is gone. Used by the ops page view and by the API.

    Viewing is not written to the ledger: a photo of the scene is evidence of the report, seen by the same
    people as its text (which is not logged either); the reporter's name and phone stay behind their own
    audited button. The ledger holds the upload with the SHA-256 of the stored file."""
    photo = visible_photo(user, incident_id, photo_id)
    data = read_file(photo) if photo is not None else None
    if photo is None or data is None:
        return None
    response = HttpResponse(data, content_type=photo.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'inline; filename="{photo.incident.number or photo.incident_id}-{photo.pk}.jpg"'
    return response


def listed(incident: Incident) -> list[dict[str, Any]]:
    """The incident's photos for the staff API: what they are and where to fetch them (never the file name)."""
    return [
        {"id": p.pk, "width": p.width, "height": p.height, "size": p.size, "sha256": p.sha256,
         "created_at": p.created_at, "url": f"/api/v1/incidents/{incident.pk}/photos/{p.pk}"}
        for p in IncidentPhoto.objects.filter(incident=incident)
    ]


# --- files left behind ------------------------------------------------------------------------------------

ORPHAN_AGE_SECONDS = 3600  # a file this old without its row was never committed (a crash between file and commit)
SWEEP_EVERY_SECONDS = 3600.0
_swept_at = 0.0


def sweep_orphans(now: Any = None, *, force: bool = False) -> int:
    """The scheduled job (``k3i.core.jobs``, at most hourly per process): delete photo files that no
    ``IncidentPhoto`` row names and that are older than ``ORPHAN_AGE_SECONDS`` (a file is written just before
    its row's transaction commits, so a young file may still be about to get its row), and stale ``.tmp``
    files. Returns the number of files deleted."""
    global _swept_at
    started = time.monotonic()
    if not force and _swept_at and started - _swept_at < SWEEP_EVERY_SECONDS:
        return 0
    _swept_at = started
    folder = media_root() / PHOTO_DIR
    if not folder.is_dir():
        return 0
    cutoff = time.time() - ORPHAN_AGE_SECONDS
    candidates = {}
    for path in folder.rglob("*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                candidates[path.relative_to(media_root()).as_posix()] = path
        except OSError:
            continue
    if not candidates:
        return 0
    names = list(candidates)
    known: set[str] = set()
    for i in range(0, len(names), 500):
        known.update(IncidentPhoto.objects.filter(file_name__in=names[i:i + 500]).values_list("file_name", flat=True))
    deleted = 0
    for name, path in candidates.items():
        if name not in known:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
