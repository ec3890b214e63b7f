"""Speed of the views, each figure printed beside its goal (issue "A live app a facilitator can present").

    python benchmarks/views_bench.py             drawing cost per month; the animation; the app in Chromium
    python benchmarks/views_bench.py --no-browser

* drawing: milliseconds to draw one month's pictures in the app (map 400x700 and curves 520x540, blitted,
  PNG-encoded), median over a run's months. At 12 months a second every month is drawn when both together
  take less than 83 ms;
* animation: wall seconds per frame of `render` for two variants at 1600x900 (GIF and PNG), every 12th month;
* app: `run.py app` in headless Chromium at 1280x720 (needs /usr/bin/chromium): months a second while it
  plays 2010-2020, and how many of the 132 months the page showed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOALS = {"draw_ms": 83.0, "months_per_s": 10.0}


def drawing() -> tuple[float, float]:
    from sim.views import live

    run = live.Run(1, live.DEFAULTS)
    run.wait_for(run.n_months - 1, timeout=120)
    pictures, curves = live.MapPicture(run), live.CurvesPicture(run, [])
    pictures.png(run.frames[0]), curves.png(0)  # the still parts, drawn once
    map_ms, curves_ms = [], []
    for month in range(1, run.n_months):
        t0 = time.perf_counter()
        pictures.png(run.frames[month])
        t1 = time.perf_counter()
        curves.png(month)
        t2 = time.perf_counter()
        map_ms.append(1000 * (t1 - t0))
        curves_ms.append(1000 * (t2 - t1))
    return statistics.median(map_ms), statistics.median(curves_ms)


def animation() -> float:
    from sim.experiments.scenario import load
    from sim.views.animation import render

    sc = load(ROOT / "scenarios" / "unit_vs_network.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        render(sc, ["as_reported", "all_network"], Path(tmp) / "a.gif", every=12, formats=("gif", "png"))
        return (time.perf_counter() - t0) / 11


def play_to_the_end(page, timeout_ms: int) -> tuple[float, int]:
    """Press Play on the app's page and wait for December 2020: (months a second, months the page showed).
    Shared with the browser test (tests/test_app.py)."""
    page.evaluate("() => { window.ebpSeen = new Set(); window.ebpTimer = setInterval(() => "
                  "window.ebpSeen.add(document.querySelector('.ebp-steps').innerText), 10); }")
    page.get_by_role("button", name="▶ Play").click()
    t0 = time.monotonic()
    page.wait_for_function("() => /^month 132 of 132/.test(document.querySelector('.ebp-steps').innerText)",
                           timeout=timeout_ms)
    rate = 132 / (time.monotonic() - t0)
    seen = page.evaluate("() => { clearInterval(window.ebpTimer); return window.ebpSeen.size; }")
    return rate, seen


def app() -> tuple[float, int] | None:
    if not Path("/usr/bin/chromium").exists():
        return None
    import socket

    from playwright import sync_api

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "run.py", "app", "--port", str(port), "--host", "127.0.0.1", "--no-open"],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with tempfile.TemporaryDirectory() as profile, sync_api.sync_playwright() as p:
            browser = p.chromium.launch_persistent_context(profile, executable_path="/usr/bin/chromium", headless=True,
                                                           viewport={"width": 1280, "height": 720},
                                                           args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            for _ in range(120):
                try:
                    page.goto(f"http://127.0.0.1:{port}/", timeout=5000)
                    break
                except sync_api.Error:
                    time.sleep(0.5)
            page.wait_for_selector(".ebp-date", timeout=60_000)
            page.wait_for_timeout(1000)
            rate, seen = play_to_the_end(page, timeout_ms=120_000)
            browser.close()
            return rate, seen
    finally:
        server.terminate()
        server.wait(20)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-browser", action="store_true", help="skip the app in Chromium")
    args = ap.parse_args()
    map_ms, curves_ms = drawing()
    both = map_ms + curves_ms
    print(f"app drawing per month      map {map_ms:5.1f} ms + curves {curves_ms:5.1f} ms = {both:5.1f} ms   "
          f"goal <= {GOALS['draw_ms']:.0f} ms  {'ok' if both <= GOALS['draw_ms'] else 'MISSED'}")
    print(f"animation, two variants    {animation():5.2f} s per frame at 1600x900 (GIF and PNG)")
    if not args.no_browser:
        got = app()
        if got is None:
            print("app in Chromium            skipped: no /usr/bin/chromium")
        else:
            rate, seen = got
            print(f"app in Chromium 1280x720   {rate:5.1f} months/s, {seen} of 132 months shown   "
                  f"goal >= {GOALS['months_per_s']:.0f}  {'ok' if rate >= GOALS['months_per_s'] else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
