"""An optional photo on the public report form /lapor/: verified with Pillow, re-encoded without metadata,
stored with the report in one transaction, served only to staff who may see the incident, never public."""

from __future__ import annotations

import hashlib
import io
import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.test import Client
from PIL import Image

from k3i.core.models import AuditEntry
from k3i.incidents import photos
from k3i.incidents.models import Incident, IncidentLog, IncidentPhoto

SECRET_PLACE = (b"GPS", "Kampung Rahasia 7")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    cache.clear()
    settings.K3I_MEDIA_ROOT = tmp_path / "media"
    settings.K3I_PUBLIC_REPORTS_PER_HOUR = 0  # these tests are about photos, not the rate limit
    yield
    cache.clear()


def stored_files(settings: Any) -> list[Path]:
    root = Path(settings.K3I_MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), mode: str = "RGB", **save: Any) -> bytes:
    colour: Any = (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128)
    im = Image.new(mode, size, colour)
    out = io.BytesIO()
    im.save(out, fmt, **save)
    return out.getvalue()


def gps_jpeg(size: tuple[int, int] = (300, 100), orientation: int = 6) -> bytes:
    """A JPEG as a phone writes it: left half red, right half blue, EXIF with GPS, camera and orientation."""
    im = Image.new("RGB", size, (220, 0, 0))
    im.paste((0, 0, 220), (size[0] // 2, 0, size[0], size[1]))
    exif = Image.Exif()
    exif[0x010F] = "HP Pelapor"  # Make
    exif[0x0110] = "Model Rahasia X1"  # Model
    exif[0x0112] = orientation  # Orientation: 6 = turn 90° clockwise to view
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "S", (6.0, 58.0, 50.0)  # GPSLatitudeRef, GPSLatitude
    gps[3], gps[4] = "E", (110.0, 24.0, 40.0)  # GPSLongitudeRef, GPSLongitude
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif, comment=SECRET_PLACE[1].encode(), quality=95)
    return out.getvalue()


def upload(data: bytes, name: str = "foto.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def submit(c: Client, foto: Any = None, **fields: Any):  # type: ignore[no-untyped-def]
    data: dict[str, Any] = {
        "text": "motor saya dicuri di depan warung", "lat": "-6.98", "lon": "110.41", "kelurahan": "",
        "alamat": "depan warung Bu Sri", "reporter_name": "Rina", "reporter_phone": "081399998888",
        "kunci": "foto-1",
    }
    data.update(fields)
    if foto is not None:
        data["foto"] = foto
    return c.post("/lapor/", data={k: v for k, v in data.items() if v is not None})


def report_with_photo(client: Client, **fields: Any) -> tuple[Incident, IncidentPhoto]:
    r = submit(client, upload(gps_jpeg()), **fields)
    assert r.status_code == 201, r.content.decode()[:3000]
    inc = Incident.objects.get(idempotency_key=fields.get("kunci", "foto-1"))
    return inc, IncidentPhoto.objects.get(incident=inc)


# --- the form -----------------------------------------------------------------------------------------


def test_form_offers_an_optional_photo_that_works_on_a_phone(world, client):
    html = client.get("/lapor/").content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file" name="foto"' in html and 'accept="image/*"' in html
    assert "Foto kejadian (tidak wajib)" in html and "paling besar 8 MB" in html


def test_report_without_photo_still_works(world, client):
    r = submit(client)
    assert r.status_code == 201
    assert Incident.objects.count() == 1 and IncidentPhoto.objects.count() == 0


# --- what is stored -----------------------------------------------------------------------------------


def test_photo_is_upright_smaller_and_has_no_metadata(world, client, settings):
    inc, photo = report_with_photo(client)
    files = stored_files(settings)
    assert len(files) == 1 and files[0] == photos.photo_path(photo.file_name)
    data = files[0].read_bytes()
    # no EXIF (GPS, phone), no comment: not in the file at all
    assert b"Exif" not in data and SECRET_PLACE[0] not in data and b"Rahasia" not in data
    im = Image.open(io.BytesIO(data))
    assert im.format == "JPEG" and not im.getexif() and "comment" not in im.info and "exif" not in im.info
    # turned upright by the EXIF orientation before the metadata went: the red (left) half is now on top
    assert im.size == (100, 300) == (photo.width, photo.height)
    top, bottom = im.convert("RGB").getpixel((50, 20)), im.convert("RGB").getpixel((50, 280))
    assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]
    assert photo.sha256 == hashlib.sha256(data).hexdigest() and photo.size == len(data)
    assert photo.original_format == "JPEG" and photo.content_type == "image/jpeg"
    # the ledger has the upload with the hash of the stored file; the timeline says a photo came with it
    entry = AuditEntry.objects.get(action="kejadian.foto_dilampirkan")
    assert entry.changes["sha256"] == photo.sha256 and entry.changes["kejadian"] == inc.pk
    assert entry.channel == "web" and entry.actor_id is None
    assert IncidentLog.objects.filter(incident=inc, kind="foto").exists()


def test_big_photo_is_scaled_to_2048_px(world, client, settings):
    r = submit(client, upload(image_bytes("JPEG", (3000, 1200))))
    assert r.status_code == 201
    photo = IncidentPhoto.objects.get()
    assert (photo.width, photo.height) == (2048, 819)
    assert Image.open(photos.photo_path(photo.file_name)).size == (2048, 819)


@pytest.mark.parametrize(
    ("data", "name", "original"),
    [
        (image_bytes("PNG", mode="RGBA"), "layar.png", "PNG"),
        (image_bytes("WEBP"), "foto.webp", "WEBP"),
        (image_bytes("PNG"), "tanpa-akhiran", "PNG"),  # the content decides, not the name
    ],
)
def test_png_and_webp_are_accepted_and_stored_as_jpeg(world, client, data, name, original):
    r = submit(client, upload(data, name, "application/octet-stream"))
    assert r.status_code == 201, r.content.decode()[:2000]
    photo = IncidentPhoto.objects.get()
    assert photo.original_format == original
    im = Image.open(photos.photo_path(photo.file_name))
    assert im.format == "JPEG" and im.mode == "RGB"
    if original == "PNG" and name.endswith(".png"):  # transparent parts become white, not black
        assert min(im.getpixel((0, 0))) > 100


def test_a_resubmitted_form_does_not_attach_the_photo_twice(world, client, settings):
    report_with_photo(client)
    again = submit(client, upload(gps_jpeg()))
    assert again.status_code == 201
    assert Incident.objects.count() == 1 and IncidentPhoto.objects.count() == 1 and len(stored_files(settings)) == 1


# --- what is refused ----------------------------------------------------------------------------------


def assert_refused(r: Any, message: str, settings: Any) -> str:  # type: ignore[no-untyped-def]
    assert r.status_code == 422
    html = r.content.decode()
    assert message in html, html[:4000]
    assert 'id="id_foto-galat"' in html  # the error sits on the photo field
    # the rest of what they wrote is kept
    assert "motor saya dicuri di depan warung" in html and "depan warung Bu Sri" in html
    assert 'value="Rina"' in html and 'value="081399998888"' in html and 'value="foto-1"' in html
    # and nothing was written: no report, no photo, no file, no ledger entry
    assert Incident.objects.count() == 0 and IncidentPhoto.objects.count() == 0
    assert stored_files(settings) == [] and AuditEntry.objects.count() == 0
    return html


def test_too_large_photo_is_refused_with_a_clear_message(world, client, settings):
    settings.K3I_PHOTO_MAX_BYTES = 2 * 1024 * 1024
    big = image_bytes("PNG", (1200, 1200), mode="RGB", compress_level=0)  # ≈ 4,3 MB uncompressed
    assert len(big) > settings.K3I_PHOTO_MAX_BYTES
    html = assert_refused(submit(client, upload(big, "besar.png", "image/png")), "Foto terlalu besar", settings)
    assert "paling besar 2 MB" in html


def test_a_non_image_renamed_to_jpg_is_refused(world, client, settings):
    fake = upload(b"%PDF-1.7\n" + b"bukan foto " * 200, "foto.jpg", "image/jpeg")
    assert_refused(submit(client, fake), "bukan foto JPEG, PNG atau WebP", settings)


def test_other_image_formats_are_refused(world, client, settings):
    gif = upload(image_bytes("GIF"), "animasi.jpg", "image/jpeg")
    assert_refused(submit(client, gif), "bukan foto JPEG, PNG atau WebP", settings)


def test_a_corrupt_photo_is_refused(world, client, settings):
    data = image_bytes("JPEG", (400, 300))
    assert_refused(submit(client, upload(data[: len(data) // 2])), "Foto rusak", settings)


def test_an_empty_file_is_refused(world, client, settings):
    assert_refused(submit(client, upload(b"")), "kosong", settings)


def test_decompression_bomb_is_refused_not_a_500(world, client, settings, monkeypatch):
    settings.K3I_PHOTO_MAX_PIXELS = 10_000
    assert_refused(submit(client, upload(image_bytes("PNG", (200, 200)), "bom.png")), "megapiksel", settings)
    # Pillow's own guard (DecompressionBombError) gives the same answer
    settings.K3I_PHOTO_MAX_PIXELS = 50_000_000
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)
    assert_refused(submit(client, upload(image_bytes("PNG", (200, 200)), "bom.png")), "megapiksel", settings)


def test_a_good_photo_must_be_chosen_again_when_another_field_is_wrong(world, client, settings):
    r = submit(client, upload(gps_jpeg()), text="")
    assert r.status_code == 422
    assert "pilih fotonya sekali lagi" in r.content.decode()
    assert Incident.objects.count() == 0 and stored_files(settings) == []


def test_over_the_rate_limit_the_photo_is_not_even_opened(world, settings):
    settings.K3I_PUBLIC_REPORTS_PER_HOUR = 1
    c = Client(REMOTE_ADDR="10.7.7.7")
    assert submit(c, kunci="r1").status_code == 201
    data = image_bytes("JPEG", (400, 300))
    r = submit(c, upload(data[: len(data) // 2]), kunci="r2")  # a corrupt photo: no photo error, just the limit
    assert r.status_code == 429
    html = r.content.decode()
    assert "Terlalu banyak laporan" in html and "Foto rusak" not in html
    assert Incident.objects.count() == 1 and stored_files(settings) == []


def test_report_and_photo_are_kept_together_or_not_at_all(world, client, settings, monkeypatch):
    real = photos.attach_photo

    def attach_then_fail(*args: Any, **kwargs: Any) -> IncidentPhoto:
        photo = real(*args, **kwargs)
        assert photos.photo_path(photo.file_name).exists()  # written before the commit
        raise IntegrityError("gagal setelah foto ditulis")

    monkeypatch.setattr(photos, "attach_photo", attach_then_fail)
    with pytest.raises(IntegrityError):
        submit(client, upload(gps_jpeg()))
    assert Incident.objects.count() == 0 and IncidentPhoto.objects.count() == 0
    assert stored_files(settings) == [] and AuditEntry.objects.count() == 0


# --- who sees it --------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["operator", "kapolsek_semarang_tengah", "bhabin_miroto", "analis"])
def test_staff_in_scope_get_the_photo_privately(world, client, login, username):
    inc, photo = report_with_photo(client)
    r = login(username).get(f"/ops/kejadian/{inc.pk}/foto/{photo.pk}")
    assert r.status_code == 200
    assert r["Content-Type"] == "image/jpeg" and r["Cache-Control"] == "private, no-store"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r.content == photos.photo_path(photo.file_name).read_bytes()


@pytest.mark.parametrize("username", ["kapolsek_semarang_utara", "anggota_semarang_utara", "admin"])
def test_staff_outside_scope_get_404(world, client, login, username):
    inc, photo = report_with_photo(client)
    assert login(username).get(f"/ops/kejadian/{inc.pk}/foto/{photo.pk}").status_code == 404


def test_photo_only_under_its_own_incident_and_anonymous_go_to_login(world, client, incidents, login):
    inc, photo = report_with_photo(client)
    other = incidents["miroto"]
    assert login("operator").get(f"/ops/kejadian/{other.pk}/foto/{photo.pk}").status_code == 404
    assert login("operator").get(f"/ops/kejadian/{inc.pk}/foto/{photo.pk + 99}").status_code == 404
    r = Client().get(f"/ops/kejadian/{inc.pk}/foto/{photo.pk}")
    assert r.status_code == 302 and "/akun/" in r["Location"]


def test_ops_incident_page_shows_the_photo(world, client, incidents, login):
    inc, photo = report_with_photo(client)
    op = login("operator")
    html = op.get(f"/ops/kejadian/{inc.pk}/").content.decode()
    assert f'src="/ops/kejadian/{inc.pk}/foto/{photo.pk}"' in html and "Foto dari pelapor" in html
    assert "Foto dari pelapor" not in op.get(f"/ops/kejadian/{incidents['miroto'].pk}/").content.decode()


def test_photo_is_never_public(world, client):
    inc, photo = report_with_photo(client)
    visitor = Client()
    for url in (f"/lacak/{inc.tracking_code}/", f"/api/v1/public/track/{inc.tracking_code}"):
        r = visitor.get(url)
        assert r.status_code == 200
        body = r.content.decode()
        assert "/foto/" not in body and photo.file_name not in body and photo.sha256 not in body
    assert visitor.get(f"/ops/kejadian/{inc.pk}/foto/{photo.pk}").status_code == 302


def test_photo_field_and_errors_in_english(world, client, settings):
    client.post("/i18n/setlang/", {"language": "en", "next": "/lapor/"})
    html = client.get("/lapor/").content.decode()
    assert "Photo of the incident (optional)" in html and "at most 8 MB" in html
    r = submit(client, upload(b"bukan foto", "foto.jpg"))
    assert r.status_code == 422 and "not a JPEG, PNG or WebP photo" in r.content.decode()


def test_the_hourly_sweep_removes_only_old_files_without_a_report(world, client, settings):
    from k3i.core import jobs
    from k3i.incidents.photos import ORPHAN_AGE_SECONDS, PHOTO_DIR, sweep_orphans

    _, photo = report_with_photo(client)
    root = Path(settings.K3I_MEDIA_ROOT)
    kept = root / photo.file_name
    folder = root / PHOTO_DIR / "2026"
    folder.mkdir(parents=True, exist_ok=True)
    old_orphan, young_orphan, old_tmp = folder / "a.jpg", folder / "b.jpg", folder / "c.jpg.tmp"
    for f in (old_orphan, young_orphan, old_tmp):
        f.write_bytes(b"x")
    long_ago, just_now = time.time() - ORPHAN_AGE_SECONDS - 60, time.time() - 60  # the suite's clock, not the disk's
    for f in (old_orphan, old_tmp, kept):  # the stored photo is old too: its row keeps it
        os.utime(f, (long_ago, long_ago))
    os.utime(young_orphan, (just_now, just_now))
    assert sweep_orphans(force=True) == 2
    assert kept.exists() and young_orphan.exists()
    assert not old_orphan.exists() and not old_tmp.exists()
    assert "photos" in jobs.JOBS and sweep_orphans(force=True) == 0


def test_the_staff_api_lists_and_serves_photos_in_scope_only(world, client, login, incidents):
    from k3i.accounts.actions import create_token

    inc, photo = report_with_photo(client)
    detail = login("operator").get(f"/api/v1/incidents/{inc.pk}").json()
    url = f"/api/v1/incidents/{inc.pk}/photos/{photo.pk}"
    assert detail["photos"] == [{"id": photo.pk, "width": photo.width, "height": photo.height, "size": photo.size,
                                 "sha256": photo.sha256, "created_at": detail["photos"][0]["created_at"],
                                 "url": url}]
    assert "file_name" not in str(detail) and photo.file_name not in str(detail)
    _, raw = create_token(None, world.user("kapolsek_semarang_tengah"), name="dasbor", channel="cli")
    r = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg" and r["Cache-Control"] == "private, no-store"
    assert hashlib.sha256(r.content).hexdigest() == photo.sha256
    _, other = create_token(None, world.user("kapolsek_semarang_utara"), name="dasbor", channel="cli")
    r = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {other}")
    assert r.status_code == 404 and r.json()["detail"]
    assert login("operator").get(f"/api/v1/incidents/{incidents['miroto'].pk}/photos/{photo.pk}").status_code == 404
    assert login("operator").get(f"/api/v1/incidents/{incidents['miroto'].pk}").json()["photos"] == []
    assert Client().get(url).status_code == 401
