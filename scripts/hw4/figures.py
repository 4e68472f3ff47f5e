"""Matplotlib set up for stable, print-ready figures.

SVG output is vector with text as paths (no font needed to view it), a fixed
hash salt and no date, so the same data gives the same bytes.
"""

from __future__ import annotations

import io
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .artifacts import atomic_path  # noqa: E402

STYLE = {
    "svg.hashsalt": "hw4-report",
    "svg.fonttype": "path",
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
        fig.savefig(buffer, format="png", dpi=150, metadata={"Software": None})
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


def learning_curves(history, path, metric: str = "accuracy", loss_label: str = "loss"):
    """Training and validation loss and metric per epoch."""
    epochs = [row["epoch"] for row in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(7, 2.6))
    for key, style in ((loss_label, "-"), (f"val_{loss_label}", "--")):
        if key in history[0]:
            left.plot(epochs, [row[key] for row in history], style, marker="o", ms=3, label=key)
    left.set_xlabel("epoch")
    left.set_ylabel(loss_label)
    left.legend()
    for key, style in ((metric, "-"), (f"val_{metric}", "--")):
        if key in history[0]:
            right.plot(epochs, [row[key] for row in history], style, marker="o", ms=3, label=key)
    right.set_xlabel("epoch")
    right.set_ylabel(metric)
    right.legend()
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


def heatmap_grid(images, small_maps, large_maps, true, predicted, path):
    """Per image: the digit, the map at conv resolution, and the upsampled map over the digit."""
    n = len(images)
    fig, axes = plt.subplots(3, n, figsize=(n * 0.85, 3.0))
    for i in range(n):
        axes[0, i].imshow(images[i], cmap="gray_r")
        axes[0, i].set_title(f"true {true[i]}\npred {predicted[i]}", fontsize=6)
        axes[1, i].imshow(small_maps[i], cmap="inferno", vmin=0, vmax=1)
        axes[2, i].imshow(images[i], cmap="gray")
        axes[2, i].imshow(large_maps[i], cmap="jet", alpha=0.45, vmin=0, vmax=1)
        for ax in axes[:, i]:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
    axes[0, 0].set_ylabel("digit", fontsize=7)
    axes[1, 0].set_ylabel("map (conv)", fontsize=7)
    axes[2, 0].set_ylabel("overlay", fontsize=7)
    save(fig, path)


def class_maps(mean_maps, counts, path):
    fig, axes = plt.subplots(1, len(mean_maps), figsize=(len(mean_maps) * 0.85, 1.3))
    for c, ax in enumerate(axes):
        ax.imshow(mean_maps[c], cmap="inferno", vmin=0, vmax=1)
        ax.set_title(f"{c} (n={counts[c]})", fontsize=6)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    save(fig, path)


def sanity_curve(rows, path):
    fig, ax = plt.subplots(figsize=(5, 2.4))
    ax.plot(range(len(rows)), [r["spearman"] for r in rows], marker="o")
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([r["randomised_down_to"] for r in rows], rotation=30, ha="right")
    ax.set_xlabel("weights re-initialised from the top down to layer")
    ax.set_ylabel("Spearman rank correlation")
    ax.set_ylim(-0.2, 1.05)
    ax.axhline(0, color="grey", lw=0.8)
    save(fig, path)


def deletion_plot(fractions, curves, auc, path):
    fig, ax = plt.subplots(figsize=(4.2, 2.6))
    labels = {
        "most": "Grad-CAM, most first",
        "random": "random order",
        "least": "Grad-CAM, least first",
    }
    for name in ("most", "random", "least"):
        ax.plot(
            [100 * f for f in fractions],
            curves[name],
            marker="o",
            ms=3,
            label=f"{labels[name]} (AUC {auc[name]:.3f})",
        )
    ax.set_xlabel("pixels removed (% of the image)")
    ax.set_ylabel("probability of the class")
    ax.legend()
    save(fig, path)
