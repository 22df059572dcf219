from django.urls import path

from . import room, stream, views

app_name = "ops"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("polsek/", views.polsek_list, name="polsek_list"),
    path("polsek/<int:polsek_id>/", views.polsek_detail, name="polsek"),
    path("ops/stream", stream.stream, name="stream"),
    # the operations room (k3i/ops/room.py)
    path("ops/peta", room.peta, name="peta"),
    path("ops/peta/data", room.peta_data, name="peta_data"),
    path("ops/antrian", room.antrian, name="antrian"),
    path("ops/kejadian/<int:pk>/", room.kejadian, name="kejadian"),
    path("ops/kejadian/<int:pk>/triase", room.kejadian_triase, name="kejadian_triase"),
    path("ops/kejadian/<int:pk>/lokasi", room.kejadian_lokasi, name="kejadian_lokasi"),
    path("ops/kejadian/<int:pk>/pelapor", room.kejadian_pelapor, name="kejadian_pelapor"),
    path("ops/kejadian/<int:pk>/tugaskan", room.kejadian_tugaskan, name="kejadian_tugaskan"),
    path("ops/kejadian/<int:pk>/tutup", room.kejadian_tutup, name="kejadian_tutup"),
    path("ops/kejadian/<int:pk>/buka", room.kejadian_buka, name="kejadian_buka"),
    path("ops/kejadian/<int:pk>/tautkan", room.kejadian_tautkan, name="kejadian_tautkan"),
    path("ops/penugasan/<int:pk>/status", room.penugasan_status, name="penugasan_status"),
    path("ops/terima", room.terima, name="terima"),
    path("ops/triase", room.triase, name="triase"),
    path("tugas/", room.tugas, name="tugas"),
    path("tugas/sw.js", room.tugas_sw, name="tugas_sw"),
]
