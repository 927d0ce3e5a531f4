"""The UI in a real headless Chromium with a real LLM: the text streams in, then the verified answer replaces it."""

from __future__ import annotations

import pytest

from index.build import index_paths
from rag.settings import Settings
from tests.conftest import SEEDS
from tests.ui.server import running_server
from tests.ui.test_browser import CHROMIUM, CHROMIUM_ARGS
from ui.web import GENERATIVE

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_generative_answer_streams_then_shows_verified_statements(tmp_path, llm_url):
    from playwright.sync_api import sync_playwright

    home = tmp_path / "home"
    index_paths([SEEDS], Settings(home=home))
    settings = Settings(home=home, llm_url=llm_url, llm_timeout=120, llm_max_tokens=96)
    with running_server(settings) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1100})
        page.goto(base + "/", wait_until="load")  # not networkidle: a session with state keeps a heartbeat open
        page.wait_for_selector("#question textarea", timeout=60_000)
        page.get_by_label(GENERATIVE).check()
        box = page.locator("#question textarea")
        box.fill("Who proposed delaying NATO membership?")
        box.press("Enter")
        page.wait_for_selector("#answer .rag-streaming", timeout=120_000)  # the draft, while the model writes
        page.wait_for_selector("#answer .rag-timings", timeout=180_000)  # the verified answer replaced it
        assert page.locator("#answer .rag-streaming").count() == 0
        assert "written by" in page.locator("#answer .rag-timings").inner_text()
        statements = page.locator("#answer .rag-full").first.text_content()  # may sit in a closed <details>
        assert statements.strip()
        flags = page.locator("#answer .rag-flag").count()
        markers = page.locator("#answer a.rag-marker").count()
        assert flags + markers >= 1, "each statement is either cited or flagged unsupported"
        browser.close()


def test_mode_choice_is_hidden_without_an_llm(tmp_path):
    from playwright.sync_api import sync_playwright

    home = tmp_path / "home"
    index_paths([SEEDS], Settings(home=home))
    with running_server(Settings(home=home)) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(base + "/", wait_until="load")  # not networkidle: a session with state keeps a heartbeat open
        page.wait_for_selector("#question textarea", timeout=60_000)
        assert page.get_by_label(GENERATIVE).count() == 0
        browser.close()
