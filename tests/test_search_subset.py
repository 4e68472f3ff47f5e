"""tuning.search_images: the search on a stratified subset of the training images, its
validation part taken from it, the best configuration retrained on every image; the
fingerprint, the accuracy target and the report's tuning section follow it. And
--configfile given twice, refused in one line."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import REPO
from searches import SETTINGS
from sections import plain_text
from test_tuning_claims import best_record, section_context

from hw4.config_check import repeated_configfile_option
from hw4.methods.keras_search import search_setup, search_subset
from hw4.report.claims import Claim, load_catalogue, render_claim
from hw4.report.render import claims_directory, make_environment
from hw4.steps.tune_cnn import TARGET_BUDGET, full_mnist_target, search_definition


def labelled_images(per_class: int = 60) -> tuple[np.ndarray, np.ndarray]:
    y = np.repeat(np.arange(10), per_class)
    x = (np.arange(len(y) * 4 * 4) % 256).astype(np.uint8).reshape(len(y), 4, 4)
    return x, y


def test_the_subset_is_stratified_seeded_and_exactly_its_size():
    x, y = labelled_images()
    x_kept, y_kept = search_subset(x, y, 200, seed=3)
    assert len(y_kept) == 200 and x_kept.shape == (200, 4, 4)
    assert np.bincount(y_kept, minlength=10).tolist() == [20] * 10
    again = search_subset(x, y, 200, seed=3)
    assert np.array_equal(again[1], y_kept) and np.array_equal(again[0], x_kept)
    assert not np.array_equal(search_subset(x, y, 200, seed=4)[0], x_kept)


@pytest.mark.parametrize("images", [0, 600, 10**6])
def test_zero_or_every_image_keeps_the_whole_split(images):
    x, y = labelled_images()
    x_kept, y_kept = search_subset(x, y, images, seed=0)
    assert x_kept is x and y_kept is y


def test_the_search_holds_out_its_validation_part_from_the_subset():
    x, y = labelled_images()
    data = {"x_train": np.zeros((600, 28, 28), np.uint8), "y_train": y}
    setup = search_setup(data, {**SETTINGS, "search_images": 200}, seed=0)
    assert setup["search_images"] == 200
    assert len(setup["fit"][1]) == 150 and len(setup["validation"][1]) == 50  # 25 % of 200
    assert np.bincount(setup["validation"][1], minlength=10).tolist() == [5] * 10
    whole = search_setup(data, SETTINGS, seed=0)
    assert whole["search_images"] == 600 and len(whole["validation"][1]) == 150


def test_the_subset_is_part_of_the_fingerprint_only_when_set():
    plain = search_definition(SETTINGS, 0, "ab")
    assert "search_images" not in plain  # a search saved before the setting still resumes
    assert search_definition({**SETTINGS, "search_images": 0}, 0, "ab") == plain
    subset = search_definition({**SETTINGS, "search_images": 200}, 0, "ab")
    assert subset["search_images"] == 200 and subset != plain


def test_the_accuracy_target_does_not_apply_to_a_search_on_a_subset():
    provenance = {
        "source": "download",
        "files": {"mnist.npz": "x"},
        "counts": {"train": {"total": 60000}},
    }
    settings = {**TARGET_BUDGET, "target_test_accuracy": 0.993, "search_images": 12000}
    result = full_mnist_target(settings, provenance, "x", 0.999)
    assert result["reason"] == "budget" and "search_images=12000" in result["detail"]
    assert full_mnist_target({**settings, "search_images": 0}, provenance, "x", 0.999)["applies"]


def test_the_tuning_section_states_the_trade_only_when_the_subset_was_used(tmp_path):
    whole = section_context(tmp_path, best_record())
    assert "tuning.search_subset" not in whole["claims"]
    record = best_record(search_images=12000, fit_images=9600, validation_images=2400)
    claim = section_context(tmp_path, record)["claims"]["tuning.search_subset"]
    assert claim.verdict == "subset"
    assert claim.values["share"] == pytest.approx(20.0)
    environment = make_environment(REPO / "report" / "templates")
    catalogue = load_catalogue(claims_directory(REPO / "report" / "templates"))
    english = plain_text(render_claim(environment, catalogue, claim, "en"))
    persian = plain_text(render_claim(environment, catalogue, claim, "fa"))
    for number in ("12,000", "60,000", "9,600", "2,400", "20%", "8.3 minutes"):
        assert number in english
    assert "about 20% of one over every image" in english
    assert "tuning.search_images" in english and "tuning.search_images" in persian
    for number in ("۱۲٬۰۰۰", "۶۰٬۰۰۰", "۹٬۶۰۰", "۲٬۴۰۰", "۲۰٪", "۸٫۳"):
        assert number in persian, number
    assert isinstance(claim, Claim)


@pytest.mark.parametrize(
    ("argv", "refused"),
    [
        (["snakemake", "--configfile", "config/preview.yaml", "me.yaml"], False),
        (["snakemake", "--cores", "all", "--configfile", "me.yaml"], False),
        (["snakemake", "--configfile", "config/preview.yaml", "--configfile", "me.yaml"], True),
        (["snakemake", "--configfile=config/preview.yaml", "--configfiles", "me.yaml"], True),
    ],
)
def test_a_second_configfile_option_is_refused_naming_both_files(argv, refused):
    line = repeated_configfile_option(argv)
    assert (line is not None) == refused
    if refused:
        assert "\n" not in line
        assert line.endswith("--configfile config/preview.yaml me.yaml")
        assert "drop config/preview.yaml" in line


def test_the_laptop_config_is_valid_and_changes_the_search_alone():
    import yaml
    from test_preview import SCHEMA, merged, validated

    from hw4.config_check import check_config
    from hw4.methods.time_left import run_plan

    laptop = yaml.safe_load((REPO / "config" / "laptop.yaml").read_text())
    check_config(laptop, SCHEMA)
    full = yaml.safe_load((REPO / "config.yaml").read_text())
    config = validated(merged(laptop, full))
    assert laptop == {"tuning": {"search_images": 6000}, "compute": {"threads": 4}}
    (search,) = [row for row in run_plan(config, 60000) if row["rule"] == "tune_cnn"]
    # 120 search epochs on 4,800 images, then at most 10 on all 60,000.
    assert search["images"] == 120 * 4800 + 10 * 60000


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.25, 0.5])
def test_the_smallest_subset_is_the_smallest_that_splits(fraction):
    from hw4.config_check import smallest_search_subset
    from hw4.methods.keras_search import seeded_stratified_holdout

    x, y = labelled_images(per_class=100)
    smallest = smallest_search_subset(fraction)
    x_kept, y_kept = search_subset(x, y, smallest, seed=0)
    seeded_stratified_holdout(x_kept.astype(float), y_kept, fraction, 0)
    x_kept, y_kept = search_subset(x, y, smallest - 1, seed=0)
    with pytest.raises(ValueError):
        seeded_stratified_holdout(x_kept.astype(float), y_kept, fraction, 0)


@pytest.mark.parametrize("images", [1, 5, 45])
def test_a_subset_too_small_to_split_is_refused_at_the_start(images):
    from test_preview import SCHEMA

    from hw4.config_check import ConfigError, check_config

    with pytest.raises(ConfigError) as refused:
        check_config({"tuning": {"search_images": images}}, SCHEMA)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f"tuning.search_images: {images} images") and "at least 46" in message
    check_config({"tuning": {"search_images": 46}}, SCHEMA)
    check_config({"tuning": {"search_images": 0}}, SCHEMA)


def test_a_subset_of_every_image_is_the_homework_s_search():
    from hw4.steps.tune_cnn import whole_search_when_the_subset_is_everything as whole

    assert whole({**SETTINGS, "search_images": 100000}, 60000)["search_images"] == 0
    assert whole({**SETTINGS, "search_images": 60000}, 60000)["search_images"] == 0
    assert whole({**SETTINGS, "search_images": 6000}, 60000)["search_images"] == 6000
    assert whole({**SETTINGS, "search_images": 0}, 60000)["search_images"] == 0


def test_a_small_subset_s_share_never_reads_as_zero(tmp_path):
    record = best_record(search_images=46, fit_images=36, validation_images=10)
    claim = section_context(tmp_path, record)["claims"]["tuning.search_subset"]
    environment = make_environment(REPO / "report" / "templates")
    catalogue = load_catalogue(claims_directory(REPO / "report" / "templates"))
    english = plain_text(render_claim(environment, catalogue, claim, "en"))
    assert "(0.08%," in english and "about 0.08% of one" in english
    assert "0%" not in english.replace("0.08%", "")
