"""Take the README's screenshots of `txplan serve` with Debian's chromium (via Playwright):

    .venv/bin/python scripts/serve_screenshots.py [--chromium /usr/bin/chromium]

Writes docs/screenshots/caseload.png, editor-message.png and instrument-grid.png from a caseload
of the bundled (fictional) example plan.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from importlib import resources
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> None:
    """Serve a caseload in a thread, open it in chromium and save the three screenshots."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from txplan.api import engine_for
    from txplan.serve.command import BackgroundServer

    example = Path(str(resources.files("txplan.examples").joinpath("attachment-plan.yaml")))
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        shutil.copy(example, folder / "durand-okafor.yaml")
        text = example.read_text(encoding="utf-8").replace("Amélie Durand-Okafor", "Jonas Whitfield").replace("review_dates: [2026-12-07, 2027-03-01]", "review_dates: [2026-10-01, 2027-03-01]")
        (folder / "whitfield.yaml").write_text(text.replace("- date: 2026-11-30\n    summary", "- date: 2026-09-20\n    summary"), encoding="utf-8")
        (folder / "new-client.yaml").write_text("client:\n  name: Priya Raman\n", encoding="utf-8")
        server = BackgroundServer(folder, engine_for(None))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=args.chromium, args=ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 800})
                page.goto(server.url)
                page.screenshot(path=str(OUT / "caseload.png"))
                page.goto(server.base + "/plan/durand-okafor.yaml")
                page.fill('[name="goals[0].objectives[1].target_date"]', "2026-01-15")
                page.locator('[name="goals[0].objectives[1].target_date"]').blur()
                page.wait_for_selector('.field-msg[data-slot="goals[0].objectives[1].target_date"] p.error')
                page.locator("#f-goals-0-objectives-1").scroll_into_view_if_needed()
                page.screenshot(path=str(OUT / "editor-message.png"))
                index = page.eval_on_selector_all('select[name$="].instrument"]', "els => els.findIndex(e => e.value === 'phq-9')")
                page.check(f'input[name="assessments[{index}].responses[8]"][value="2"]')
                page.wait_for_selector(f'[data-slot="assessments[{index}]"] [role="alert"]')
                page.locator(f"#f-assessments-{index}-responses").scroll_into_view_if_needed()
                page.mouse.wheel(0, 250)
                page.screenshot(path=str(OUT / "instrument-grid.png"))
                browser.close()
        finally:
            server.stop()
    print(f"wrote {OUT}/caseload.png, editor-message.png, instrument-grid.png")


if __name__ == "__main__":
    main()
