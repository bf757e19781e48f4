#!/usr/bin/env python3
"""Drives luci-app-logtrigger in a real browser (Debian's chromium through chromedriver) against
the real LuCI, rpcd, uhttpd and logtrigger daemon of luci-sandbox.sh. Runs inside the sandbox's
network namespace (`luci-sandbox.sh exec`), so 127.0.0.1:80 is the sandbox's uhttpd, UDP 514 its
logtrigger and `nft` its ruleset.

    app_test.py SANDBOX_SCRIPT SCREENSHOT.png

Every step waits for its condition with a deadline and fails with what it saw; exit 0 only when
every step passed.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

BASE = "http://127.0.0.1"
PAGE = BASE + "/cgi-bin/luci/admin/services/logtrigger"
PASSWORD = os.environ.get("LUCI_PASSWORD", "sandbox")
ATTACKER = "203.0.113.77"
FAILURE = "<38>Dec  7 03:00:01 dropbear[2817]: Bad password attempt for 'root' from %s:51022"


def log(msg):
    print("luci-test: " + msg, flush=True)


def wait(what, cond, limit=30.0):
    """Polls cond() until it returns a true value or the deadline passes."""
    end = time.monotonic() + limit
    last = None
    while time.monotonic() < end:
        try:
            last = cond()
            if last:
                return last
        except (StaleElementReferenceException, WebDriverException) as e:
            last = e
        time.sleep(0.25)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


def text_of(driver, css):
    els = driver.find_elements(By.CSS_SELECTOR, css)
    return els[0].text if els else ""


def table_rows(driver, table_id):
    """The data rows of a LuCI table as lists of cell texts."""
    rows = []
    for tr in driver.find_elements(By.CSS_SELECTOR, "#%s tr.tr:not(.table-titles):not(.placeholder)" % table_id):
        rows.append([td.text.strip() for td in tr.find_elements(By.CSS_SELECTOR, "td")])
    return rows


def gone(element):
    try:
        return not element.is_displayed()
    except StaleElementReferenceException:
        return True


def row_of(driver, table_id, first):
    for r in table_rows(driver, table_id):
        if r and r[0] == first:
            return r
    return None


def notifications(driver):
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#maincontent .alert-message, .alert-message")]


def sandbox_sh(script, cmd):
    out = subprocess.run(["bash", script, "sh", cmd], capture_output=True, text=True, timeout=30)
    return out.stdout + out.stderr


def nft_ruleset():
    return subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True, timeout=10).stdout


def ubus_call(session, obj, method, args):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "call", "params": [session, obj, method, args]})
    req = urllib.request.Request(BASE + "/ubus", data=body.encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def send_failures(addr, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(n):
        s.sendto((FAILURE % addr).encode(), ("127.0.0.1", 514))
    s.close()


def browser(profile):
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=1280,3000", "--user-data-dir=" + profile):
        opts.add_argument(a)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    d.set_page_load_timeout(60)
    return d


def login(d):
    d.get(PAGE)
    # the theme moves the form into a modal dialog once its script ran
    pw = wait("the login form", lambda: [e for e in d.find_elements(By.NAME, "luci_password") if e.is_displayed()])[0]
    pw.send_keys(PASSWORD)
    [b for b in d.find_elements(By.CSS_SELECTOR, "button.cbi-button-positive") if b.is_displayed()][0].click()
    wait("the logtrigger page after login", lambda: d.find_elements(By.ID, "logtrigger-rules"))
    log("logged in through the login form")


def see_rules_and_counters(d):
    wait("both rules of the running config in the counters",
         lambda: row_of(d, "logtrigger-rules", "dropbear_bad_password") and row_of(d, "logtrigger-rules", "luci_failed_login"))
    daemon = wait("the daemon row", lambda: table_rows(d, "logtrigger-daemon"))
    assert daemon[0][0].isdigit(), daemon
    inputs = [r[0] for r in table_rows(d, "logtrigger-inputs")]
    assert "udp:127.0.0.1:514" in inputs and "unix:/dev/log" in inputs, inputs
    grid = wait("the rules form", lambda: d.find_elements(By.CSS_SELECTOR, ".cbi-section-table-row[data-sid]"))
    names = " ".join(r.text for r in grid)
    assert "dropbear_bad_password" in names and "luci_failed_login" in names, names
    log("rules and counters of the running daemon shown: %s" % table_rows(d, "logtrigger-rules"))


def ban_appears(d):
    send_failures(ATTACKER, 3)
    row = wait("the ban in the bans table", lambda: row_of(d, "logtrigger-bans", ATTACKER), 40)
    assert row[1] == "dropbear_bad_password", row
    assert ATTACKER in nft_ruleset(), "ban not in nftables"
    matches = row_of(d, "logtrigger-rules", "dropbear_bad_password")
    log("ban shown: %s; counters now %s" % (row, matches))
    assert int(matches[2]) >= 3, matches


def run_tester(d, lines, rule):
    area = d.find_element(By.ID, "logtrigger-test-text")
    area.clear()
    area.send_keys("\n".join(lines))
    Select(d.find_element(By.ID, "logtrigger-test-rule")).select_by_value(rule)
    old = d.find_elements(By.ID, "logtrigger-test-matches")
    d.find_element(By.ID, "logtrigger-test-run").click()
    # the result table is replaced by each run: wait for the old one to go
    if old:
        wait("the tester's new result", lambda: gone(old[0]))


def tester(d):
    # five failures of one address within the window: the fifth would fire the rule
    run_tester(d, ["Dec  7 03:00:0%d uhttpd[1]: luci: failed login on / for root from 198.51.100.11" % i for i in range(5)], "")
    rows = wait("a firing in the tester", lambda: len(table_rows(d, "logtrigger-test-matches")) == 5 and table_rows(d, "logtrigger-test-matches"))
    assert [r[5] for r in rows] == ["no", "no", "no", "no", "yes"], rows
    assert [r[4] for r in rows] == ["1", "2", "3", "4", "5"], rows
    log("tester fires at the fifth failure")
    lines = ["Dec  7 03:00:01 dropbear[2817]: Bad password attempt for 'admin' from 198.51.100.9:40000",
             "Dec  7 03:00:02 uhttpd[1]: luci: failed login on / for root from 198.51.100.10",
             "Dec  7 03:00:03 kernel: nothing to see"]
    # one rule only: the other line's rule is left out
    run_tester(d, lines, "luci_failed_login")
    rows = wait("the tester's matches for one rule",
                lambda: [r[1] for r in table_rows(d, "logtrigger-test-matches")] == ["luci_failed_login"] and table_rows(d, "logtrigger-test-matches"))
    log("tester, one rule: %s" % rows)
    run_tester(d, lines, "")
    rows = wait("the tester's matches", lambda: len(table_rows(d, "logtrigger-test-matches")) == 2 and table_rows(d, "logtrigger-test-matches"))
    by_rule = {r[1]: r for r in rows}
    db = by_rule["dropbear_bad_password"]
    assert db[0] == "1" and "user = admin" in db[2] and "ip = 198.51.100.9" in db[2] and db[3] == "198.51.100.9" and db[5] == "no", db
    lu = by_rule["luci_failed_login"]
    assert lu[0] == "2" and lu[3] == "198.51.100.10", lu
    log("tester, all rules: %s" % rows)


def unban(d):
    btn = d.find_element(By.CSS_SELECTOR, "#logtrigger-bans button[data-address='%s']" % ATTACKER)
    btn.click()
    wait("the ban gone from the table", lambda: row_of(d, "logtrigger-bans", ATTACKER) is None)
    wait("the ban gone from nftables", lambda: ATTACKER not in nft_ruleset())
    log("unbanned from the page: gone from the table and from nftables")


def disable_rule(d, script):
    before = json.loads(sandbox_sh(script, "logtrigger status --json"))["daemon"]["reloads"]
    # dropbear's failures through the Edit dialog: 4 instead of 3 (first: saving the dialog
    # reloads the grid, which drops a checkbox changed but not yet saved)
    row = [r for r in d.find_elements(By.CSS_SELECTOR, ".cbi-section-table-row[data-sid]") if "dropbear_bad_password" in r.text][0]
    row.find_element(By.CSS_SELECTOR, ".cbi-button-edit").click()
    field = wait("the Edit dialog", lambda: [e for e in d.find_elements(By.CSS_SELECTOR, ".modal input[id$='.maxfail']") if e.is_displayed()])[0]
    pattern = d.find_element(By.CSS_SELECTOR, ".modal input[id$='.pattern']").get_attribute("value")
    assert pattern == "dropbear[%d]: Bad password attempt for '%b' from %s:%d", pattern
    field.clear()
    field.send_keys("4")
    [b for b in d.find_elements(By.CSS_SELECTOR, ".modal .cbi-button-positive") if b.is_displayed()][0].click()
    wait("the dialog closed", lambda: not [e for e in d.find_elements(By.CSS_SELECTOR, ".modal") if e.is_displayed()])
    # and the LuCI rule disabled with its checkbox in the table
    row = [r for r in d.find_elements(By.CSS_SELECTOR, ".cbi-section-table-row[data-sid]") if "luci_failed_login" in r.text][0]
    box = row.find_element(By.CSS_SELECTOR, "input[type=checkbox]")
    assert box.is_selected()
    d.execute_script("arguments[0].click()", box)
    assert not box.is_selected()
    apply = [b for b in d.find_elements(By.CSS_SELECTOR, ".cbi-page-actions .cbi-button-apply") if b.is_displayed()][0]
    apply.click()
    wait("the running daemon to report the rule disabled",
         lambda: (row_of(d, "logtrigger-rules", "luci_failed_login") or [None, None])[1] == "no", 60)
    status = json.loads(sandbox_sh(script, "logtrigger status --json"))
    assert status["daemon"]["reloads"] == before + 1, status["daemon"]
    enabled = {r["name"]: r["enabled"] for r in status["rules"]}
    assert enabled == {"dropbear_bad_password": True, "luci_failed_login": False}, enabled
    saved = sandbox_sh(script, "uci get logtrigger.@rule[1].enabled").strip()
    assert saved == "0", saved
    saved = sandbox_sh(script, "uci get logtrigger.@rule[0].maxfail").strip()
    assert saved == "4", saved
    # the tester reads the saved file: dropbear's rule now fires at the fourth failure
    run_tester(d, ["Dec  7 03:00:0%d dropbear[9]: Bad password attempt for 'root' from 198.51.100.12:1" % i for i in range(4)],
               "dropbear_bad_password")
    rows = wait("a firing at the fourth failure", lambda: len(table_rows(d, "logtrigger-test-matches")) == 4 and table_rows(d, "logtrigger-test-matches"))
    assert [r[5] for r in rows] == ["no", "no", "no", "yes"], rows
    log("rule disabled and maxfail edited with Save & Apply: the daemon reloaded (reloads %d -> %d)" % (before, status["daemon"]["reloads"]))


def errors_are_notified(d, script):
    sandbox_sh(script, "printf 'config rule\\n\\toption name broken\\n\\toption bogus 1\\n' >>/etc/config/logtrigger")
    note = wait("a notification naming the bad config line",
                lambda: [n for n in notifications(d) if "/etc/config/logtrigger:" in n])
    log("invalid config notified: %s" % note[0].splitlines()[0])
    sandbox_sh(script, "kill $(pidof logtrigger)")
    note = wait("a notification that the daemon is not running",
                lambda: [n for n in notifications(d) if "is logtrigger running" in n])
    assert table_rows(d, "logtrigger-daemon") == [], table_rows(d, "logtrigger-daemon")
    log("daemon not running notified: %s" % note[0].splitlines()[0])


def anonymous_is_refused(d):
    anonymous = "00000000000000000000000000000000"
    for method, args in (("status", {}), ("bans", {}), ("test", {"text": "x"}), ("unban", {"address": ATTACKER})):
        anon = ubus_call(anonymous, "luci.logtrigger", method, args)
        assert anon.get("error", {}).get("code") == -32002, (method, anon)
    # and the anonymous session cannot read or change the config through uci either
    anon = ubus_call(anonymous, "uci", "get", {"config": "logtrigger"})
    assert anon.get("error", {}).get("code") == -32002, anon
    cookie = [c for c in d.get_cookies() if c["name"].startswith("sysauth")][0]["value"]
    mine = ubus_call(cookie, "luci.logtrigger", "status", {})
    assert mine.get("result", [None])[0] == 0 and mine["result"][1]["running"], mine
    log("anonymous /ubus call refused (-32002), the logged-in session's allowed")


def main():
    script, shot = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as profile:
        d = browser(profile)
        try:
            login(d)
            see_rules_and_counters(d)
            anonymous_is_refused(d)
            ban_appears(d)
            tester(d)
            d.set_window_size(1280, 1000)
            height = d.execute_script("return document.documentElement.scrollHeight")
            d.set_window_size(1280, min(height + 160, 4000))
            d.execute_script("window.scrollTo(0, 0)")
            d.save_screenshot(shot)
            d.set_window_size(1280, 3000)
            log("screenshot: %s" % shot)
            unban(d)
            disable_rule(d, script)
            errors_are_notified(d, script)
        except BaseException:
            d.save_screenshot(shot + ".failed.png")
            print(d.find_element(By.TAG_NAME, "body").text[:4000], file=sys.stderr)
            raise
        finally:
            d.quit()
    log("all steps passed")


if __name__ == "__main__":
    main()
