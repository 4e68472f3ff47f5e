"""Matplotlib set up for stable, print-ready figures.

Figures are PNG at 200 dpi (print quality at the report's column width) in Fira
Sans, the report's own font from the same pinned wheel. PNG rather than SVG:
WeasyPrint draws SVG in Python, and a report of seventeen SVG figures took
seconds longer to render than the template-edit budget allows. Matplotlib's PNG
output is byte-stable for the same data; ``save`` still writes stable SVG (fixed
hash salt, no date) when a path asks for it.
"""

from __future__ import annotations

import io
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager, ticker  # noqa: E402

from hw4.io.files import atomic_path  # noqa: E402


def _register_report_font() -> str:
    import fontpkg_fira_sans

    path = os.path.join(fontpkg_fira_sans.ROOT, "files", "FiraSans-Regular.ttf")
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


STYLE = {
    "svg.hashsalt": "hw4-report",
    "svg.fonttype": "none",
    "font.family": _register_report_font(),
    "mathtext.default": "regular",
    "axes.formatter.use_mathtext": False,
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.dpi": 100,
    "savefig.bbox": "tight",
}
plt.rcParams.update(STYLE)


def save(fig, path: str | os.PathLike) -> None:
    """Save atomically: SVG without metadata dates, PNG without software stamps."""
    path = str(path)
    buffer = io.BytesIO()
    if path.endswith(".svg"):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    else:
        fig.savefig(buffer, format="png", dpi=200, metadata={"Software": None})
    plt.close(fig)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def digits_grid(images, labels, path, columns: int = 10, title: str | None = None):
    """The first shuffled digits with their labels."""
    import numpy as np

    rows = int(np.ceil(len(images) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 0.75, rows * 0.9))
    for ax, image, label in zip(np.ravel(axes), images, labels, strict=False):
        ax.imshow(image, cmap="gray_r")
        ax.set_title(f"label {label}", fontsize=7)
        ax.axis("off")
    for ax in np.ravel(axes)[len(images) :]:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=8)
    save(fig, path)


def _train_and_val(ax, history, name: str, ylabel: str) -> None:
    """One quantity per epoch, training (solid) and validation (dashed) where present."""
    epochs = [row["epoch"] for row in history]
    for key, style in ((name, "-"), (f"val_{name}", "--")):
        if key in history[0]:
            ax.plot(epochs, [row[key] for row in history], style, marker="o", ms=3, label=key)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.legend()


def learning_curves(history, path, metric: str = "accuracy", loss_label: str = "loss"):
    """Training and validation loss and metric per epoch (one panel for a loss-only model)."""
    if metric == loss_label:  # a regression: the loss is the only curve
        fig, ax = plt.subplots(figsize=(4.5, 2.6))
        _train_and_val(ax, history, loss_label, f"{loss_label} (scaled target)")
    else:
        fig, (left, right) = plt.subplots(1, 2, figsize=(7, 2.6))
        _train_and_val(left, history, loss_label, loss_label)
        _train_and_val(right, history, metric, metric)
    save(fig, path)


def confusion(matrix, path):
    import numpy as np

    matrix = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(3.6, 3.2))
    image = ax.imshow(matrix, cmap="Blues")
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.grid(False)
    for i in range(10):
        for j in range(10):
            if matrix[i, j]:
                colour = "white" if matrix[i, j] > matrix.max() / 2 else "black"
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=6, color=colour)
    fig.colorbar(image, ax=ax, fraction=0.046, label="test images")
    save(fig, path)


def _cell_ticks(ax, shape) -> None:
    """Row and column numbers of a map's cells (from 0 at the top left), as the text names them."""
    rows, columns = shape
    ax.set_xticks(range(columns))
    ax.set_yticks(range(rows))
    ax.tick_params(length=0, labelsize=4.5, pad=1)
    ax.grid(False)


def heatmap_grid(images, small_maps, large_maps, true, predicted, path):
    """Per image: the digit, the map at conv resolution (its cells numbered by row and column,
    as the text names them), and the upsampled map over the digit; one colour bar per row."""
    n = len(images)
    fig, axes = plt.subplots(3, n, figsize=(n * 0.85 + 0.6, 3.3))
    for i in range(n):
        axes[0, i].imshow(images[i], cmap="gray_r")
        axes[0, i].set_title(f"image {i}\ntrue {true[i]}, pred {predicted[i]}", fontsize=6)
        cells = axes[1, i].imshow(small_maps[i], cmap="inferno", vmin=0, vmax=1)
        _cell_ticks(axes[1, i], small_maps[i].shape)
        axes[2, i].imshow(images[i], cmap="gray")
        overlay = axes[2, i].imshow(large_maps[i], cmap="jet", alpha=0.45, vmin=0, vmax=1)
        for ax in (axes[0, i], axes[2, i]):
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
    axes[0, 0].set_ylabel("digit", fontsize=7)
    axes[1, 0].set_ylabel("map (conv)\nrow", fontsize=7)
    axes[1, n // 2].set_xlabel("column", fontsize=6, labelpad=1)
    axes[2, 0].set_ylabel("overlay", fontsize=7)
    for row, mappable in ((1, cells), (2, overlay)):
        bar = fig.colorbar(mappable, ax=list(axes[row]), fraction=0.02, pad=0.01)
        bar.ax.tick_params(labelsize=5)
        bar.set_label("map value", fontsize=5)
    save(fig, path)


def class_maps(mean_maps, counts, path):
    """The mean map of each digit over its correctly classified test images, cells numbered by
    row and column (from 0 at the top left), with a colour bar."""
    fig, axes = plt.subplots(1, len(mean_maps), figsize=(len(mean_maps) * 0.85 + 0.6, 1.45))
    for c, ax in enumerate(axes):
        image = ax.imshow(mean_maps[c], cmap="inferno", vmin=0, vmax=1)
        ax.set_title(f"digit {c} (n={counts[c]})", fontsize=6)
        _cell_ticks(ax, mean_maps[c].shape)
    axes[0].set_ylabel("row", fontsize=6)
    axes[len(axes) // 2].set_xlabel("column", fontsize=6, labelpad=1)
    bar = fig.colorbar(image, ax=list(axes), fraction=0.02, pad=0.01)
    bar.ax.tick_params(labelsize=5)
    bar.set_label("mean map (peak 1)", fontsize=5)
    save(fig, path)


def sanity_curve(rows, path, median_below=None):
    """Per randomisation step, the median rank correlation over the maps, with the quartiles
    (band) and the range (thin lines); an undefined step (all-zero maps) is a gap. The pass
    line (``median_below``) is drawn when given."""
    import numpy as np

    def values(key):
        return np.array([np.nan if r.get(key) is None else r[key] for r in rows], dtype=float)

    steps = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(5, 2.6))
    ax.fill_between(steps, values("min"), values("max"), color="C0", alpha=0.12, label="min–max")
    ax.fill_between(steps, values("q1"), values("q3"), color="C0", alpha=0.3, label="quartiles")
    ax.plot(steps, values("median"), marker="o", color="C0", label="median over the maps")
    if median_below is not None:
        ax.axhline(median_below, color="C3", ls="--", lw=0.9, label="pass: median below")
    ax.set_xticks(steps)
    ax.set_xticklabels([r["randomised_down_to"] for r in rows], rotation=30, ha="right")
    ax.set_xlabel("weights re-initialised from the top down to layer")
    ax.set_ylabel("Spearman rank correlation")
    ax.set_ylim(-1.05, 1.05)
    ax.axhline(0, color="grey", lw=0.8)
    ax.legend(fontsize=6, ncol=4, loc="upper center", bbox_to_anchor=(0.5, 1.2), frameon=False)
    save(fig, path)


# Each order keeps its line style and colour in both panels.
DELETION_LABELS = {
    "most": ("Grad-CAM, most first", "-", "C0"),
    "least": ("Grad-CAM, least first", "-", "C1"),
    "random": ("random order", ":", "C2"),
    "random_ink": ("random ink pixels", "--", "C3"),
    "intensity": ("image intensity as map", "--", "C4"),
}


def _deletion_panel(ax, fractions, curves, xlabel, title):
    """One pool's curves; returns {order: line} for the shared legend."""
    lines = {}
    for name, (_, style, colour) in DELETION_LABELS.items():
        if name in curves:
            (lines[name],) = ax.plot(
                [100 * f for f in fractions],
                curves[name],
                style,
                color=colour,
                marker="o",
                ms=3,
            )
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=9)
    return lines


def deletion_plot(fractions, curves, auc, path, whole_image_curves=None, whole_image_auc=None):
    """Class probability as pixels are set to 0, per deletion order (Grad-CAM and baselines):
    over each image's ink (the compared pool) and, when given, over the whole image.

    One legend for both panels, right of them, each order with its area under the curve in
    each pool: the report shows figures at most 56 mm high, so a wide, low figure keeps its
    text near the size it is drawn at, and the legend covers no curve."""
    panels = 2 if whole_image_curves else 1
    fig, axes = plt.subplots(1, panels, figsize=(2.3 * panels, 2.4), sharey=True, squeeze=False)
    lines = _deletion_panel(
        axes[0, 0], fractions, curves, "ink set to 0 (% of the ink)", "over the ink"
    )
    if whole_image_curves:
        lines = {
            **_deletion_panel(
                axes[0, 1],
                fractions,
                whole_image_curves,
                "pixels set to 0 (% of the image)",
                "over the whole image",
            ),
            **lines,
        }
    axes[0, 0].set_ylabel("probability of the class")
    names = [name for name in DELETION_LABELS if name in lines]

    def area(table, name):
        return f"{table[name]:.3f}" if table and name in table else "—"

    if whole_image_curves:
        labels = [
            f"{DELETION_LABELS[n][0]}: {area(auc, n)} / {area(whole_image_auc, n)}" for n in names
        ]
        title = "area under the curve:\nover the ink / whole image"
    else:
        labels = [f"{DELETION_LABELS[n][0]}: {area(auc, n)}" for n in names]
        title = "area under the curve"
    fig.legend(
        [lines[n] for n in names],
        labels,
        title=title,
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        fontsize=8.5,
        title_fontsize=8.5,
        frameon=False,
    )
    fig.tight_layout()
    save(fig, path)


FORECAST_LABELS = {
    "model": "LSTM",
    "persistence": "persistence (last hour)",
    "seasonal_naive": "seasonal naive (one seasonal period before)",
    "linear_regression": "linear regression",
}


def _broken_at_gaps(times, values):
    """A NaN between two points more than an hour apart, so that a line does not bridge a gap."""
    import numpy as np

    times = np.asarray(times, dtype="datetime64[s]")
    after_gap = np.flatnonzero(np.diff(times) > np.timedelta64(1, "h")) + 1
    return (
        np.insert(times, after_gap, times[after_gap] - np.timedelta64(1, "h")),
        np.insert(np.asarray(values, dtype=float), after_gap, np.nan),
    )


def forecast_week(times, actual, forecasts, target, unit, path, hours: int = 168):
    """The first test windows (a week when no hour is missing): the actual target and every
    forecast; hours dropped for gaps show as breaks in the lines."""
    fig, ax = plt.subplots(figsize=(7, 2.8))
    ax.plot(*_broken_at_gaps(times[:hours], actual[:hours]), color="black", lw=1.6, label="actual")
    for name in ("model", "persistence", "seasonal_naive", "linear_regression"):
        ax.plot(
            *_broken_at_gaps(times[:hours], forecasts[name][:hours]),
            lw=0.9,
            label=FORECAST_LABELS[name],
        )
    ax.set_ylabel(f"{target} ({unit})")
    ax.set_xlabel(f"time (the first {min(hours, len(times))} test windows)")
    # Above the axes, not over the lines: every series spans the whole week.
    ax.legend(ncol=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    fig.autofmt_xdate()
    save(fig, path)


def error_by_hour(hours_of_day, actual, forecasts, unit, path):
    import numpy as np

    fig, ax = plt.subplots(figsize=(7, 2.6))
    for name in ("model", "persistence", "seasonal_naive", "linear_regression"):
        mae = [np.mean(np.abs(forecasts[name] - actual)[hours_of_day == h]) for h in range(24)]
        ax.plot(range(24), mae, marker="o", ms=2.5, label=FORECAST_LABELS[name])
    ax.set_xlabel("hour of day")
    ax.set_ylabel(f"mean absolute error ({unit})")
    ax.set_xticks(range(0, 24, 3))
    # Above the axes, not over the markers: every series spans all 24 hours.
    ax.legend(ncol=4, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    save(fig, path)


def lookback_plot(rows, unit, path):
    fig, ax = plt.subplots(figsize=(4.5, 2.6))
    looks = [r["look_back"] for r in rows]
    ax.plot(looks, [r["val_rmse"] for r in rows], marker="o", label="validation RMSE (chooses)")
    ax.plot(
        looks,
        [r["test_rmse"] for r in rows],
        marker="s",
        ls="--",
        label="test RMSE (reported only)",
    )
    homework = [r for r in rows if r["homework"]]
    ax.scatter(
        [r["look_back"] for r in homework],
        [r["val_rmse"] for r in homework],
        marker="x",
        color="black",
        zorder=3,
        label="the homework's look-back",
    )
    chosen = next(r for r in rows if r["chosen"])
    ax.scatter(
        [chosen["look_back"]],
        [chosen["val_rmse"]],
        s=80,
        facecolors="none",
        edgecolors="red",
        zorder=3,
    )
    ax.set_xscale("log", base=2)
    ax.set_xticks(looks)
    ax.set_xticklabels([str(v) for v in looks])
    ax.set_xlabel("look-back (hours)")
    ax.set_ylabel(f"RMSE ({unit})")
    ax.legend()
    save(fig, path)


def _plain_log_axis(axis):
    from matplotlib.ticker import ScalarFormatter

    formatter = ScalarFormatter()
    formatter.set_scientific(False)
    axis.set_major_formatter(formatter)


def small_batches(rows, drift, path):
    """Left: test accuracy per training batch size; right: the running statistics per batch
    size (``drift`` as batchnorm_checks writes it: rows, true_mean, true_var)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(7, 2.6))
    sizes = [r["batch_size"] for r in rows]
    left.plot(sizes, [r["test_accuracy"] for r in rows], marker="o")
    left.set_xscale("log", base=2)
    left.set_xticks(sizes)
    _plain_log_axis(left.xaxis)
    left.set_xlabel("training batch size")
    left.set_ylabel("test accuracy (inference mode)")
    sizes = [r["batch_size"] for r in drift["rows"]]
    right.plot(
        sizes, [r["running_var"] for r in drift["rows"]], marker="o", label="running variance"
    )
    right.plot(sizes, [r["running_mean"] for r in drift["rows"]], marker="s", label="running mean")
    right.axhline(
        drift["true_var"],
        color="grey",
        ls="--",
        lw=0.8,
        label=f"true variance {drift['true_var']:g}",
    )
    right.axhline(
        drift["true_mean"], color="grey", ls=":", lw=0.8, label=f"true mean {drift['true_mean']:g}"
    )
    right.set_xscale("log", base=2)
    right.set_xticks(sizes)
    _plain_log_axis(right.xaxis)
    right.set_xlabel("batch size")
    right.set_ylabel("running statistic")
    right.legend(fontsize=7)
    save(fig, path)


def _median_and_spread(summaries):
    """Medians in ms and their (below, above) distances to the quartiles, for error bars."""
    medians = [1000 * t["median"] for t in summaries]
    below = [1000 * (t["median"] - t["lower_quartile"]) for t in summaries]
    above = [1000 * (t["upper_quartile"] - t["median"]) for t in summaries]
    return medians, [below, above]


def bn_convergence(speed, target, path):
    """Validation accuracy per epoch with and without BN; median step time with quartiles."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(7, 2.6), gridspec_kw={"width_ratios": [2, 1]})
    for name, label in (("with_bn", "with BN"), ("without_bn", "without BN")):
        acc = speed[name]["val_accuracy"]
        left.plot(range(1, len(acc) + 1), acc, marker="o", ms=3, label=label)
    left.axhline(target, color="grey", ls="--", lw=0.8, label=f"target {target}")
    left.set_xlabel("epoch")
    left.set_ylabel("validation accuracy")
    left.legend()
    medians, spread = _median_and_spread(
        [speed["with_bn"]["step_seconds"], speed["without_bn"]["step_seconds"]]
    )
    right.bar(
        ["with BN", "without BN"], medians, yerr=spread, capsize=4, color=["tab:blue", "tab:orange"]
    )
    right.set_ylabel("ms per training step (median, quartiles)")
    save(fig, path)


def timing_loglog(measurements, path):
    """Median time of a training step against sequence length (log-log), quartiles as error
    bars, one line per model (``measurements`` as rule rnn_vs_cnn writes it)."""
    fig, ax = plt.subplots(figsize=(4.8, 3))
    rows = measurements["timing"]
    for (name, model), marker in zip(measurements["models"].items(), ("o", "s"), strict=True):
        picked = [r for r in rows if r["model"] == name]
        medians, spread = _median_and_spread(picked)
        growth = measurements["growth"][name]
        ax.errorbar(
            [r["length"] for r in picked],
            medians,
            yerr=spread,
            marker=marker,
            capsize=3,
            label=f"{name} ({model['params']:,} parameters; exponent {growth['exponent']:.2f})",
        )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    lengths = sorted({r["length"] for r in rows})
    ax.set_xticks(lengths)
    _plain_log_axis(ax.xaxis)
    _plain_log_axis(ax.yaxis)
    ax.set_xlabel("sequence length (steps)")
    ax.set_ylabel("training step, median (ms)")
    ax.legend(fontsize=7)
    save(fig, path)


def trial_scores(rows, path):
    """Best val_accuracy of every trial in order; colour shows the Hyperband bracket and round."""
    fig, ax = plt.subplots(figsize=(7, 2.8))
    done = [r for r in rows if r["status"] == "COMPLETED"]
    failed = [i for i, r in enumerate(rows, 1) if r["status"] != "COMPLETED"]
    keys = sorted(
        {(r.get("tuner/bracket", 0), r.get("tuner/round", 0)) for r in done}, reverse=True
    )
    cmap = plt.get_cmap("tab10")
    for k, key in enumerate(keys):
        picked = [
            (i, r)
            for i, r in enumerate(rows, 1)
            if r["status"] == "COMPLETED"
            and (r.get("tuner/bracket", 0), r.get("tuner/round", 0)) == key
        ]
        label = f"bracket {key[0]}, round {key[1]}" if "tuner/bracket" in rows[0] else "trial"
        ax.scatter(
            [i for i, _ in picked],
            [r["best_val_accuracy"] for _, r in picked],
            color=cmap(k % 10),
            s=18,
            label=label,
        )
    if failed:
        ax.scatter(failed, [0] * len(failed), marker="x", color="red", label="failed")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("trial (in the order run)")
    ax.set_ylabel("best val_accuracy")
    # Below the axes, not over the points: a legend inside would hide the trials it labels.
    ax.legend(ncol=4, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.22), frameon=False)
    save(fig, path)


def explored_space(rows, path):
    """Every sampled value of the main hyperparameters against the trial's score."""
    done = [r for r in rows if r["status"] == "COMPLETED"]
    names = [
        "conv_layers",
        "dense_layers",
        "learning_rate",
        "filters_0",
        "units_0",
        "dropout_conv_0",
    ]
    names = [n for n in names if any(n in r for r in done)]
    fig, axes = plt.subplots(1, len(names), figsize=(1.45 * len(names) + 0.5, 2.4), sharey=True)
    for ax, name in zip(list(axes), names, strict=True):
        picked = [r for r in done if r.get(name) not in (None, "")]
        ax.scatter([r[name] for r in picked], [r["best_val_accuracy"] for r in picked], s=12)
        ax.set_xlabel(name, fontsize=7)
        ax.tick_params(axis="x", labelsize=6, labelrotation=45)
        if name in ("conv_layers", "dense_layers"):
            ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        if name == "learning_rate":
            ax.set_xscale("log")
            # Only the decades are labelled: minor labels overlap in a panel this narrow.
            ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    axes[0].set_ylabel("best val_accuracy")
    save(fig, path)
