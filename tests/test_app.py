"""The live app (sim/views/app.py): its runs, its page, `run.py app`, and the page in a real headless browser."""

from __future__ import annotations

import io
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import ipyvuetify as v
import ipywidgets
import numpy as np
import pytest
import solara

from benchmarks.views_bench import play_to_the_end
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
    m = app.AppModel(principle="network in the big-city counties", takeover="state money ends 2012 (first plan)",
                     outreach=0.03, via_structure=0.5)
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
    for p in app.PRINCIPLES:
        for t in app.TAKEOVERS:
            app.app_params(p, t, app.OUTREACH_MAX, app.VIA_MAX)


def test_settings_in_words():
    assert app.settings_text(app.DEFAULTS) == "as reported"
    s = dict(app.DEFAULTS, principle="network principle everywhere", outreach=0.01, seed=4)
    assert app.settings_text(s) == "network principle everywhere; provider outreach 0.010/month; seed 4"


def test_a_run_simulates_every_month_and_no_more():
    """The last month is simulated like the others (its figures are numbers), and there is none after it."""
    run = app.Run(1, app.DEFAULTS)
    assert run.wait_for(run.n_months - 1, timeout=120)
    assert len(run.frames) == run.n_months == run.model.steps == 132
    assert run.date(131) == "December 2020" and run.date(-1) == "January 2010 (start)"
    last = run.frames[-1].stats
    assert all(math.isfinite(x) for x in last.values())
    assert 0.5 < last["reach_any"] <= 1.0 and last["functioning_structures"] > 0
    assert np.isfinite(run.model.observables.values[131, 0]).sum() > 10
    assert not run.wait_for(132, timeout=1)  # no month past the end
    s = run.series(["reach_any", "state_spending"], 131)
    assert len(s["reach_any"]) == 132 and np.isfinite(s["reach_any"]).all()
    assert "month 132" not in app._figures_text(run, 131) and "nan" not in app._figures_text(run, 131)


def _text(rc, cls):
    return [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets
            if (w.attributes or {}).get("class") == cls][0]


def test_page_steps_resets_keeps_and_clears_earlier_runs():
    box, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    try:
        assert _text(rc, "ebp-date") == "January 2010 (start)"
        assert _text(rc, "ebp-steps") == "month 0 of 132"
        step = rc.find(v.Btn, children=["+1 month"]).widget
        step.click()
        step.click()
        assert _text(rc, "ebp-date") == "February 2010" and _text(rc, "ebp-steps") == "month 2 of 132"
        assert re.search(r"reached <b>\d+ %</b>", _text(rc, "ebp-figures"))
        images = rc.find(ipywidgets.Image).widgets
        assert len(images) == 3 and all(bytes(w.value[:4]) == b"\x89PNG" for w in images)  # map, curves, legend
        # a lever takes effect at Reset; the run shown so far stays as run 1, faded
        rc.find(v.Select, label="Organising principle of the structures").widget.v_model = "network principle everywhere"
        assert "apply at <b>Reset</b>" in _text(rc, "ebp-pending")
        rc.find(v.Btn, children=["Reset"]).widget.click()
        assert _text(rc, "ebp-date") == "January 2010 (start)"
        runs = _text(rc, "ebp-runs")
        assert "1: as reported" in runs and "run 2: network principle everywhere" in runs
        rc.find(v.Btn, children=["+1 month"]).widget.click()
        assert _text(rc, "ebp-steps") == "month 1 of 132"
        rc.find(v.Btn, children=["Clear earlier runs"]).widget.click()
        assert not [w for w in rc.find(solara.widgets.HTML).widgets if (w.attributes or {}).get("class") == "ebp-runs"]
    finally:
        rc.close()


def test_earlier_runs_stay_on_the_curves():
    """The curves picture with an earlier run differs from the same month without it (the faded lines)."""
    from PIL import Image

    first = app.Run(1, app.DEFAULTS)
    assert first.wait_for(60)
    ghost = app.ghost_of(first, 60)
    second = app.Run(2, dict(app.DEFAULTS, principle="unit principle everywhere"))
    assert second.wait_for(5)
    alone = np.asarray(Image.open(io.BytesIO(app.CurvesPicture(second, []).png(5))).convert("RGB"), dtype=int)
    kept = np.asarray(Image.open(io.BytesIO(app.CurvesPicture(second, [ghost]).png(5))).convert("RGB"), dtype=int)
    changed = np.abs(alone - kept).sum(axis=2) > 30
    assert changed[:, alone.shape[1] // 3:].sum() > 300  # right of 2013, where only the earlier run reaches


# ------------------------------------------------------------------------------------------ run.py app
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_app_port_in_use_or_out_of_range_is_a_clear_message():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run([sys.executable, "run.py", "app", "--port", str(port), "--no-open"], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and f"port {port}" in r.stderr and "already in use" in r.stderr and "--port" in r.stderr
    assert "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "run.py", "app", "--port", "80", "--no-open"], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "1024 to 65535" in r.stderr


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


def _port_free(port: int) -> bool:
    """Could a new server listen on the port (as a restarted app would: address reuse, so that the closed
    browser connections' TIME_WAIT does not count)?"""
    try:
        with socket.create_server(("127.0.0.1", port)):
            return True
    except OSError:
        return False


@pytest.fixture
def server():
    """The app as the README starts it: `python run.py app`; stopped with SIGTERM to run.py alone, which
    must take its solara server down with it and free the port."""
    port = _free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "run.py", "app", "--port", str(port), "--host", "127.0.0.1", "--no-open"],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_http(f"http://127.0.0.1:{port}/", 60, proc)
        yield f"http://127.0.0.1:{port}/"
        proc.send_signal(signal.SIGTERM)  # run.py only, as a service manager or `kill` would
        assert proc.wait(20) == 0
        deadline = time.monotonic() + 10
        while not _port_free(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _port_free(port), "the solara server outlived run.py"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # anything left of the group
        except ProcessLookupError:
            pass
        log.seek(0)
        out = log.read().decode(errors="replace")
        log.close()
        assert "Traceback" not in out, out[-3000:]


FIGURES = re.compile(r"municipalities reached (\d+) % · using EBP (\d+) %\s+providers reached (\d+) % · "
                     r"structures working (\d+) of 21")


def test_play_in_a_headless_browser(server):
    """At a projector's 1280x720: all on one screen; 2010-2020 plays at >= 10 months a second to December 2020,
    whose figures are numbers; no month after it; after Reset the first run's curves stay on screen."""
    _needs(CHROMIUM.exists(), "no /usr/bin/chromium (apt-get install chromium)")
    from playwright import sync_api
    with tempfile.TemporaryDirectory() as profile, sync_api.sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, viewport={"width": 1280, "height": 720},
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            page.goto(server, timeout=30_000)
            date, steps = page.locator(".ebp-date"), page.locator(".ebp-steps")
            sync_api.expect(page).to_have_title(app.TITLE, timeout=30_000)
            sync_api.expect(date).to_have_text("January 2010 (start)", timeout=30_000)
            page.wait_for_timeout(500)
            width, height = page.evaluate("() => [document.scrollingElement.scrollWidth, "
                                          "document.scrollingElement.scrollHeight]")
            assert width <= 1280 and height <= 722, f"the page needs {width}x{height} px, not one 1280x720 screen"
            before = page.locator(".ebp-curves").screenshot()
            # count the months the page shows while it plays
            rate, seen = play_to_the_end(page, timeout_ms=60_000)
            print(f"played 132 months at {rate:.1f} months/s, {seen} of them drawn")
            assert rate >= 10, f"played at {rate:.1f} months a second"
            assert seen >= 12  # the pictures move on while it plays, not only at the end
            assert date.inner_text() == "December 2020"
            figures = page.locator(".ebp-figures").inner_text()
            m = FIGURES.search(figures.replace("\n", " "))
            assert m and "nan" not in figures, figures
            assert 50 <= int(m.group(1)) <= 100 and 0 < int(m.group(4)) <= 21
            # no month after the last: play and one-more-month are off
            sync_api.expect(page.get_by_role("button", name="▶ Play")).to_be_disabled()
            sync_api.expect(page.get_by_role("button", name="+1 month")).to_be_disabled()
            # a second run: the first stays on the curves, faded, listed with its settings
            page.get_by_role("button", name="Reset").click()
            sync_api.expect(date).to_have_text("January 2010 (start)")
            sync_api.expect(page.locator(".ebp-runs")).to_contain_text("1: as reported")
            page.wait_for_timeout(500)
            after = page.locator(".ebp-curves").screenshot()
            from PIL import Image

            a = np.asarray(Image.open(io.BytesIO(before)).convert("RGB"), dtype=int)
            b = np.asarray(Image.open(io.BytesIO(after)).convert("RGB"), dtype=int)
            assert a.shape == b.shape and (np.abs(a - b).sum(axis=2) > 30).sum() > 500  # the faded first run
            page.get_by_role("button", name="+1 month").click()
            sync_api.expect(steps).to_have_text("month 1 of 132")
        finally:
            browser.close()
