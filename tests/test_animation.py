"""`run.py animate`: the animation files of a run (sim/views/animation.py)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from sim.views import animation, timeline
from sim.views import map as sweden_map
from sim.model import EBPModel
from sim.experiments.scenario import load

SHORT = """\
name: short
description: eighteen months, for the animation tests
period: {start: 2010-01, end: 2011-06}
seed: 3
variants:
  as_reported: {reference: true, description: the 2012 principles}
  all_unit: {description: every county on the unit principle, counties: {all: {principle: unit}}}
  all_network: {description: every county on the network principle, counties: {all: {principle: network}}}
"""


@pytest.fixture(scope="module")
def short(tmp_path_factory):
    path = tmp_path_factory.mktemp("scen") / "short.yaml"
    path.write_text(SHORT, encoding="utf-8")
    return path


def gif_frames(path):
    with Image.open(path) as im:
        assert im.format == "GIF"
        return im.n_frames, im.size


def test_frame_months():
    assert timeline.frame_months(18, 3) == [2, 5, 8, 11, 14, 17]
    assert timeline.frame_months(18, 4) == [3, 7, 11, 15, 17]  # the last month is always shown
    assert timeline.frame_months(132, 1) == list(range(132))


def test_animate_writes_gif_html_png_and_mp4(short, tmp_path, capsys):
    out = tmp_path / "anim" / "short.gif"
    assert animation.main([str(short), "--every", "3", "--dpi", "40", "--out", str(out)]) == 0
    n, size = gif_frames(out)
    assert n == 6  # 18 months, one frame per 3 months
    assert size == (640, 360)  # 16x9 inches at 40 dpi
    html = (tmp_path / "anim" / "short.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "Scenario short: as_reported" in html
    assert html.count("data:image/png;base64") == 6  # every frame embedded ...
    assert 'aria-label="Play"' in html and "anim-slider" in html  # ... in matplotlib's player with its controls
    assert "font-awesome" not in html and 'class="fa ' not in html  # which works offline
    with Image.open(tmp_path / "anim" / "short.png") as im:
        assert im.size == (640, 360)
    mp4 = tmp_path / "anim" / "short.mp4"
    if shutil.which("ffmpeg"):
        assert mp4.stat().st_size > 1000 and mp4.read_bytes()[4:8] == b"ftyp"
    else:
        assert not mp4.exists() and "ffmpeg" in capsys.readouterr().err


def test_two_variants_side_by_side(short, tmp_path):
    sc = load(short)
    paths = animation.render(sc, ["all_unit", "all_network"], tmp_path / "two.gif", every=6, formats=("gif", "png"), dpi=40)
    n, size = gif_frames(paths["gif"])
    assert n == 3 and size == (640, 360)
    # the two maps are the two variants, in step: they differ where the principles differ
    with Image.open(paths["png"]) as im:
        px = np.asarray(im.convert("RGB"), dtype=int)
    left, right = px[70:, 5:185], px[70:, 188:368]  # below the titles
    assert np.abs(left - right).sum() > 0


def test_gif_keeps_the_legend_colours(short, tmp_path):
    """Every frame shows the knowledge-state colours exactly (a fixed palette, not one fitted per frame)."""
    sc = load(short)
    paths = animation.render(sc, ["as_reported"], tmp_path / "c.gif", every=9, formats=("gif",), dpi=40)
    with Image.open(paths["gif"]) as im:
        for i in range(im.n_frames):
            im.seek(i)
            rgb_frame = im.convert("RGB")
            assert rgb_frame.getpixel((2, 2)) == (255, 255, 255)  # the background stays white
            colours = {c for _, c in rgb_frame.getcolors(1 << 16)}
            for state, hexcol in sweden_map.STATE_COLOURS.items():
                rgb = tuple(int(hexcol[k:k + 2], 16) for k in (1, 3, 5))
                assert rgb in colours, (i, sweden_map.STATE_LABELS[state])


def test_unit_and_network_look_different(short):
    """Unit: linked leaders in a tight ring round the platform; network: out with the municipalities,
    joined by colleague ties as wide as they are strong."""
    sc = load(short)
    layout = None
    for variant in ("all_unit", "all_network"):
        m = EBPModel(seed=sc.seed, params=sc.params(variant))
        layout = layout or sweden_map.Layout.build(m.country, m.provider_muni)
        while m.steps < m.n_months:
            m.step()
        f = sweden_map.snapshot(m, layout)
        linked = f.leader_xy[f.leader_linked]
        assert len(linked) > 10
        hub_dist = np.array([np.hypot(*(seg[1] - seg[0])) for seg in f.member_segs])
        if variant == "all_unit":
            assert hub_dist.max() < 1.5 * layout.spacing
            assert np.allclose(f.colleague_w, 1.0)
        else:
            assert np.median(hub_dist) > 2 * layout.spacing
            assert f.colleague_w.min() < 1.0
        assert f.state.shape == (m.n_municipalities,) and f.provider_reached.shape == m.provider_muni.shape


def test_layout_is_deterministic_and_inside_the_map():
    m = EBPModel(seed=1)
    a = sweden_map.Layout.build(m.country, m.provider_muni)
    b = sweden_map.Layout.build(m.country, m.provider_muni)
    assert np.array_equal(a.muni_xy, b.muni_xy) and np.array_equal(a.provider_xy, b.provider_xy)
    assert len(a.names) == 21 and "Västra Götalands län" in a.names
    for xy in (a.muni_xy, a.provider_xy, a.centre):
        assert (xy[:, 0] > a.xlim[0]).all() and (xy[:, 0] < a.xlim[1]).all()
        assert (xy[:, 1] > a.ylim[0]).all() and (xy[:, 1] < a.ylim[1]).all()
    # clusters of different counties do not overlap
    d = np.hypot(*(a.centre[:, None, :] - a.centre[None, :, :]).transpose(2, 0, 1)) + np.eye(21) * 99
    assert (d > (a.radius[:, None] + a.radius[None, :]) * 0.95).all()


def test_municipality_state():
    level = np.array([[0, 1, 2, 3, 3], [0, 0, 0, 1, 2], [3, 3, 3, 3, 3]])
    assert sweden_map.municipality_state(level, "most").tolist() == [2, 0, 3]
    assert sweden_map.municipality_state(level, "any").tolist() == [3, 2, 3]
    assert sweden_map.municipality_state(level, "elderly").tolist() == [1, 0, 3]


def test_unknown_variant_exits_2_with_the_names(short, tmp_path, capsys):
    assert animation.main([str(short), "--variant", "all_units", "--out", str(tmp_path / "x.gif")]) == 2
    err = capsys.readouterr().err
    assert "unknown variant 'all_units'" in err and "as_reported, all_unit, all_network" in err
    assert "Traceback" not in err and not (tmp_path / "x.gif").exists()


def test_bad_scenario_and_options_exit_2(tmp_path, capsys):
    assert animation.main([str(tmp_path / "missing.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nvariants:\n  a: {reference: true, providers: {pass_on_rate: 7}}\n", encoding="utf-8")
    assert animation.main([str(bad)]) == 2
    err = capsys.readouterr().err
    assert "pass_on_rate" in err and "Traceback" not in err
    good = tmp_path / "good.yaml"
    good.write_text(SHORT, encoding="utf-8")
    assert animation.main([str(good), "--every", "0"]) == 2
    assert "--every" in capsys.readouterr().err
    assert animation.main([str(good), "--variant", "all_unit", "--variant", "all_network", "--variant", "as_reported"]) == 2
    assert "at most two" in capsys.readouterr().err
    assert animation.main([str(good), "--formats", "gif,avi"]) == 2
    assert "avi" in capsys.readouterr().err


def test_two_variants_show_their_difference_with_a_band(short, tmp_path):
    """With two variants the figure has a panel of other minus reference, in percentage points, and with
    replicates a band of the paired differences (row 0 = the runs on the maps)."""
    from sim.views import animation as anim

    sc = load(short)
    models, layout, months, frames = anim.simulate(sc, ["all_network", "as_reported"], every=6)
    diffs = anim.differences(sc, ["all_network", "as_reported"], models, replicates=3)
    assert anim.reference_pair(sc, ["all_network", "as_reported"]) == (1, 0)  # the scenario's reference is the base
    col = models[0].observables.col["reach_any"]
    expect = models[0].observables.values[:, 0, col] - models[1].observables.values[:, 0, col]  # network minus reported
    assert diffs["reach_any"].shape == (3, 18) and np.allclose(diffs["reach_any"][0], expect)
    # another seed pair (adoption: in the first 18 months the principles reach the same municipalities)
    assert not np.allclose(diffs["adoption_mean"][1], diffs["adoption_mean"][0])
    fig, panels, timeline = anim.build_figure(sc, ["all_network", "as_reported"], models, layout, dpi=40, diffs=diffs)
    d = timeline.difference
    assert d is not None and "all_network minus as_reported" in d.ax.get_title(loc="left")
    assert d.ax.get_ylabel() == "percentage points" and set(d.bands) == {"reach_any", "adoption_mean"}
    d.update(17)
    assert np.allclose(d.lines["reach_any"].get_ydata(), 100 * expect)
    one = anim.build_figure(sc, ["as_reported"], models[1:], layout, dpi=40)[2]
    assert one.difference is None


def test_progress_is_shown_without_a_terminal(short, tmp_path, capsys):
    assert animation.main([str(short), "--variant", "all_unit", "--variant", "all_network", "--every", "6", "--dpi", "30",
                           "--formats", "png", "--replicates", "2", "--out", str(tmp_path / "p.gif")]) == 0
    err = capsys.readouterr().err
    for stage in ("simulating 18 of 18 (100 %", "replicates 1 of 1 (100 %"):
        assert "animate: " + stage in err, err
    assert animation.main([str(short), "--replicates", "0", "--out", str(tmp_path / "q.gif")]) == 2
    assert "--replicates" in capsys.readouterr().err


def test_county_names_laid_over_match_names_drawn(short):
    """The names drawn once and laid over each frame look like names drawn with the frame."""
    from matplotlib.figure import Figure

    from sim.views.export import Blitter
    from sim.views.map import MapPanel

    sc = load(short)
    models, layout, months, frames = animation.simulate(sc, ["as_reported"], every=9)
    pictures = []
    for overlay in (True, False):
        fig = Figure(figsize=(4, 7), dpi=60)
        panel = MapPanel(fig.add_axes([0, 0, 1, 1]), layout, models[0])
        blit = Blitter(fig, panel.artists() + ([] if overlay else panel.labels), overlay=panel.labels if overlay else ())
        panel.update(frames[0][-1])
        blit.draw()
        pictures.append(np.frombuffer(blit.rgba(), dtype=np.uint8).reshape(420, 240, 4)[..., :3].astype(int))
    diff = np.abs(pictures[0] - pictures[1]).max(axis=2)
    assert (diff > 60).mean() < 0.002  # the same picture but for anti-aliased edges where a name meets a dot
