"""`txplan serve` over HTTP (Starlette's test client): every security rule with a request that
must be refused, and the editor's data path: form -> the CLI's messages -> saved file that the
CLI reads back identically."""

from __future__ import annotations

import html.parser
import logging
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="txplan[serve] is part of the test extra") if not os.environ.get("CI") else None

from starlette.testclient import TestClient  # noqa: E402

import txplan  # noqa: E402
from txplan.api import engine_for  # noqa: E402
from txplan.cli import main  # noqa: E402
from txplan.serve.app import create_app  # noqa: E402
from txplan.serve.forms import FormError, parse_path  # noqa: E402
from txplan.serve.security import Guard  # noqa: E402

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
ORIGIN = {"origin": BASE}


@pytest.fixture
def folder(caseload_folder: Path) -> Path:
    return caseload_folder


@pytest.fixture
def guard() -> Guard:
    return Guard.start({"127.0.0.1", "localhost"}, PORT, 900)


@pytest.fixture
def anonymous(folder: Path, guard: Guard) -> TestClient:
    """A client without the session cookie."""
    return TestClient(create_app(folder, engine_for(None), guard), base_url=BASE)


@pytest.fixture
def client(anonymous: TestClient, guard: Guard) -> TestClient:
    """A client that exchanged the printed token for the session cookie."""
    response = anonymous.get(f"/?token={guard.token}", follow_redirects=False)
    assert response.status_code == 303
    assert anonymous.cookies["txplan_session"]  # kept by the client, as a browser keeps it
    return anonymous


# -- reading the editor's form as a browser would submit it --------------------------------------


class _FormReader(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == "editor-form":
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox") and "checked" not in a:
                return
            if kind in ("button", "submit", "search"):
                return
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name") and not a.get("form"):
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            text = self._text[1:] if self._text.startswith("\n") else self._text
            self.fields.append((self._textarea, text))
            self._textarea = None


def form_fields(page: str) -> list[tuple[str, str]]:
    reader = _FormReader()
    reader.feed(page)
    return reader.fields


def replace(fields: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    assert any(n == name for n, _ in fields), name
    return [(n, value if n == name else v) for n, v in fields]


def post_form(client: TestClient, url: str, fields: list[tuple[str, str]], **headers: str) -> Any:
    body = "&".join(f"{_q(n)}={_q(v)}" for n, v in fields)
    return client.post(url, content=body.encode(), headers={"content-type": "application/x-www-form-urlencoded", **ORIGIN, **headers})


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


# -- security ---------------------------------------------------------------------------------------


def test_without_the_cookie_every_page_is_refused(anonymous: TestClient) -> None:
    for url in ("/", "/plan/amelie.yaml", "/static/app.js", "/plan/amelie.yaml/download/markdown", "/library?target=interventions[0]"):
        response = anonymous.get(url)
        assert response.status_code == 403, url
        assert "Durand" not in response.text
    assert anonymous.post("/new", data={"name": "x", "source": "blank"}, headers=ORIGIN).status_code == 403


def test_a_wrong_token_gets_no_cookie(anonymous: TestClient, guard: Guard) -> None:
    response = anonymous.get("/?token=" + guard.token[:-1] + "x", follow_redirects=False)
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_the_token_becomes_an_httponly_strict_cookie_and_leaves_the_address(anonymous: TestClient, guard: Guard) -> None:
    response = anonymous.get(f"/plan/amelie.yaml?token={guard.token}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/plan/amelie.yaml"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and guard.token not in cookie


def test_a_forged_session_cookie_is_refused(anonymous: TestClient) -> None:
    anonymous.cookies.set("txplan_session", "forged")
    assert anonymous.get("/").status_code == 403


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1:9999", "localhost.evil.example:8765", ""])
def test_a_foreign_host_header_is_refused(client: TestClient, host: str) -> None:
    response = client.get("/", headers={"host": host})
    assert response.status_code == 421
    assert "Durand" not in response.text


def test_the_bound_names_are_accepted(client: TestClient) -> None:
    for host in ("127.0.0.1:8765", "localhost:8765", "LOCALHOST:8765"):
        assert client.get("/", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("origin", [None, "http://evil.example", "null", "http://127.0.0.1:9999", "https://127.0.0.1:8765"])
def test_a_change_without_this_apps_origin_is_refused(client: TestClient, folder: Path, origin: str | None) -> None:
    headers = {} if origin is None else {"origin": origin}
    before = (folder / "amelie.yaml").read_bytes()
    response = client.post("/new", data={"name": "forged", "source": "blank"}, headers=headers)
    assert response.status_code == 403
    response = client.post("/plan/amelie.yaml/save", data={"client.name": "Forged"}, headers=headers)
    assert response.status_code == 403
    assert not (folder / "forged.yaml").exists()
    assert (folder / "amelie.yaml").read_bytes() == before


def test_every_response_carries_the_protective_headers(client: TestClient) -> None:
    for response in (client.get("/"), client.get("/plan/amelie.yaml"), client.get("/static/app.js"), client.get("/nowhere")):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
    preview = client.get("/plan/amelie.yaml/preview")
    assert "sandbox" in preview.headers["content-security-policy"] and "frame-ancestors 'self'" in preview.headers["content-security-policy"]
    assert preview.headers["x-frame-options"] == "SAMEORIGIN" and preview.headers["cache-control"] == "no-store"


def test_pages_hold_no_inline_script(client: TestClient) -> None:
    for url in ("/", "/plan/amelie.yaml"):
        page = client.get(url).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url
        assert not re.search(r"\son[a-z]+=", page), url  # no inline event handlers either


@pytest.mark.parametrize(
    "name",
    ["..%2Fsecret.yaml", "%2Fetc%2Fpasswd", "%2E%2E", "%2E%2E%2Fsecret.yaml", ".hidden.yaml", "notes.txt", "sub%2Fplan.yaml", "%00.yaml", "link.yaml", "folder.yaml"],
)
def test_paths_never_leave_the_caseload(client: TestClient, folder: Path, tmp_path: Path, name: str) -> None:
    (tmp_path / "secret.yaml").write_text("client: {name: Outside}\n")
    (folder / "link.yaml").symlink_to(tmp_path / "secret.yaml")
    (folder / "folder.yaml").mkdir()
    for url in (f"/plan/{name}", f"/plan/{name}/preview", f"/plan/{name}/download/markdown"):
        response = client.get(url)
        assert response.status_code in (400, 404), (url, response.status_code)
        assert "Outside" not in response.text
    response = post_form(client, f"/plan/{name}/save", [("client.name", "Changed")])
    assert response.status_code in (400, 404)
    assert (tmp_path / "secret.yaml").read_text() == "client: {name: Outside}\n"


def test_a_link_in_the_folder_is_not_listed(client: TestClient, folder: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.yaml").write_text("client: {name: Outside}\n")
    (folder / "link.yaml").symlink_to(tmp_path / "secret.yaml")
    page = client.get("/").text
    assert "link.yaml" not in page and "Outside" not in page


def test_new_and_duplicate_names_stay_in_the_folder(client: TestClient, folder: Path) -> None:
    for name in ("../escape", "/abs", "..", "a/b"):
        response = client.post("/new", data={"name": name, "source": "blank"}, headers=ORIGIN, follow_redirects=False)
        if response.status_code == 303:  # made safe: a plain name in the folder
            created = response.headers["location"].removeprefix("/plan/")
            assert (folder / created).is_file() and "/" not in created
        else:
            assert response.status_code == 400
    assert sorted(p.name for p in folder.parent.iterdir()) == ["caseload"]


def test_creating_never_replaces_a_file(client: TestClient, folder: Path) -> None:
    before = (folder / "amelie.yaml").read_bytes()
    response = client.post("/new", data={"name": "amelie", "source": "blank"}, headers=ORIGIN)
    assert response.status_code == 409
    response = client.post("/plan/amelie.yaml/duplicate", data={"name": "amelie"}, headers=ORIGIN)
    assert response.status_code == 409
    assert (folder / "amelie.yaml").read_bytes() == before


def test_a_body_over_the_cap_is_refused(client: TestClient) -> None:
    big = b"client.name=" + b"x" * (3 * 1024 * 1024)
    response = client.post("/plan/amelie.yaml/validate", content=big, headers={"content-type": "application/x-www-form-urlencoded", **ORIGIN})
    assert response.status_code == 413


def test_a_body_over_the_cap_without_a_length_is_refused(client: TestClient) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b"x" * (100 * 1024)

    response = client.post("/plan/amelie.yaml/validate", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded", **ORIGIN})
    assert response.status_code == 413


@pytest.mark.parametrize("name", ["goals[0", "goals..x", "[0]", "goals[99999]", "goals[0]]", "a b", ".x"])
def test_malformed_field_names_are_refused(client: TestClient, name: str) -> None:
    with pytest.raises(FormError):
        parse_path(name)
    response = post_form(client, "/plan/amelie.yaml/validate", [(name, "1")])
    assert response.status_code == 400


def test_a_field_both_value_and_group_is_refused(client: TestClient) -> None:
    response = post_form(client, "/plan/amelie.yaml/validate", [("client", "x"), ("client.name", "y")])
    assert response.status_code == 400


def test_the_access_log_holds_no_plan_content(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="txplan.serve.access"):
        client.get("/plan/amelie.yaml?client=Durand")
        post_form(client, "/plan/amelie.yaml/validate", [("client.name", "Durand-Okafor")])
    lines = [r.getMessage() for r in caplog.records if r.name == "txplan.serve.access"]
    assert lines and all(re.fullmatch(r"(GET|POST) [/a-z*.]+ \d{3} \d+ms", line) for line in lines), lines
    assert not any("amelie" in line or "Durand" in line or "?" in line for line in lines)
    assert "GET /plan/* 200" in lines[0]


def test_the_session_locks_after_the_idle_time_until_the_token_is_given(client: TestClient, guard: Guard) -> None:
    now = [1000.0]
    guard.clock = lambda: now[0]
    session = client.cookies["txplan_session"]
    guard.sessions[session] = now[0]
    assert client.get("/").status_code == 200
    now[0] += guard.idle_seconds + 1
    locked = client.get("/plan/amelie.yaml")
    assert locked.status_code == 401 and "Durand" not in locked.text and "Locked" in locked.text
    assert client.get("/", headers={"hx-request": "true"}).headers.get("hx-redirect") == "/locked"
    refused = client.post("/unlock", data={"token": "wrong"}, headers=ORIGIN)
    assert refused.status_code == 403
    assert client.post("/unlock", data={"token": guard.token}, headers={"origin": "http://evil.example"}).status_code == 403
    unlocked = client.post("/unlock", data={"token": guard.token}, headers=ORIGIN, follow_redirects=False)
    assert unlocked.status_code == 303
    assert client.get("/").status_code == 200


def test_the_page_can_lock_itself(client: TestClient) -> None:
    assert client.get("/locked").status_code == 401
    assert client.get("/").status_code == 401


def test_serve_without_its_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import txplan.serve.command

    monkeypatch.setattr(txplan.serve.command, "missing_dependencies", lambda: ["starlette", "uvicorn"])
    assert main(["serve", str(tmp_path), "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'txplan[serve]'" in err and "Traceback" not in err


def test_serve_refuses_a_missing_folder_and_a_bad_port(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", str(tmp_path / "missing"), "--no-browser"]) == 2
    assert main(["serve", str(tmp_path), "--port", "70000", "--no-browser"]) == 2
    assert "Traceback" not in capsys.readouterr().err


# -- caseload -----------------------------------------------------------------------------------------


def caseload_page(client: TestClient) -> str:
    """The caseload page once every plan is read (it shows pending rows while they are)."""
    import time

    page = client.get("/").text
    deadline = time.monotonic() + 120
    while "being read" in page and time.monotonic() < deadline:
        rows = client.get("/rows").text
        page = page.split('<tbody id="caseload-rows"')[0] + rows + page.split("</tbody>", 1)[1]
    return page


def test_a_large_caseload_page_comes_at_once_and_fills_in(client: TestClient, folder: Path) -> None:
    text = (folder / "amelie.yaml").read_text()
    for index in range(60):
        (folder / f"c{index:02d}.yaml").write_text(text)
    first = client.get("/").text
    assert first.count('href="/plan/c') == 60
    if "being read" in first:
        assert 'hx-get="/rows"' in first
    full = caseload_page(client)
    assert "being read" not in full and full.count(">yes<") == 61 and 'hx-get="/rows"' not in full


def test_the_caseload_lists_each_plan_with_its_state(client: TestClient, folder: Path) -> None:
    (folder / "broken.yaml").write_text("client: [\n")
    text = (folder / "amelie.yaml").read_text().replace("review_dates: [2026-12-07, 2027-03-01]", "review_dates: [2020-12-07, 2027-03-01]")
    text = text.replace("  - date: 2026-11-30\n    summary", "  - date: 2019-11-30\n    summary")
    (folder / "overdue.yaml").write_text(text)
    page = caseload_page(client)
    row = page.split('href="/plan/amelie.yaml"')[1].split("</tr>")[0]
    assert "Amélie Durand-Okafor" in row and "Dr. Tomás Reyes" in row and "2026-09-14 to 2027-03-14" in row
    assert ">yes<" in row
    overdue = page.split('href="/plan/overdue.yaml"')[1].split("</tr>")[0]
    assert 'class="overdue"' in overdue and "2020-12-07" in overdue
    broken = page.split('href="/plan/broken.yaml"')[1].split("</tr>")[0]
    assert "cannot be read" in broken


def test_new_plan_from_blank_and_from_the_example(client: TestClient, folder: Path) -> None:
    response = client.post("/new", data={"name": "New Client", "source": "blank"}, headers=ORIGIN, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/plan/new-client.yaml"
    assert stat.S_IMODE((folder / "new-client.yaml").stat().st_mode) == 0o600
    page = client.get("/plan/new-client.yaml").text
    assert 'data-path="client" data-severity="error" data-message="required field is missing"' in page
    client.post("/new", data={"name": "from-example", "source": "example"}, headers=ORIGIN)
    assert (folder / "from-example.yaml").read_text() == (folder / "amelie.yaml").read_text()
    client.post("/plan/amelie.yaml/duplicate", data={"name": "copy"}, headers=ORIGIN)
    assert (folder / "copy.yaml").read_bytes() == (folder / "amelie.yaml").read_bytes()


# -- editor data path -----------------------------------------------------------------------------------


def test_the_form_carries_every_value_of_the_plan(client: TestClient, folder: Path) -> None:
    """The example plan, read back from its own form, is exactly the plan: nothing dropped,
    nothing retyped (the whole editor rests on this)."""
    from txplan.serve.forms import SchemaView, form_to_data

    fields = form_fields(client.get("/plan/amelie.yaml").text)
    engine = engine_for(None)
    data = form_to_data(fields, SchemaView(engine.schema))
    assert data == txplan.load_plan(folder / "amelie.yaml").data


def test_a_bad_date_gets_the_clis_message_at_its_field(client: TestClient, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fields = replace(form_fields(client.get("/plan/amelie.yaml").text), "goals[0].objectives[1].target_date", "2027-02-30")
    live = post_form(client, "/plan/amelie.yaml/validate", fields).text
    assert 'data-path="goals[0].objectives[1].target_date"' in live
    (folder / "bad.yaml").write_text((folder / "amelie.yaml").read_text().replace("target_date: 2027-02-28", "target_date: 2027-02-30", 1))
    assert main(["validate", str(folder / "bad.yaml")]) == 2
    cli_message = capsys.readouterr().err.splitlines()[0].split("goals[0].objectives[1].target_date: ")[1]
    assert f'data-message="{cli_message}"' in live


def test_phq9_answers_are_scored_with_the_item_9_alert(client: TestClient) -> None:
    fields = form_fields(client.get("/plan/amelie.yaml").text)
    index = next(int(m.group(1)) for n, v in fields if (m := re.fullmatch(r"assessments\[(\d+)\]\.instrument", n)) and v == "phq-9")
    answers = [3, 2, 2, 1, 1, 0, 1, 2, 1]
    for item, answer in enumerate(answers):
        fields = replace(fields, f"assessments[{index}].responses[{item}]", str(answer))
    live = post_form(client, "/plan/amelie.yaml/validate", fields).text
    block = live.split(f'data-place-at="assessments[{index}]"')[1].split("</div>")[0]
    assert "<output>13</output>" in block and "moderate" in block
    assert 'role="alert"' in block


def test_an_unanswered_item_is_named(client: TestClient) -> None:
    fields = form_fields(client.get("/plan/amelie.yaml").text)
    index = next(int(m.group(1)) for n, v in fields if (m := re.fullmatch(r"assessments\[(\d+)\]\.instrument", n)) and v == "phq-9")
    fields = [(n, v) for n, v in fields if n != f"assessments[{index}].responses[8]"]
    live = post_form(client, "/plan/amelie.yaml/validate", fields).text
    assert f'data-path="assessments[{index}].responses[8]"' in live and "item 9" in live


def test_saving_keeps_comments_and_order_and_reads_back_identically(client: TestClient, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = client.get("/plan/amelie.yaml").text
    fields = replace(form_fields(page), "client.preferred_name", "Amy")
    response = post_form(client, "/plan/amelie.yaml/save", fields)
    assert response.status_code == 200 and "Saved" in response.text
    text = (folder / "amelie.yaml").read_text()
    assert "preferred_name: Amy" in text
    assert "# An example treatment plan for txplan." in text and "# moved from 2026-11-30" in text
    assert stat.S_IMODE((folder / "amelie.yaml").stat().st_mode) == 0o600
    from txplan.serve.forms import SchemaView, form_to_data

    assert txplan.load_plan(folder / "amelie.yaml").data == form_to_data(fields, SchemaView(engine_for(None).schema))
    assert main(["validate", str(folder / "amelie.yaml")]) == 0


def test_an_invalid_plan_is_not_saved_over_a_valid_one_without_asking(client: TestClient, folder: Path) -> None:
    before = (folder / "amelie.yaml").read_bytes()
    fields = replace(form_fields(client.get("/plan/amelie.yaml").text), "client.date_of_birth", "1991-13-01")
    response = post_form(client, "/plan/amelie.yaml/save", fields)
    assert response.status_code == 200 and "Not saved" in response.text and "Save anyway" in response.text
    assert (folder / "amelie.yaml").read_bytes() == before
    response = post_form(client, "/plan/amelie.yaml/save", [*fields, ("_confirm_invalid", "yes")])
    assert response.status_code == 200
    assert "1991-13-01" in (folder / "amelie.yaml").read_text()


def test_a_file_changed_on_disk_is_not_overwritten(client: TestClient, folder: Path) -> None:
    fields = replace(form_fields(client.get("/plan/amelie.yaml").text), "client.pronouns", "they/them")
    changed = (folder / "amelie.yaml").read_text().replace("phone: (503) 555-0142", "phone: (503) 555-0199")
    (folder / "amelie.yaml").write_text(changed)
    response = post_form(client, "/plan/amelie.yaml/save", fields)
    assert "Not saved" in response.text
    assert "555-0199" in response.text.split('id="disk-version"')[1]
    assert "they/them" in response.text.split('id="my-version"')[1]
    assert (folder / "amelie.yaml").read_text() == changed
    override = re.search(r'name="_base_override" value="([0-9a-f]+)"', response.text).group(1)
    response = post_form(client, "/plan/amelie.yaml/save", [*fields, ("_base_override", override)])
    assert response.status_code == 200
    assert "they/them" in (folder / "amelie.yaml").read_text()


def test_list_operations_add_move_and_remove(client: TestClient) -> None:
    fields = form_fields(client.get("/plan/amelie.yaml").text)
    added = post_form(client, "/plan/amelie.yaml/edit", [*fields, ("_op", "add:goals")]).text
    assert 'name="goals[3].id" value="G4"' in added and 'name="goals[3].objectives[0].id"' in added
    moved = post_form(client, "/plan/amelie.yaml/edit", [*fields, ("_op", "up:goals[1]")]).text
    assert moved.index('value="G2"') < moved.index('value="G1"')
    removed = post_form(client, "/plan/amelie.yaml/edit", [*fields, ("_op", "remove:review_dates[0]")]).text
    assert 'name="review_dates[0]" value="2027-03-01"' in removed
    assert post_form(client, "/plan/amelie.yaml/edit", [*fields, ("_op", "remove:goals[77]")]).status_code == 400


def test_library_pick_inserts_the_reference_and_asks_for_the_application(client: TestClient) -> None:
    results = client.get("/library", params={"_q": "grounding", "target": "interventions[0]", "plan": "amelie.yaml"}).text
    assert "mindfulness.grounding" in results
    assert client.get("/library", params={"_q": "x", "target": "goals[0]", "plan": "amelie.yaml"}).status_code == 400
    fields = form_fields(client.get("/plan/amelie.yaml").text)
    fields = post_form(client, "/plan/amelie.yaml/edit", [*fields, ("_op", "add:interventions")]).text
    fields = form_fields(fields)
    edited = post_form(client, "/plan/amelie.yaml/edit", [*fields, ("_op", "library:interventions[5]:mindfulness.grounding")]).text
    assert 'data-focus="interventions[5].application"' in edited
    assert re.search(r'name="interventions\[5\]\.library"[^>]*>.*?<option value="mindfulness.grounding" selected>', edited, re.S)
    bad = post_form(client, "/plan/amelie.yaml/edit", [*fields, ("_op", "library:interventions[5]:nope.nothing")])
    assert bad.status_code == 400


def test_check_findings_link_to_their_fields(client: TestClient) -> None:
    fields = [(n, v) for n, v in form_fields(client.get("/plan/amelie.yaml").text) if n != "therapy.session_length_minutes"]
    findings = post_form(client, "/plan/amelie.yaml/check", [*fields, ("_payer", "medicare-outpatient")]).text
    assert 'href="#f-therapy-session_length_minutes"' in findings


def test_download_in_each_format(client: TestClient) -> None:
    import io

    import docx

    document = docx.Document(io.BytesIO(client.get("/plan/amelie.yaml/download/docx").content))
    assert "Amélie" in "\n".join(p.text for p in document.paragraphs)
    markdown = client.get("/plan/amelie.yaml/download/markdown")
    assert markdown.headers["content-disposition"] == 'attachment; filename="amelie.md"' and "Amélie" in markdown.text
    assert client.get("/plan/amelie.yaml/download/nope").status_code == 404


def test_a_packs_requires_marks_fields_required(folder: Path) -> None:
    guard = Guard.start({"127.0.0.1"}, PORT, 900)
    client = TestClient(create_app(folder, engine_for("harbour-group"), guard), base_url=BASE)
    client.get(f"/?token={guard.token}")
    page = client.get("/plan/amelie.yaml").text
    required = re.compile(r'<label for="(f-[^"]+)">[^<]*<span class="req"')
    marked = set(required.findall(page))
    assert {"f-clinician-npi", "f-therapy-session_length_minutes"} <= marked
    plain_guard = Guard.start({"127.0.0.1"}, PORT, 900)
    plain = TestClient(create_app(folder, engine_for(None), plain_guard), base_url=BASE)
    plain.get(f"/?token={plain_guard.token}")
    assert "f-clinician-npi" not in required.findall(plain.get("/plan/amelie.yaml").text)


def test_a_custom_assessment_asks_for_name_and_result(client: TestClient) -> None:
    fields = form_fields(client.get("/plan/amelie.yaml").text)
    added = form_fields(post_form(client, "/plan/amelie.yaml/edit", [*fields, ("_op", "add:assessments")]).text)
    index = max(int(m.group(1)) for n, _ in added if (m := re.fullmatch(r"assessments\[(\d+)\]\.instrument", n)))
    chosen = replace(added, f"assessments[{index}].instrument", "custom")
    page = post_form(client, "/plan/amelie.yaml/edit", [*chosen, ("_op", f"refresh:assessments[{index}].instrument")]).text
    assert f'name="assessments[{index}].name"' in page and f'name="assessments[{index}].result"' in page
    assert f'name="assessments[{index}].responses[0]"' not in page
    live = post_form(client, "/plan/amelie.yaml/validate", form_fields(page)).text
    assert f'data-path="assessments[{index}].name" data-severity="error" data-message="required field is missing"' in live


def test_a_new_objective_gets_its_goals_next_id(client: TestClient) -> None:
    fields = form_fields(client.get("/plan/amelie.yaml").text)
    page = post_form(client, "/plan/amelie.yaml/edit", [*fields, ("_op", "add:goals[0].objectives")]).text
    assert 'name="goals[0].objectives[2].id" value="G1.3"' in page


def test_serve_prints_the_keyed_address_and_warns_off_loopback(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    import uvicorn

    started: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.append(options))
    assert main(["serve", str(folder), "--no-browser", "--port", "8799"]) == 0
    out, err = capsys.readouterr()
    first = re.search(r"http://127\.0\.0\.1:8799/\?token=([A-Za-z0-9_-]{40,})", out)
    assert first
    assert started[-1]["host"] == "127.0.0.1" and started[-1]["access_log"] is False
    assert "warning" not in err
    assert main(["serve", str(folder), "--no-browser", "--host", "192.0.2.10"]) == 0
    out, err = capsys.readouterr()
    assert "warning" in err and "no TLS" in err and "no user accounts" in err
    assert started[-1]["host"] == "192.0.2.10"
    second = re.search(r"token=([A-Za-z0-9_-]+)", out)
    assert second and second.group(1) != first.group(1)  # a key per start


def test_missing_dependencies_names_the_distribution_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import txplan.serve

    monkeypatch.setattr(txplan.serve, "DEPENDENCIES", {"starlette": "starlette", "no_such_module_txplan": "no-such-dist", "nosuchpkg.sub": "nosuchpkg"})
    assert txplan.serve.missing_dependencies() == ["no-such-dist", "nosuchpkg"]


def test_the_editor_form_never_submits_by_get(client: TestClient) -> None:
    """A form submitted without script would put plan content into the address and history."""
    page = client.get("/plan/amelie.yaml").text
    form_tag = re.search(r'<form id="editor-form"[^>]*>', page).group(0)
    assert 'method="post"' in form_tag and "submit" in form_tag


def test_a_field_txplan_does_not_know_is_kept_on_saving(client: TestClient, folder: Path) -> None:
    text = (folder / "amelie.yaml").read_text().replace("  pronouns: she/her\n", "  pronouns: she/her\n  nickname: Mel   # kept\n")
    (folder / "amelie.yaml").write_text(text)
    page = client.get("/plan/amelie.yaml").text
    assert 'name="client.nickname" value="Mel"' in page
    fields = replace(form_fields(page), "client.pronouns", "she/they")
    live = post_form(client, "/plan/amelie.yaml/validate", fields).text
    assert 'data-path="client.nickname"' in live and "unknown field" in live
    post_form(client, "/plan/amelie.yaml/save", [*fields, ("_confirm_invalid", "yes")])
    saved = (folder / "amelie.yaml").read_text()
    assert "nickname: Mel   # kept" in saved and "pronouns: she/they" in saved


def test_a_json_plan_is_saved_as_json_in_its_key_order(client: TestClient, folder: Path) -> None:
    import json

    data = txplan.load_plan(folder / "amelie.yaml").data
    (folder / "plan.json").write_text(json.dumps(data, indent=1, ensure_ascii=False))
    fields = replace(form_fields(client.get("/plan/plan.json").text), "client.pronouns", "they/them")
    assert "Saved" in post_form(client, "/plan/plan.json/save", fields).text
    saved = json.loads((folder / "plan.json").read_text())
    assert list(saved) == list(data) and saved["client"]["pronouns"] == "they/them"
    assert main(["validate", str(folder / "plan.json")]) == 0


def test_a_save_that_cannot_be_written_changes_nothing_and_says_so(client: TestClient, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import txplan.output

    before = (folder / "amelie.yaml").read_bytes()
    fields = replace(form_fields(client.get("/plan/amelie.yaml").text), "client.pronouns", "they/them")

    def refuse(source: str, target: object) -> None:
        raise OSError(errno.EACCES, "Permission denied")

    with monkeypatch.context() as patch:
        patch.setattr(txplan.output.os, "replace", refuse)
        response = post_form(client, "/plan/amelie.yaml/save", fields)
    assert "Not saved" in response.text and "Durand" not in response.text
    assert (folder / "amelie.yaml").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["amelie.yaml"]  # no temporary file left


def test_an_internal_error_logs_no_plan_content(client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    import txplan.serve.editing

    def broken(*args: object) -> None:
        raise KeyError("Amélie Durand-Okafor")

    monkeypatch.setattr(txplan.serve.editing, "evaluate", broken)
    client = TestClient(client.app, base_url=BASE, raise_server_exceptions=False, cookies=client.cookies)
    with caplog.at_level(logging.INFO):
        response = post_form(client, "/plan/amelie.yaml/validate", [("client.name", "x")])
    assert response.status_code == 500 and "Durand" not in response.text
    assert "internal error: KeyError" in caplog.text and "Durand" not in caplog.text
