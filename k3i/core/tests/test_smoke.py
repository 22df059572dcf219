from k3i.core.access import scope_for
from k3i.organization.models import Polsek, Region


def test_world_scopes(world):
    op = world.user("operator")
    assert scope_for(op).polres_wide
    kap = world.user("kapolsek_semarang_tengah")
    assert list(Polsek.objects.restrict(kap, "view")) == [world.polsek["semarang_tengah"]]
    bh = world.user("bhabin_miroto")
    kel = Region.objects.restrict(bh, "view").filter(level=4)
    assert [r.nama for r in kel] == ["Miroto"]
