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
