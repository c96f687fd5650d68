"""`txplan serve` in a real browser: Debian's chromium driven by Playwright (never `playwright
install`). Skipped where chromium or Playwright is missing, except in CI (CI set), where that
fails: the browser tests must run there."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("TXPLAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def _missing(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests: {message}")
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (it is in the test extra)")
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} is missing (Debian: apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def folder(caseload_folder: Path) -> Path:
    return caseload_folder


@pytest.fixture
def server(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import _socket
    import socket

    # The browser talks to the server over the loopback; any other connection still fails.
    monkeypatch.setattr(socket.socket, "connect", _loopback_only(_socket.socket.connect))
    from txplan.api import engine_for
    from txplan.serve.command import BackgroundServer

    running = BackgroundServer(folder, engine_for(None))
    yield running
    running.stop()


def _loopback_only(connect: Any) -> Any:
    def guarded(self: Any, address: Any, *args: Any) -> Any:
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError("txplan tried to open a network connection")
        return connect(self, address, *args)

    return guarded


@pytest.fixture
def page(browser: Any, server: Any) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.goto(server.url)
    opened.txplan_errors = errors  # type: ignore[attr-defined]
    yield opened
    context.close()
    assert not errors, errors  # a CSP violation or a script error shows here


def open_plan(page: Any, name: str) -> None:
    page.goto(page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2] + f"/plan/{name}")
    page.wait_for_selector("#editor-form")


def wait_live(page: Any) -> None:
    page.wait_for_load_state("networkidle")


def field_message(page: Any, path: str) -> str:
    return page.locator(f'.field-msg[data-slot="{path}"]').inner_text()


def test_create_a_plan_from_blank_to_valid(page: Any, folder: Path) -> None:
    page.fill("#new-name", "new client")
    page.click("text=Create")
    page.wait_for_selector("#editor-form")
    for name, value in [("client.name", "Test Client"), ("clinician.name", "Dr. Test"), ("clinician.credentials", "LCSW"), ("practice.name", "Test Practice")]:
        page.fill(f'[name="{name}"]', value)
    page.fill('[name="client.date_of_birth"]', "1990-01-31")
    page.fill('[name="plan.start_date"]', "2026-01-05")
    for section in ("presenting_issues", "goals", "interventions"):
        page.click(f'button[value="add:{section}"]')
        page.wait_for_selector(f'[name="{section}[0]#len"], [name^="{section}[0]."]')
    page.fill('[name="presenting_issues[0].summary"]', "Low mood since a bereavement")
    page.fill('[name="goals[0].statement"]', "I want to get back to seeing my friends on weekends.")
    page.fill('[name="goals[0].objectives[0].description"]', "Meets a friend for an activity each weekend.")
    page.fill('[name="goals[0].objectives[0].criterion"]', "Four weekends out of five, by her own log.")
    page.fill('[name="goals[0].objectives[0].target_date"]', "2026-04-30")
    page.fill('[name="interventions[0].name"]', "Behavioural activation")
    page.fill('[name="interventions[0].description"]', "Scheduling valued activities with friends, reviewed weekly.")
    page.click('button[value="add:interventions[0].goals"]')
    page.wait_for_selector('[name="interventions[0].goals[0]"]')
    page.fill('[name="interventions[0].goals[0]"]', "G1")
    page.locator('[name="interventions[0].goals[0]"]').blur()
    wait_live(page)
    page.wait_for_selector("#live .summary.good")
    page.click("#save-button")
    page.wait_for_selector("#save-result .good")
    from txplan.cli import main

    assert main(["validate", str(folder / "new-client.yaml")]) == 0


def test_a_bad_date_shows_the_clis_message_at_the_field(page: Any) -> None:
    open_plan(page, "amelie.yaml")
    page.fill('[name="goals[0].objectives[1].target_date"]', "2025-01-01")
    page.locator('[name="goals[0].objectives[1].target_date"]').blur()
    page.wait_for_selector('.field-msg[data-slot="goals[0].objectives[1].target_date"] p.error')
    message = field_message(page, "goals[0].objectives[1].target_date")
    assert "before the plan" in message
    assert page.get_attribute('[name="goals[0].objectives[1].target_date"]', "aria-invalid") == "true"


def test_phq9_answers_give_the_total_and_the_item_9_alert(page: Any) -> None:
    open_plan(page, "amelie.yaml")
    index = page.eval_on_selector_all('select[name$="].instrument"]', "els => els.findIndex(e => e.value === 'phq-9')")
    path = f"assessments[{index}]"
    for item, answer in enumerate([3, 2, 2, 1, 1, 0, 1, 2, 1]):
        page.check(f'input[name="{path}.responses[{item}]"][value="{answer}"]')
    wait_live(page)
    score = page.locator(f'[data-slot="{path}"][data-kind="score-slot"]')
    selector = f'[data-slot="{path}"][data-kind="score-slot"] output'
    page.wait_for_function(f"() => document.querySelector({selector!r})?.textContent === '13'", timeout=10_000)
    assert score.locator("output").first.inner_text() == "13"
    assert "moderate" in score.inner_text()
    assert score.locator('[role="alert"]').count() == 1


def test_library_pick_and_its_application(page: Any) -> None:
    open_plan(page, "amelie.yaml")
    page.click('button[value="add:interventions"]')
    page.wait_for_selector('[name="interventions[5].id"]')
    page.fill("#lib-q-f-interventions-5", "grounding")
    page.click('button.pick[data-reference="mindfulness.grounding"]')
    page.wait_for_function("() => document.querySelector('select[name=\"interventions[5].library\"]').value === 'mindfulness.grounding'", timeout=10_000)
    assert page.input_value('select[name="interventions[5].library"]') == "mindfulness.grounding"
    assert page.evaluate("document.activeElement.name") == "interventions[5].application"
    wait_live(page)
    assert "application" in field_message(page, "interventions[5].application") or "application" in page.inner_text("#live")


def test_a_measured_objective_shows_its_status(page: Any) -> None:
    open_plan(page, "amelie.yaml")
    base = "goals[1].objectives[0].measure"
    page.select_option(f'[name="{base}.instrument"]', "phq-9")
    page.wait_for_selector(f'[name="{base}.score"][list="scores-phq-9"]')  # the form offers the instrument's scores
    page.fill(f'[name="{base}.score"]', "total")
    page.fill(f'[name="{base}.at_most"]', "9")
    page.locator(f'[name="{base}.at_most"]').blur()
    wait_live(page)
    status = page.locator(f'[data-slot="{base}"][data-kind="score-slot"] .measure-status')
    status.wait_for()
    assert "met" in status.inner_text() and "PHQ-9" in status.inner_text()


def test_a_check_finding_links_to_its_field(page: Any) -> None:
    open_plan(page, "amelie.yaml")
    page.fill('[name="therapy.session_length_minutes"]', "")
    page.select_option("#payer", "medicare-outpatient")
    page.click("#check-button")
    link = page.locator('#findings a[href="#f-therapy-session_length_minutes"]')
    link.wait_for()
    link.click()
    assert page.evaluate("location.hash") == "#f-therapy-session_length_minutes"


def test_preview(page: Any) -> None:
    open_plan(page, "amelie.yaml")
    with page.expect_response(lambda r: r.url.endswith("/preview")) as answered:
        page.click("#preview-link")
    assert answered.value.status == 200
    frame = page.frame(name="preview-frame")
    frame.wait_for_function("() => document.body && document.body.innerText.includes('Amélie')", timeout=10_000)
    assert "Amélie" in frame.content()


def test_docx_download(page: Any) -> None:
    open_plan(page, "amelie.yaml")
    with page.expect_download() as info:
        page.click('a[href$="/download/docx"]')
    import docx

    document = docx.Document(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert "Amélie" in "\n".join(p.text for p in document.paragraphs)


def test_a_change_on_disk_is_detected_and_both_versions_shown(page: Any, folder: Path) -> None:
    open_plan(page, "amelie.yaml")
    page.fill('[name="client.pronouns"]', "they/them")
    changed = (folder / "amelie.yaml").read_text().replace("(503) 555-0142", "(503) 555-0199")
    (folder / "amelie.yaml").write_text(changed)
    page.click("#save-button")
    page.wait_for_selector("#disk-version")
    assert "555-0199" in page.inner_text("#disk-version")
    assert "they/them" in page.inner_text("#my-version")
    assert (folder / "amelie.yaml").read_text() == changed


def test_keyboard_only_completion_of_the_client_section(page: Any, folder: Path) -> None:
    page.fill("#new-name", "keyboard")
    page.click("text=Create")
    page.wait_for_selector("#editor-form")
    page.focus('[name="client.name"]')
    page.keyboard.type("Kay Board")
    for _ in range(4):  # preferred name, pronouns: left empty
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "client.date_of_birth":
            break
    assert page.evaluate("document.activeElement.name") == "client.date_of_birth"
    page.keyboard.type("04171991")
    page.keyboard.press("Tab")
    wait_live(page)
    assert page.input_value('[name="client.date_of_birth"]') == "1991-04-17"
    assert field_message(page, "client.name") == ""
    assert field_message(page, "client.date_of_birth") == ""


def test_pages_pass_an_accessibility_check(browser: Any, server: Any) -> None:
    context = browser.new_context(bypass_csp=True)  # only so that the test can add axe to the page
    page = context.new_page()
    page.goto(server.url)
    for url in (server.base + "/", server.base + "/plan/amelie.yaml"):
        page.goto(url)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => v.id + ': ' + v.nodes.length + ' ' + v.help)")
        assert result == [], (url, result)
    context.close()


def test_an_idle_page_locks_until_the_key_is_given(browser: Any, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import _socket
    import socket

    from txplan.api import engine_for
    from txplan.serve.command import BackgroundServer

    monkeypatch.setattr(socket.socket, "connect", _loopback_only(_socket.socket.connect))
    running = BackgroundServer(folder, engine_for(None), idle_seconds=2)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(running.url)
        page.goto(running.base + "/plan/amelie.yaml")
        page.wait_for_url("**/locked", timeout=15_000)
        assert "Locked" in page.inner_text("h1") and "Durand" not in page.content()
        page.goto(running.base + "/plan/amelie.yaml")  # the server refuses too, not only the page
        assert "Durand" not in page.content() and "Locked" in page.inner_text("h1")
        page.fill("#unlock-token", running.guard.token)
        page.click("text=Unlock")
        page.wait_for_selector("table.caseload")
        assert "Amélie" in page.inner_text("table.caseload")
    finally:
        context.close()
        running.stop()
