"""The API contract: the OpenAPI document tells the truth, checked by hand and by Schemathesis.

Schemathesis (its CLI, in a subprocess) runs every one of its checks against a real `inspect-app serve`
on a throwaway copy of the demo database, once with the Sở Nội vụ administrator's token (full access)
and once with a unit officer's. Generation is deterministic (and the seed pinned), the budget bounded
(`--max-examples` per operation) and the whole run under a wall-clock timeout, so it
cannot fail at random: a failure is a real server error or a place where server and schema disagree.
tests/schemathesis.toml says where a schema-valid request may still meet a 422 (rules per item).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import csrf_token, login
import dbtarget

from browser import LiveServer, live_data_dir

TESTS = Path(__file__).resolve().parent
MAX_EXAMPLES = 25  # per operation; ~1,200 requests a role, about 15-40 s on a 2-core machine
SEED = 20261207
ROLES = {"admin": "sonoivu", "unit": "dv11560"}


def issue_token(data_dir: Path, username: str, database: dict[str, str]) -> str:
    """A personal API token, made by the CLI before the server starts (one writer at a time)."""
    result = subprocess.run([sys.executable, "-m", "inspect_app", "user", "token", username, "--label", "schemathesis"],
                            env={**os.environ, "INSPECT_DATA_DIR": str(data_dir), **database}, capture_output=True,
                            text=True, timeout=60, check=True)
    return result.stdout.strip()


@pytest.mark.parametrize("role", sorted(ROLES))
def test_schemathesis_finds_no_server_error_and_no_nonconformance(tmp_path, seeded_db, role):
    data_dir = live_data_dir(tmp_path, seeded_db)
    # On PostgreSQL the server's clone of the demo is made first, so that the token lands in it.
    database = {"INSPECT_DATABASE_URL": dbtarget.new_database(template=dbtarget.SEED)} if dbtarget.ON_POSTGRES else {}
    token = issue_token(data_dir, ROLES[role], database)
    server = LiveServer(data_dir, database)
    started = time.monotonic()
    try:
        command = [
            sys.executable, "-m", "schemathesis.cli", "--config-file", str(TESTS / "schemathesis.toml"),
            "run", f"{server.url}/schema/openapi.json", "--header", f"Authorization: Bearer {token}",
            "--checks", "all", "--generation-deterministic", "--seed", str(SEED),
            # No --max-time: with it, fuzzing repeats until the time is spent. The budget is the examples;
            # the subprocess timeout is the wall clock.
            # One worker: with two, Hypothesis (describing its strategies' lambdas) parses source with `ast`
            # from two threads, which CPython 3.11 can fail at ("AST constructor recursion depth mismatch").
            "--max-examples", str(MAX_EXAMPLES), "--workers", "1",
            "--request-timeout", "30", "--suppress-health-check", "all",
            "--no-color", "--output-truncate", "false",
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=200, cwd=tmp_path)
    finally:
        server.stop()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-12000:]
    match = re.search(r"(\d+) generated, (\d+) passed", output)
    assert match and int(match[1]) > 500 and match[1] == match[2], output[-3000:]
    assert "❌" not in output, output[-12000:]
    assert time.monotonic() - started < 200


# ------------------------------------------------------------------------------ the document, read directly


@pytest.fixture
def document(client):
    return client.get("/schema/openapi.json").json()


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "patch", "delete"):
                yield method.upper(), path, operation


def test_every_error_response_is_the_one_error_schema(document):
    """No Litestar default shape (`status_code`, `detail`) anywhere; every 4xx names ErrorOut or a
    conflict payload that extends it."""
    assert document["components"]["schemas"]["ErrorOut"]["required"] == ["error", "message"]
    for name in ("ConflictOut", "IncompleteOut"):
        assert set(document["components"]["schemas"][name]["required"]) == {"error", "message"}
    assert "status_code" not in str(document)
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.rsplit("/", 1)[1] in {"ErrorOut", "ConflictOut", "IncompleteOut"}, (method, path, status)


def test_each_operation_documents_the_statuses_it_can_return(document):
    ops = {(m, p): set(o["responses"]) for m, p, o in operations(document)}
    assert ops[("PUT", "/api/v1/visits/{visit_id}/findings/{item_code}")] == {
        "200", "400", "401", "403", "404", "409", "413", "415", "422"}
    assert ops[("POST", "/api/v1/visits/{visit_id}/findings/{item_code}/evidence")] >= {
        "200", "201", "400", "401", "403", "404", "409", "413", "415", "422"}
    assert ops[("GET", "/api/v1/me")] == {"200", "401"}
    assert ops[("GET", "/api/v1/units")] == {"200", "400", "401", "403"}  # unit officers may not list
    assert ops[("GET", "/api/v1/visits/{visit_id}/findings")] == {"200", "401", "403", "404"}
    assert ops[("GET", "/healthz")] == {"200", "503"}
    assert not any(p.startswith("/schema") for _, p in ops)


def test_closed_request_bodies_say_so(document):
    schemas = document["components"]["schemas"]
    for name in ("FindingIn", "SignOffIn", "ReviewIn"):
        assert schemas[name]["additionalProperties"] is False, name


def test_request_bodies_are_documented_as_the_server_reads_them(client, document):
    """Schemathesis found a sign-off with `"unit_representative": ""` valid by the schema and refused (422)."""
    schemas = document["components"]["schemas"]
    representative = schemas["SignOffIn"]["properties"]["unit_representative"]
    assert representative["minLength"] == 1
    for blank in ("", " ", "\x85", "\xa0\t"):
        assert not re.search(representative["pattern"], blank), repr(blank)
    assert re.search(representative["pattern"], "Ông Vũ Văn Long")
    finding = schemas["FindingIn"]["properties"]
    assert set(finding["answer"]["type"]) == {"boolean", "number", "string", "array", "null"}
    assert finding["note"]["maxLength"] == 4000
    assert finding["base_version"]["minimum"] == 0
    login(client, "truongdoan")
    visit = client.get("/api/v1/visits").json()[0]  # a visit of the lead's own team
    response = client.post(f"/api/v1/visits/{visit['id']}/sign-off", json={"unit_representative": " \x85"},
                           headers={"x-csrftoken": csrf_token(client)})
    assert response.status_code == 422 and response.json()["error"] == "representative_required"


def test_ids_and_keys_are_documented_as_the_server_enforces_them(document):
    put = document["paths"]["/api/v1/visits/{visit_id}/findings/{item_code}"]["put"]
    params = {p["name"]: p for p in put["parameters"]}
    assert params["visit_id"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
    assert params["Idempotency-Key"]["required"] is True
    assert params["Idempotency-Key"]["schema"]["maxLength"] == 100
    answer = document["paths"]["/api/v1/remediation/{item_id}/answers"]["post"]
    assert {p["name"]: p for p in answer["parameters"]}["Idempotency-Key"]["required"] is False


def test_last_modified_is_an_http_date_and_the_server_sends_one(client, settings, document):
    """Declared as `date-time` before: a client generator would parse "Mon, 07 Dec 2026 …" as ISO and fail."""
    file_op = document["paths"]["/api/v1/evidence/{evidence_id}/file"]["get"]["responses"]["200"]
    declared = file_op["headers"]["last-modified"]["schema"]
    assert "format" not in declared
    assert set(file_op["content"]) == {"image/jpeg", "image/png", "image/webp", "application/pdf"}
    evidence_id = dbtarget.sql(settings, "SELECT id FROM evidence_files WHERE kind = 'photo' ORDER BY id LIMIT 1")[0][0]
    login(client, "sonoivu")
    response = client.get(f"/api/v1/evidence/{evidence_id}/file", params={"size": "thumb"})
    assert response.status_code == 200
    assert response.headers["content-type"] in file_op["content"]
    assert re.fullmatch(declared["pattern"], response.headers["last-modified"])


def test_trace_and_other_unsupported_methods_get_405_with_allow(client):
    login(client, "sonoivu")
    for method, url, allowed in (("TRACE", "/api/v1/me", {"GET", "OPTIONS"}),
                                 ("DELETE", "/api/v1/visits/1/findings/1.1.1", {"PUT", "OPTIONS"}),
                                 ("PATCH", "/api/v1/visits/1/self-assessment/1.1.1", {"GET", "PUT", "OPTIONS"})):
        response = client.request(method, url)
        assert response.status_code == 405, (method, url, response.status_code)
        assert {m.strip() for m in response.headers["allow"].split(",")} == allowed, (method, url)
        assert response.json()["error"] == "method_not_allowed"


def test_options_lists_every_method_of_the_path(client):
    """Litestar's own OPTIONS answer listed only the first handler's methods (GET) on a path with GET and PUT."""
    response = client.options("/api/v1/visits/1/self-assessment/1.1.1")
    assert response.status_code == 204
    assert {m.strip() for m in response.headers["allow"].split(",")} == {"GET", "PUT", "OPTIONS"}


# ------------------------------------------------------------------------------ the boundary's rules


def test_json_limits_are_64_bit_integers_and_32_levels():
    from inspect_app.services.errors import Refused
    from inspect_app.web.boundary import MAX_ID, MAX_JSON_DEPTH, MIN_INT, check_json

    for fine in ({"answer": [MAX_ID, MIN_INT], "base_version": 0}, 1e308, True, "9" * 400,
                 [[[0]]], _nested(MAX_JSON_DEPTH - 1)):
        check_json(fine)
    for bad, says in (({"answer": MAX_ID + 1}, "quá lớn"), ([MIN_INT - 1], "quá lớn"), (_nested(MAX_JSON_DEPTH), "quá sâu"),
                      ({"a": _nested(MAX_JSON_DEPTH)}, "quá sâu")):
        with pytest.raises(Refused) as refused:
            check_json(bad)
        assert refused.value.status == 400 and says in refused.value.message


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value
