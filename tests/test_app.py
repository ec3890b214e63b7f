"""The live app (sim/views/app.py): its model, its page, and the page in a real headless browser."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

import ipyvuetify as v
import ipywidgets
import solara

from sim.views import app

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
# .ci/run installs chromium and sets this, so that there a missing browser fails instead of skipping.
REQUIRE_BROWSER = os.environ.get("EBPSIM_REQUIRE_BROWSER") == "1"


def _needs(ok: bool, why: str) -> None:
    if not ok:
        if REQUIRE_BROWSER:
            pytest.fail(why + " (EBPSIM_REQUIRE_BROWSER=1)")
        pytest.skip(why)


def test_levers_become_parameters():
    m = app.AppModel(principle="network principle in the big-city counties",
                     takeover="original plan: state money ends after 2012", outreach=0.03, via_structure=0.5)
    principles = {s.county.name: s.principle for s in m.structures}
    assert principles["Stockholm"] == principles["Skåne"] == principles["Västra Götaland"] == "network"
    assert principles["Uppsala"] == "unit"  # as reported
    assert m.p["funding"]["state_share"] == {2013: 0.0} and m.p["funding"]["announced"] == "2011-01"
    assert m.p["providers"]["direct_outreach"] == 0.03 and m.p["centres"]["via_structure"] == 0.5
    everywhere = app.AppModel(principle="unit principle everywhere", takeover="state keeps paying")
    assert {s.principle for s in everywhere.structures} == {"unit"}
    assert everywhere.p["funding"]["state_share"] == {2014: 1.0}
    with pytest.raises(ValueError, match="principle must be one of"):
        app.AppModel(principle="federal")


def test_model_params_match_the_model():
    """Every lever of the page is an argument of AppModel, and its choices are accepted."""
    import inspect

    args = inspect.signature(app.AppModel.__init__).parameters
    assert set(app.model_params) <= set(args)
    for p in app.PRINCIPLES:
        for t in app.TAKEOVERS:
            app.app_params(p, t, 0.05, 1.0)


def test_model_steps_and_series():
    m = app.AppModel(seed=2)
    assert m.date_text() == "January 2010 (start)"
    for _ in range(14):
        m.step()
    assert m.date_text() == "February 2011"
    x, s = m.series(["reach_any", "adoption_substance_abuse"])
    assert len(x) == 14 and s["reach_any"].shape == (14,) and s["reach_any"][-1] > 0


def test_page_builds_steps_and_resets():
    box, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    try:
        assert rc.find(v.Html, class_="ebp-date").widget.children == ["January 2010 (start)"]
        assert rc.find(v.Btn, children=["▶"]).widget  # play
        step = rc.find(v.Btn, children=["Step"]).widget
        step.click()
        step.click()
        assert rc.find(v.Html, class_="ebp-date").widget.children == ["February 2010"]
        images = rc.find(ipywidgets.Image).widgets
        assert len(images) >= 4 and all(bytes(w.value[:4]) == b"\x89PNG" for w in images)  # the map and three plots
        # a lever takes effect at Reset
        select = rc.find(v.Select, label="Organising principle of the regional structures").widget
        select.v_model = "network principle everywhere"
        rc.find(v.Btn, children=["Reset"]).widget.click()
        assert rc.find(v.Html, class_="ebp-date").widget.children == ["January 2010 (start)"]
        step = rc.find(v.Btn, children=["Step"]).widget
        step.click()
        steps = rc.find(v.Html, class_="ebp-steps").widget.children[0]
        assert steps.startswith("month 1 of 132") and "network principle everywhere" in steps
    finally:
        rc.close()


# ------------------------------------------------------------------------------------------ in a browser
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, timeout: float, proc) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"the app server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"the app server did not answer at {url} within {timeout} s")


@pytest.fixture
def server():
    """The app as the README starts it: `python run.py app`."""
    port = _free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "run.py", "app", "--port", str(port), "--host", "127.0.0.1", "--no-open"],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_http(f"http://127.0.0.1:{port}/", 45, proc)
        yield f"http://127.0.0.1:{port}/"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        log.seek(0)
        out = log.read().decode(errors="replace")
        log.close()
        assert "Traceback" not in out, out[-3000:]


def test_play_in_a_headless_browser(server):
    _needs(CHROMIUM.exists(), "no /usr/bin/chromium (apt-get install chromium)")
    from playwright import sync_api
    with tempfile.TemporaryDirectory() as profile, sync_api.sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, viewport={"width": 1600, "height": 1000},
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            page.goto(server, timeout=30_000)
            date = page.locator(".ebp-date")
            sync_api.expect(page).to_have_title(app.TITLE, timeout=30_000)
            sync_api.expect(date).to_have_text("January 2010 (start)", timeout=30_000)
            assert page.locator(".ebp-steps").inner_text().startswith("month 0 of 132")
            page.get_by_role("button", name="▶").click()
            # the date moves on while it plays
            sync_api.expect(date).not_to_have_text("January 2010 (start)", timeout=20_000)
            page.wait_for_function("() => /^month ([3-9]|\\d\\d+) of 132/.test("
                                   "document.querySelector('.ebp-steps').innerText)", timeout=20_000)
            page.get_by_role("button", name="❚❚").click()  # pause: the step under way finishes, then it stops
            sync_api.expect(page.get_by_role("button", name="▶")).to_be_visible(timeout=10_000)
            steps = page.locator(".ebp-steps")
            paused, deadline = steps.inner_text(), time.monotonic() + 10
            while time.monotonic() < deadline:
                time.sleep(1.0)
                now = steps.inner_text()
                if now == paused:
                    break
                paused = now
            else:
                raise AssertionError("the model kept running after pause")
            shown = date.inner_text()
            assert shown != "January 2010 (start)" and shown.split()[-1].isdigit()
            assert page.locator("img").count() >= 4  # map and plots drawn
        finally:
            browser.close()
