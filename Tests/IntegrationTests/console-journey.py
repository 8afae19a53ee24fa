#!/usr/bin/env python3
"""The merchant's journey through the console in a real headless Chromium (Debian's chromium and chromedriver,
selenium from PyPI), as ConsoleBrowserTests runs it against a stack with the vendor fakes.

  console-journey.py setup     sign in; connect Mailchimp with OAuth (the fake's sign-in) and iContact with
                               credentials; Refresh; a product rule whose tag is found by typeahead.
  console-journey.py rules     a global rule with an audience typed by hand (TYPED_AUDIENCE, made in the app after
                               the refresh); a test event that succeeds; one the app refuses; the logs. Prints the
                               failed entry's URL on the last line.
  console-journey.py replay URL
                               sign in again, replay that failed entry (the test made the app accept the member
                               meanwhile) and see it turn success.

Environment: CONSOLE_URL, API_KEY, SCREENSHOTS (a directory), OK_EMAIL, REFUSED_EMAIL, ICONTACT_USERNAME,
ICONTACT_PASSWORD, TYPED_AUDIENCE. Every screen is saved as a PNG; any failure saves the screen it happened on and exits 1.
"""
import os
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE = os.environ["CONSOLE_URL"].rstrip("/")
SHOTS = os.environ["SCREENSHOTS"]
WAIT = 20
# Parts of a page are replaced by htmx while a wait looks at them: look again.
IGNORED = (StaleElementReferenceException, NoSuchElementException)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,900", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(service=service, options=options)


class Journey:
    def __init__(self, driver):
        self.driver = driver
        self.wait = WebDriverWait(driver, WAIT, ignored_exceptions=IGNORED)

    def shot(self, name):
        path = os.path.join(SHOTS, name + ".png")
        self.driver.save_screenshot(path)
        print("screenshot", path, flush=True)

    def open(self, path):
        self.driver.get(BASE + path)

    def find(self, css):
        return self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))

    def click(self, css):
        self.wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, css))).click()

    def click_text(self, text, tag="*"):
        xpath = f"//{tag}[normalize-space()='{text}']"
        self.wait.until(EC.element_to_be_clickable((By.XPATH, xpath))).click()

    def settle(self):
        """Waits until htmx has no request in flight (a part of the page is being replaced)."""
        time.sleep(0.2)
        self.wait.until(lambda d: d.execute_script("return document.querySelectorAll('.htmx-request').length") == 0)
        time.sleep(0.2)

    def choose(self, css, text):
        """Selects an option by its text, waiting until the select (maybe swapped in by htmx) offers it."""
        def chosen(driver):
            try:
                Select(driver.find_element(By.CSS_SELECTOR, css)).select_by_visible_text(text)
                return True
            except (NoSuchElementException, StaleElementReferenceException):
                return False
        self.wait.until(chosen, message=f"{css} never offered {text!r}")
        self.settle()

    def type(self, css, text):
        field = self.find(css)
        field.clear()
        field.send_keys(text)
        return field

    def see(self, text, timeout=WAIT):
        WebDriverWait(self.driver, timeout, ignored_exceptions=IGNORED).until(
            lambda d: text in d.find_element(By.TAG_NAME, "body").text,
            message=f"never saw {text!r} on {self.driver.current_url}")

    def heading(self):
        return self.find("h1").text

    def sign_in(self):
        self.open("/integrations")
        self.find("#api_key")
        assert "/sign-in" in self.driver.current_url, self.driver.current_url
        self.type("#api_key", os.environ["API_KEY"])
        self.click("form[action='/sign-in'] button[type=submit]")
        self.wait.until(EC.url_contains("/integrations"))

    def wait_for_test_entries(self, expected_status):
        """On a sent test event's page: waits until every entry is final; returns the statuses shown."""
        self.wait.until(lambda d: d.find_element(By.ID, "test-entries").get_attribute("data-final") == "true",
                        message="the test event's entries never became final")
        badges = self.driver.execute_script(
            "return [...document.querySelectorAll('#test-entries .badge:not(.badge-muted)')].map(e => e.textContent)")
        assert badges and all(b == expected_status for b in badges), badges
        return badges

    def setup(self):
        self.open("/")
        self.find("#api_key")
        self.shot("01-sign-in")
        self.sign_in()
        self.see("No integrations yet")
        self.shot("02-integrations-empty")

        # New Integration → Mailchimp → Connect with OAuth → the fake's sign-in → back in the console.
        self.click_text("New Integration", "a")
        self.see("Choose the app")
        self.shot("03-new-integration")
        self.click("a[href='/integrations/new/mailchimp']")
        self.type("#label", "Mailchimp store")
        self.see("is free")
        self.shot("04-connect-mailchimp")
        self.click("button[value=oauth]")
        self.find("#allow")
        self.see("Switchyard would like to access your Mailchimp account")
        self.shot("05-mailchimp-sign-in")
        self.click("#allow")
        self.see("Mailchimp store is connected")
        assert self.driver.current_url.startswith(BASE + "/integrations/connected"), self.driver.current_url
        self.shot("06-oauth-connected")
        self.click_text("Back to Integration Setup", "a")

        # iContact with credentials: the App ID to register is shown.
        self.click_text("New Integration", "a")
        self.click("a[href='/integrations/new/icontact']")
        self.see("register this App ID")
        self.type("#label", "iContact newsletter")
        self.type("#username", os.environ["ICONTACT_USERNAME"])
        self.type("#app_password", os.environ["ICONTACT_PASSWORD"])
        self.shot("07-connect-icontact")
        self.click("button[value=credentials]")
        self.see("iContact newsletter is connected")
        self.see("Mailchimp store")

        # Refresh shows progress, then the counts.
        mailchimp_row = self.driver.find_element(By.XPATH, "//tr[.//strong[text()='Mailchimp store']]")
        mailchimp_row.find_element(By.XPATH, ".//button[normalize-space()='Refresh']").click()
        WebDriverWait(self.driver, WAIT, ignored_exceptions=IGNORED).until(lambda d: "Refreshed:" in mailchimp_row.text,
                                                message="the refresh never showed its counts")
        assert "tag" in mailchimp_row.text, mailchimp_row.text
        self.shot("08-integrations-refreshed")

        # A product rule: tag found by typing its first letters.
        self.click_text("Products", "a")
        self.type("#open-id", "prod_course")
        self.click("form[action='/products/open'] button")
        self.see("No rules for this product")
        self.click_text("New Rule", "a")
        self.choose("#trigger", "Product purchased")
        self.choose("#integration_id", "Mailchimp store (mailchimp)")
        self.choose("#action", "Add tag")
        self.choose("#parent_id", "Customers")
        destination = self.type("#destination_name", "vi")
        option = self.wait.until(EC.visibility_of_element_located(
            (By.XPATH, "//ul[@id='catalog-options']/li[@data-value='VIP']")))
        self.shot("09-rule-typeahead")
        option.click()
        assert destination.get_attribute("value") == "VIP", destination.get_attribute("value")
        self.click("#rule-form button[type=submit]")
        self.see("The rule is saved")
        self.see("tag “VIP”")
        self.shot("10-product-rules")

    def rules(self):
        self.sign_in()

        # A global rule with an audience typed by hand.
        self.click_text("Global Rules", "a")
        self.see("No global rules yet")
        self.click_text("New Rule", "a")
        self.choose("#integration_id", "Mailchimp store (mailchimp)")
        self.choose("#action", "Add to audience")
        # Typed by hand: an audience made in Mailchimp after the last refresh; the worker finds it by name.
        self.type("#destination_name", os.environ["TYPED_AUDIENCE"]).send_keys(Keys.ESCAPE)
        self.settle()
        self.find("input[name=typed]").click()
        self.shot("11-global-rule")
        self.click("#rule-form button[type=submit]")
        self.see("The rule is saved")
        self.see("(typed by hand)")
        self.shot("12-global-rules")

        # A test event from the product: every entry success.
        self.open("/products/prod_course")
        self.click("main a.button[href^='/test-event']")
        assert self.find("#product_id").get_attribute("value") == "prod_course"
        self.type("#email", os.environ["OK_EMAIL"])
        self.shot("13-test-event")
        self.click("form[action='/test-event'] button[type=submit]")
        self.wait_for_test_entries("success")
        self.shot("14-test-event-success")

        # The app refuses a member in compliance state: the reason in plain words.
        self.open("/test-event?product_id=prod_course")
        self.type("#email", os.environ["REFUSED_EMAIL"])
        self.click("form[action='/test-event'] button[type=submit]")
        self.wait.until(lambda d: d.find_element(By.ID, "test-entries").get_attribute("data-final") == "true")
        self.see("can't be re-added without their consent")

        # Logs: search by email, open the failed entry.
        self.click_text("Logs", "a")
        self.type("#email", os.environ["REFUSED_EMAIL"])
        self.click(".filters button[type=submit]")
        self.see("failed")
        self.shot("15-logs")
        self.driver.find_element(By.XPATH, "//tr[@data-status='failed']//a").click()
        self.see("Attempt 1")
        self.see("Replay")
        self.shot("16-log-entry-failed")
        entry = self.driver.current_url
        self.click("header nav a[href='/logs']")
        self.click_text("Configuration logs", "a")
        self.see("Connected")
        self.shot("17-config-logs")
        print("FAILED_ENTRY", entry, flush=True)

    def replay(self, entry):
        self.sign_in()
        self.driver.get(entry)
        self.click("form[action$='/replay'] button")
        self.see("is queued")
        deadline = time.time() + WAIT
        while time.time() < deadline:
            self.driver.get(entry)
            if self.find(".outcome .badge").text == "success":
                break
            time.sleep(0.5)
        assert self.find(".outcome .badge").text == "success", self.find(".outcome").text
        self.see("Attempt 2")
        self.shot("18-log-entry-replayed")


def main():
    os.makedirs(SHOTS, exist_ok=True)
    driver = browser()
    journey = Journey(driver)
    try:
        if sys.argv[1] == "setup":
            journey.setup()
        elif sys.argv[1] == "rules":
            journey.rules()
        else:
            journey.replay(sys.argv[2])
    except Exception as error:  # any failure ends the journey with the screen it happened on
        journey.shot("failure-" + sys.argv[1])
        print("JOURNEY FAILED at", driver.current_url, ":", repr(error), file=sys.stderr)
        print(driver.find_element(By.TAG_NAME, "body").text[:3000], file=sys.stderr)
        sys.exit(1)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
