"""The chat page in a real browser (Debian's Chromium, driven by Playwright) against the app
served by uvicorn on 127.0.0.1. The generator is a fixed answer; retrieval, evidence and the
citation check are the real ones, and the page is compared with what the API verified."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from service.core import Service
from tests.api_fixtures import FAKE_ANSWER, WORKING_GROUP, FakeGenerator, serve, with_generator

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = Path("/tmp/web_page.png")

if not CHROMIUM.exists():
    pytest.skip(
        f"no browser: {CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True
    )

from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def site(service: Service, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    fake = with_generator(service, FakeGenerator(), data_dir=tmp_path_factory.mktemp("web"))
    with serve(create_app(service=fake)) as url:
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, errors


def ask(page: Page, question: str, *, click: bool = False) -> Locator:
    """Type the question and send it (Enter, or the Ask button); the turn's answer once it
    is final: the verified text, no longer the draft."""
    page.fill("#question", question)
    if click:
        page.click("button.send")
    else:
        page.press("#question", "Enter")
    answer = page.locator(".turn .a").last
    expect(answer).not_to_have_class(re.compile(r"\bdraft\b"), timeout=60_000)
    return answer


def test_answer_citation_and_quote_in_the_article(site: str, page: Page) -> None:
    verified = httpx.post(f"{site}/v1/ask", json={"question": WORKING_GROUP}, timeout=60).json()
    assert verified["answer"] == FAKE_ANSWER and not verified["abstained"]
    first = verified["citations"][0]
    page.goto(f"{site}/")
    answer = ask(page, WORKING_GROUP, click=True)
    expect(page.locator(".turn .q")).to_have_text(WORKING_GROUP)
    expect(answer).to_have_text(verified["answer"])
    cite = answer.locator("button.cite")
    expect(cite).to_have_count(1)
    expect(cite).to_have_text("[1]")
    sources = page.locator(".turn ol.sources li")
    expect(sources).to_have_count(len(verified["citations"]))
    expect(sources.first).to_contain_text(first["quote"])
    expect(sources.first).to_contain_text(first["doc_id"])
    expect(page.locator(".turn .status")).to_contain_text(" s)")  # the done event's timing

    cite.click()
    pane = page.locator("#article")
    expect(pane.locator("h2")).to_have_text(first["title"])
    mark = pane.locator("mark")
    expect(mark).to_have_count(1)
    expect(mark).to_have_text(first["quote"])
    assert mark.text_content() == first["quote"]  # exactly, not only up to whitespace
    expect(pane.locator(".meta")).to_contain_text(first["doc_id"])
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 10_000


def test_abstention_is_shown_without_sources(site: str, page: Page) -> None:
    page.goto(f"{site}/")
    answer = ask(page, "What is the population of Ukraine?")
    expect(answer).to_have_class(re.compile(r"\babstained\b"))
    expect(answer).to_contain_text("The articles do not contain the answer")
    expect(page.locator(".turn ol.sources")).to_have_count(0)
    expect(answer.locator("button.cite")).to_have_count(0)


def test_api_key_box(service: Service, browser: Browser, tmp_path: Path) -> None:
    fake = with_generator(service, FakeGenerator(), api_keys="letmein", data_dir=tmp_path)
    with serve(create_app(service=fake)) as url:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{url}/")
        page.fill("#question", WORKING_GROUP)
        page.press("#question", "Enter")
        expect(page.locator(".turn .error")).to_contain_text("A valid API key is needed")
        page.fill("#key", "letmein")
        page.dispatch_event("#key", "change")
        answer = ask(page, WORKING_GROUP)
        expect(answer).to_have_text(FAKE_ANSWER)
        answer.locator("button.cite").click()
        expect(page.locator("#article mark")).to_have_count(1)
        context.close()
