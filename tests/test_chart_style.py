"""The house style every chart gets from charts.label_axes (seaborn's despine on that Axes only)."""
import matplotlib

from ceasefire_analysis.charts import label_axes, new_figure


def test_label_axes_removes_the_box_on_its_axes_and_changes_no_global_setting():
    before = dict(matplotlib.rcParams)
    fig, ax = new_figure()
    label_axes(ax, "Month", "Homicides", "Homicides per month")
    assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
    assert ax.spines["left"].get_visible() and ax.spines["bottom"].get_visible()
    assert ax.get_ylim()[0] == 0 and ax.get_title() == "Homicides per month"
    assert dict(matplotlib.rcParams) == before


def test_count_axes_tick_whole_numbers_only():
    """reader2 R5: a month chart of 0 and 1 homicides was ticked at 0.25, 0.75, 1.25."""
    fig, ax = new_figure()
    ax.bar([1, 2, 3], [0, 1, 1])
    label_axes(ax, "Month", "Homicides per month", counts=True)
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), ticks
