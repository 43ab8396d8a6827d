"""The review pages in a real headless Chromium (Debian's chromium and chromium-driver,
driven by selenium) against the real gateway over HTTP: sign in, list, open a card, see its
photo, fix a field, confirm, search, sign out. Missing browser binaries fail the test."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy.orm import Session, sessionmaker

from gateway.auth.tokens import Scope
from gateway.models import Contact
from tests.conftest import Pipeline
from tests.gateway.ui.conftest import AddCard, Issue, card_jpeg

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    for binary, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(binary, os.X_OK):
            pytest.fail(f"{binary} is missing: install Debian's {package} (scripts/install.sh)")
    options = Options()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in a container has no user namespaces to sandbox with
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--lang=en",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where the screenshots go: $IBBASE_SCREENSHOTS, else the test's tmp."""
    folder = Path(os.environ.get("IBBASE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def snap(driver: WebDriver, path: Path) -> None:
    assert driver.save_screenshot(str(path)) and path.stat().st_size > 0


def wait(driver: WebDriver, css: str) -> WebElement:
    found: WebElement = WebDriverWait(driver, 15).until(
        lambda d: d.find_element(By.CSS_SELECTOR, css)
    )
    return found


def navigate(driver: WebDriver, css: str) -> None:
    """Click what submits a form or follows a link, and wait for the next page: its elements
    would otherwise be looked for on the page being left."""
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, css).click()
    WebDriverWait(driver, 15).until(staleness_of(page))


def loaded(driver: WebDriver, image: WebElement) -> bool:
    """The image was fetched and decoded: the browser knows its pixel width."""
    return bool(
        WebDriverWait(driver, 15).until(
            lambda d: d.execute_script(
                "return arguments[0].complete && arguments[0].naturalWidth > 0", image
            )
        )
    )


def path_of(driver: WebDriver) -> str:
    return "/" + driver.current_url.split("/", 3)[3]


def stored(sessions: sessionmaker[Session], contact_id: int) -> Contact:
    with sessions() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None
        session.expunge(contact)
        return contact


def review(
    driver: WebDriver,
    base: str,
    token: str,
    contact_id: int,
    sessions: sessionmaker[Session],
    shots: Path,
) -> None:
    # Not signed in: the login form.
    driver.get(f"{base}/ui")
    assert path_of(driver) == "/ui/login"

    # A wrong token stays on the login form, with the reason.
    wait(driver, "#token").send_keys("ibb_000000000000_" + "x" * 43)
    navigate(driver, "form.login button")
    assert "not valid" in wait(driver, "#error").text
    assert path_of(driver) == "/ui/login"

    # The right one: the list, newest first, with the card's thumbnail.
    wait(driver, "#token").send_keys(token)
    navigate(driver, "form.login button")
    row = wait(driver, f"#contact-{contact_id}")
    assert path_of(driver) == "/ui"
    assert "Anna Smirnova" in row.text and "+79001234567" in row.text
    assert "uncertain" in row.find_element(By.CSS_SELECTOR, "td.company").get_attribute("class")
    assert loaded(driver, row.find_element(By.CSS_SELECTOR, "td.thumb img"))

    # The card: its photo beside the form, the unsure company highlighted.
    navigate(driver, f"#contact-{contact_id} td.name a")
    photo = wait(driver, "img.photo")
    assert path_of(driver) == f"/ui/contacts/{contact_id}"
    assert loaded(driver, photo)
    company = driver.find_element(By.ID, "f-company")
    field = company.find_element(By.XPATH, "..")
    assert "uncertain" in (field.get_attribute("class") or "")
    snap(driver, shots / "ui-contact-page.png")

    # Fix the company and save: the page says so, the database has it.
    company.clear()
    company.send_keys("Acme Corporation")
    navigate(driver, "#save")
    assert wait(driver, "#saved").text == "Saved: Company."
    assert driver.find_element(By.ID, "f-company").get_attribute("value") == "Acme Corporation"
    assert stored(sessions, contact_id).company == "Acme Corporation"
    assert "uncertain" not in (
        driver.find_element(By.ID, "f-company").find_element(By.XPATH, "..").get_attribute("class")
        or ""
    )

    # Confirm it.
    navigate(driver, "#confirm")
    assert "confirmed" in wait(driver, "#confirmed").text
    assert stored(sessions, contact_id).confirmed_at is not None
    assert loaded(driver, wait(driver, "img.photo"))
    snap(driver, shots / "ui-contact-page-confirmed.png")

    # Search finds it by the new company, and not by nonsense.
    navigate(driver, "a.back")
    search = wait(driver, "#q")
    search.send_keys("corporation")
    navigate(driver, "#search")
    assert "1–1 of 1" in wait(driver, "#count").text
    assert "✓" in driver.find_element(By.CSS_SELECTOR, f"#contact-{contact_id} td.confirmed").text
    search = driver.find_element(By.ID, "q")
    search.clear()
    search.send_keys("no such company")
    navigate(driver, "#search")
    assert "No contacts" in wait(driver, "#count").text

    # Sign out: back to the login form, and the pages are closed again.
    navigate(driver, "#logout")
    wait(driver, "#token")
    assert path_of(driver) == "/ui/login"
    driver.get(f"{base}/ui/contacts/{contact_id}")
    assert path_of(driver) == "/ui/login"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_review_a_card_in_a_browser(
    pipeline: Pipeline,
    sessions: sessionmaker[Session],
    add_card: AddCard,
    issue: Issue,
    browser: WebDriver,
    shots: Path,
) -> None:
    add_card(name="Someone Older", company="Elsewhere", emails=["older@example.com"])
    contact_id = add_card(
        name="Anna Smirnova",
        company="Acme Corp",
        phones=["+79001234567"],
        emails=["anna@acme.example.com"],
        confidence={"name": 0.97, "company": 0.41, "phones": 0.9},
        photo=card_jpeg("Anna Smirnova / Acme Corp"),
    )
    token = issue(Scope.ADMIN)

    await asyncio.to_thread(
        review, browser, pipeline.gateway.url, token, contact_id, sessions, shots
    )
    print(
        f"screenshots of the contact page: {shots / 'ui-contact-page.png'} (as read), "
        f"{shots / 'ui-contact-page-confirmed.png'} (fixed and confirmed)"
    )

    # A POST without the CSRF token is refused, even with the session's cookie.
    response = await pipeline.http.post(
        f"{pipeline.gateway.url}/ui/contacts/{contact_id}",
        data={"company": "Forged Inc"},
        headers={"Cookie": f"ibbase_ui={token}"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert stored(sessions, contact_id).company == "Acme Corporation"
