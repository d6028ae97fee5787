import re, sys
sys.path.insert(0, "tests")
from conftest import login, csrf_token
def test_smoke(client):
    login(client, "sonoivu")
    r = client.get("/checklists/cchc-xa/edit"); assert r.status_code == 200, r.text[:2000]
    cur = [c for c in client.get("/api/v1/checklists").json() if c["id"]=="cchc-xa" and c["current"]][0]
    r = client.post("/checklists/cchc-xa/drafts", data={"from_version": cur["version"], "_csrf_token": csrf_token(client)}, follow_redirects=False)
    assert r.status_code == 303, r.text; loc = r.headers["location"]; print(loc)
    r = client.get(loc); assert r.status_code == 200, r.text[:3000]
    print(len(r.text))
    r = client.get(loc.split("?")[0] + "/preview"); assert r.status_code == 200, r.text[:3000]
    r = client.get(f"/checklists/cchc-xa/{cur['version']}"); assert r.status_code == 200, r.text[:3000]
