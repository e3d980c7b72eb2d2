#!/usr/bin/env python3
"""Drives Lyre's web console in headless Chromium (Selenium, Debian's chromium-driver).

Run by Tests/IntegrationTests/StudioBrowserTests.swift against a real `lyre run`; also by
hand: python3 Tests/Browser/studio_browser.py --url http://127.0.0.1:9925/ --username
HDB_ADMIN --password password --screenshots .build/studio-screenshots

Each flow asserts what is on the page; the first failure exits non-zero with its reason.
"""
import argparse
import base64
import json
import os
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 30


def api(url, username, password, body):
    """One operation through POST /, as any client sends it (for setup only)."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/json",
        "Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode(),
    })
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


class Studio:
    def __init__(self, args):
        self.args = args
        options = webdriver.ChromeOptions()
        options.binary_location = args.chromium
        for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000", "--no-first-run", "--disable-extensions"]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(args.chromedriver), options=options)
        self.wait = WebDriverWait(self.driver, WAIT)
        os.makedirs(args.screenshots, exist_ok=True)

    def quit(self):
        self.driver.quit()

    def find(self, css):
        return self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))

    def click(self, css):
        self.wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, css))).click()

    def type(self, css, text):
        element = self.find(css)
        element.clear()
        element.send_keys(text)

    def set_value(self, css, text):
        """Sets a textarea's value directly (send_keys would auto-indent nothing, but is slow)."""
        element = self.find(css)
        self.driver.execute_script("arguments[0].value = arguments[1];", element, text)

    def text_appears(self, css, text):
        try:
            self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
        except TimeoutException:
            shown = [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, css)]
            raise AssertionError(f"{text!r} did not appear in {css}; shown: {shown!r}; errors: {self.errors()!r}")

    def errors(self):
        return [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, ".error")]

    def go(self, hash_route):
        self.driver.get(self.args.url.rstrip("/") + "/" + hash_route)

    def shot(self, name):
        self.driver.save_screenshot(os.path.join(self.args.screenshots, f"{name}.png"))

    def sign_in(self, username, password):
        self.driver.get(self.args.url)
        self.type("input[name=username]", username)
        self.type("input[name=password]", password)
        self.click("#sign-in")
        self.text_appears("#who", username)

    def sign_out(self):
        self.click("#sign-out")
        self.find("#sign-in")
        stored = self.driver.execute_script("return sessionStorage.getItem('lyre.studio.session')")
        assert stored is None, "sign-out left the tokens in session storage"


def flow_sign_in(s):
    s.driver.get(s.args.url)
    s.find("#sign-in")
    s.shot("01-sign-in")
    s.type("input[name=username]", s.args.username)
    s.type("input[name=password]", "wrong password")
    s.click("#sign-in")
    s.text_appears(".error", "")
    assert s.errors(), "a wrong password showed no error"
    s.sign_in(s.args.username, s.args.password)
    stored = json.loads(s.driver.execute_script("return sessionStorage.getItem('lyre.studio.session')"))
    assert stored["operation"] and stored["refresh"], "no token pair in session storage"
    s.first_token = stored["operation"]


def flow_create_table(s):
    s.go("#/databases")
    s.type("#new-table-database", "studio")
    s.type("#new-table-name", "dog")
    s.type("#new-table-key", "id")
    s.click("#create-table")
    s.text_appears("section[data-database='studio']", "dog")
    s.shot("02-databases")


def flow_add_record(s):
    s.go("#/table/studio/dog")
    s.find("#record-json")
    s.set_value("#record-json", json.dumps({"id": 1, "name": "Rex", "breed": "collie"}))
    s.click("#insert-record")
    s.text_appears("#records", "Rex")
    s.text_appears(".ok", "inserted 1 of 1 records")
    s.shot("03-table")


def flow_sql(s):
    s.go("#/sql")
    s.set_value("#sql-editor", "SELECT name, breed FROM studio.dog WHERE id = 1")
    s.click("#run-sql")
    s.text_appears("#sql-result", "collie")
    cells = [c.text for c in s.driver.find_elements(By.CSS_SELECTOR, "#sql-result td")]
    assert cells == ["Rex", "collie"], f"SQL result cells: {cells}"
    s.click("#explain-sql")
    s.find("#sql-plan pre, #sql-plan table")
    s.set_value("#sql-editor", "SELEC nonsense")
    s.click("#run-sql")
    s.text_appears("#sql-result .error", "")
    assert s.driver.find_element(By.CSS_SELECTOR, "#sql-result .error").text, "a SQL error showed nothing"
    s.set_value("#sql-editor", "SELECT name, breed FROM studio.dog WHERE id = 1")
    s.click("#run-sql")
    s.text_appears("#sql-result", "collie")
    s.shot("04-sql")


def flow_csv_upload(s):
    rows = ["id,name,breed"] + [f"{i},dog {i},breed {i % 7}" for i in range(100, 20100)]
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write("\n".join(rows) + "\n")
        path = f.name
    try:
        s.go("#/upload")
        s.type("#upload-target", "studio.dog")
        s.find("#upload-file").send_keys(path)
        s.click("#upload-start")
        s.find("#job-progress")
        WebDriverWait(s.driver, 120).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#job-final-status")))
        status = s.driver.find_element(By.CSS_SELECTOR, "#job-final-status").text
        assert status == "COMPLETE", f"the upload job ended {status}: {s.driver.find_element(By.CSS_SELECTOR, '#upload-status').text}"
        s.text_appears("#upload-status", "successfully loaded 20000 of 20000 records")
        s.shot("05-upload")
        s.click("#job-link")
        s.text_appears("#job-detail", '"status": "COMPLETE"')
    finally:
        os.unlink(path)
    s.go("#/databases")
    s.text_appears("section[data-database='studio']", "20001")


def flow_xss_rendered_as_text(s):
    script = "<script>window.__xss = 1</script>"
    image = "<img src=x onerror=\"window.__xss = 2\">"
    api(s.args.url, s.args.username, s.args.password,
        {"operation": "insert", "database": "studio", "table": "dog", "records": [{"id": 0, "name": script, "breed": image}]})
    s.go("#/table/studio/dog")
    s.text_appears("#records", script)
    s.text_appears("#records", image)
    time.sleep(0.5)
    assert s.driver.execute_script("return window.__xss") is None, "a value from the database ran as script"
    assert not s.driver.find_elements(By.CSS_SELECTOR, "#records img, #records script"), "a value became an element"
    s.go("#/sql")
    s.set_value("#sql-editor", "SELECT name, breed FROM studio.dog WHERE id = 0")
    s.click("#run-sql")
    s.text_appears("#sql-result", image)
    assert s.driver.execute_script("return window.__xss") is None, "a SQL result ran as script"
    s.shot("06-xss-as-text")


def flow_pages(s):
    for route, css, text, name in [
        ("#/jobs", "main", "Jobs started in the last 7 days", "07-jobs"),
        ("#/logs", "#log-entries", "", "08-logs"),
        ("#/users", "main", s.args.username, "09-users"),
        ("#/config", "#config-json", "operationsApi", "10-configuration"),
        ("#/system", "#system-json", "node_version", "11-system"),
        ("#/metrics/resource-usage", "#metric-names", "table-size", "13-metrics"),
    ]:
        s.go(route)
        s.text_appears(css, text)
        assert not s.errors(), f"{route} shows errors: {s.errors()}"
        s.shot(name)
    # set_configuration's validation message is shown where it happens.
    s.go("#/config")
    s.type("#config-key", "logging_level")
    s.type("#config-value", "loud")
    s.click("#config-save")
    s.text_appears("#config-message .error", "logging.level")


def flow_token_refresh(s):
    """Tokens are short-lived in this run: the console must refresh before expiry."""
    deadline = time.time() + 60
    while time.time() < deadline:
        stored = json.loads(s.driver.execute_script("return sessionStorage.getItem('lyre.studio.session')"))
        if stored["operation"] != s.first_token:
            break
        time.sleep(1)
    else:
        raise AssertionError("the operation token was not refreshed before it expired")
    s.go("#/databases")
    s.text_appears("section[data-database='studio']", "dog")


def flow_restricted_user(s):
    """A role made with the permission editor and a user added through the form, both in the
    console; then that user signs in and is refused a write."""
    s.go("#/users")
    s.click("#new-role")
    s.type("#role-name", "dog_reader")
    s.click("input[title='read studio.dog']")
    s.click("#save-role")
    s.wait.until(EC.presence_of_element_located((By.XPATH, "//td[normalize-space()='dog_reader']")))
    role = [r for r in api(s.args.url, s.args.username, s.args.password, {"operation": "list_roles"}) if r["role"] == "dog_reader"]
    assert role and role[0]["permission"]["studio"]["tables"]["dog"]["read"] is True, f"role as saved: {role}"
    assert role[0]["permission"]["studio"]["tables"]["dog"]["insert"] is False, f"role as saved: {role}"
    s.type("#new-username", "reader")
    s.type("#new-password", "reader-pass")
    s.find("#new-user-role").send_keys("dog_reader")
    s.click("#add-user")
    # The users table lists the new user (the form's own field does not count: an input's value is not text).
    s.wait.until(EC.presence_of_element_located((By.XPATH, "//td[normalize-space()='reader']")))
    s.shot("09-users-and-roles")
    s.sign_out()
    s.sign_in("reader", "reader-pass")
    links = [a.text for a in s.driver.find_elements(By.CSS_SELECTOR, ".nav a")]
    assert "Users & roles" not in links, f"a restricted user sees super-user pages: {links}"
    s.go("#/table/studio/dog")
    s.text_appears("#records", "Rex")
    s.set_value("#record-json", json.dumps({"id": 2, "name": "Fido"}))
    s.click("#insert-record")
    s.text_appears(".error", "not authorized")
    s.shot("12-restricted-user")
    count = api(s.args.url, s.args.username, s.args.password,
                {"operation": "sql", "sql": "SELECT COUNT(*) AS n FROM studio.dog WHERE id = 2"})
    assert count == [{"n": 0}], f"the refused insert wrote something: {count}"
    s.sign_out()


FLOWS = [flow_sign_in, flow_create_table, flow_add_record, flow_sql, flow_csv_upload, flow_xss_rendered_as_text,
         flow_pages, flow_token_refresh, flow_restricted_user]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--screenshots", default=".build/studio-screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    args = parser.parse_args()
    studio = Studio(args)
    try:
        for flow in FLOWS:
            started = time.time()
            try:
                flow(studio)
            except Exception as error:  # report which flow failed and why, with a screenshot
                studio.shot(f"failed-{flow.__name__}")
                console = [entry["message"] for entry in studio.driver.get_log("browser")]
                print(f"FAIL {flow.__name__}: {error}\nbrowser console: {console}", flush=True)
                return 1
            print(f"PASS {flow.__name__} ({time.time() - started:.1f} s)", flush=True)
        return 0
    finally:
        studio.quit()


if __name__ == "__main__":
    sys.exit(main())
