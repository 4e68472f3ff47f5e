"""The search space: per-layer names, the depth bound, Hyperband's schedule, and the space
checked before any job (``hw4.config_check.tuning_space_problems``)."""

from __future__ import annotations

import pytest
import yaml
from conftest import REPO, run_snakemake

from hw4.config_check import ConfigError, check_config
from hw4.methods.hyperband import hyperband_schedule, planned_trials, schedule_totals
from hw4.methods.search_space import block_sizes, max_conv_depth, sampled_values

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
BAD_SPACE_CASE = REPO / "tests" / "cases" / "tuning_space_bad.yaml"


def test_sampled_values_are_the_grid_values():
    sampled = {"dropout_conv_0": 0.1 + 0.1 + 0.1, "filters_0": 64, "tuner/epochs": 4}
    assert sampled["dropout_conv_0"] != 0.3
    assert sampled_values(sampled) == {"dropout_conv_0": 0.3, "filters_0": 64, "tuner/epochs": 4}
    assert sampled_values(sampled, keep_tuner_keys=False) == {
        "dropout_conv_0": 0.3,
        "filters_0": 64,
    }
    assert sampled_values({"learning_rate": 0.0004542805978770659}) == {
        "learning_rate": 0.000454280597877
    }


def test_depth_bound_from_the_shape_arithmetic():
    assert block_sizes(28, 5, "valid") == [13, 5, 1, -1, -1]
    assert max_conv_depth(28, 3, 2, "valid") == 3
    assert max_conv_depth(28, 3, 2, "same") == 4


# --- the space checked before any job ----------------------------------------------------

BAD_SPACES = [
    ({"filters": [64, 32, 32]}, "tuning.space.filters: low 64 > high 32"),
    ({"units": [16, 64, 0]}, "tuning.space.units[2]: 0 is not allowed"),
    (
        {"units": [16, 64, 64]},
        "tuning.space.units: step 64 does not fit between low 16 and high 64",
    ),
    ({"dropout": [0.5, 0.1, 0.1]}, "tuning.space.dropout: low 0.5 > high 0.1"),
    ({"dropout": [0.1, 0.2, 0.0]}, "tuning.space.dropout: step 0.0 must be above 0"),
    ({"dense_layers": [3, 2]}, "tuning.space.dense_layers: low 3 > high 2"),
    ({"learning_rate": [0.01, 0.001]}, "tuning.space.learning_rate: low 0.01 > high 0.001"),
    ({"conv_layers": [5, 4]}, "tuning.space.conv_layers: low 5 > high 4"),
    (
        {"conv_layers": [4, 5]},
        "tuning.space.conv_layers: the smallest depth 4 cannot be built with 'valid' padding"
        " on 28x28 images (at most 3 conv+pool blocks fit)",
    ),
    (
        {"conv_layers": [5, 6], "padding": "same"},
        "tuning.space.conv_layers: the smallest depth 5 cannot be built with 'same' padding",
    ),
]


@pytest.mark.parametrize("space, message", BAD_SPACES)
def test_each_bad_space_is_refused_naming_the_key(space, message):
    with pytest.raises(ConfigError) as info:
        check_config({"tuning": {"space": space}}, SCHEMA)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert "filters_0" not in str(info.value) and "KerasTuner" not in str(info.value)


def test_good_spaces_pass():
    check_config({"tuning": {"space": {"conv_layers": [4, 6], "padding": "same"}}}, SCHEMA)
    check_config({"tuning": {"space": {"filters": [32, 32, 32], "conv_layers": [3, 3]}}}, SCHEMA)


def test_the_bad_space_case_is_refused_before_any_job(tmp_path):
    case = yaml.safe_load(BAD_SPACE_CASE.read_text())
    with pytest.raises(ConfigError) as info:
        check_config(case, SCHEMA)
    assert "tuning.space.filters: low 64 > high 32" in str(info.value)
    assert "tuning.space.conv_layers: the smallest depth 4" in str(info.value)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(case))
    result = run_snakemake(tmp_path, "-n", configfile=bad, timeout=120)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("config error:")]
    assert len(lines) == 1, result.stderr[-2000:]
    assert "tuning.space.filters" in lines[0] and "tuning.space.conv_layers" in lines[0]
    assert "rule " not in result.stdout  # no job was planned or run
    assert not (tmp_path / "results").exists()


kt = pytest.importorskip("keras_tuner")
from hw4.methods.search_space import ShapeFailure, make_builder  # noqa: E402

SPACE = {
    "conv_layers": [2, 5],
    "filters": [32, 256, 32],
    "dense_layers": [2, 5],
    "units": [32, 256, 32],
    "dropout": [0.1, 0.5, 0.1],
    "learning_rate": [1e-4, 1e-2],
    "padding": "valid",
}


def test_hyperband_schedule_matches_the_homework_and_keras_tuner():
    rows = hyperband_schedule(10, 3)
    assert schedule_totals(rows) == {"trials": 30, "new_configurations": 22, "epochs": 120}
    oracle = kt.oracles.HyperbandOracle(objective="val_accuracy", max_epochs=10, factor=3)
    for r in rows:
        assert oracle._get_size(r["bracket"], r["round"]) == r["trials"]
        assert oracle._get_epochs(r["bracket"], r["round"]) == r["epochs"]
    assert planned_trials({"tuner": "random", "max_trials": 7}) == 7


@pytest.mark.parametrize("depth", [2, 3])
@pytest.mark.parametrize("dense", [2, 5])
def test_every_allowed_depth_builds_with_per_layer_names(depth, dense):
    build, used, bound = make_builder(SPACE, (28, 28, 1))
    assert used == bound == 3
    hp = kt.HyperParameters()
    hp.Fixed("conv_layers", depth)
    hp.Fixed("dense_layers", dense)
    model = build(hp)
    names = [layer.name for layer in model.layers]
    assert sum(n.startswith("conv_") for n in names) == depth
    assert sum(n.startswith("dense_") for n in names) == dense
    active = set(hp.values)
    assert {f"filters_{i}" for i in range(depth)} <= active
    assert f"filters_{depth}" not in active  # inactive layers are not sampled
    assert {f"units_{i}" for i in range(dense)} <= active


def test_the_depth_bound_follows_the_image_size():
    _, used, bound = make_builder(SPACE, (64, 64, 1))
    assert bound == max_conv_depth(64) == 4 and used == 4
    _, used, bound = make_builder({**SPACE, "padding": "same"}, (28, 28, 1))
    assert bound == 4 and used == 4


def test_parameter_count_of_a_fixed_configuration():
    build, _, _ = make_builder(SPACE, (28, 28, 1))
    hp = kt.HyperParameters()
    for name, value in {
        "conv_layers": 2,
        "filters_0": 32,
        "filters_1": 64,
        "dense_layers": 2,
        "units_0": 32,
        "units_1": 32,
    }.items():
        hp.Fixed(name, value)
    model = build(hp)
    # conv 1->32: 320; conv 32->64: 18,496; 5x5x64=1,600 -> 32: 51,232; 32->32: 1,056; 32->10: 330
    assert model.count_params() == 320 + 18_496 + 51_232 + 1_056 + 330


def test_the_original_space_shares_one_value():
    build, used, _ = make_builder(SPACE, (28, 28, 1), corrected=False)
    hp = kt.HyperParameters()
    hp.Fixed("conv_layers", 2)
    build(hp)
    assert "filters" in hp.values and "filters_0" not in hp.values and used == 5


def test_the_original_space_names_an_impossible_depth():
    build, _, _ = make_builder(SPACE, (28, 28, 1), corrected=False)
    hp = kt.HyperParameters()
    hp.Fixed("conv_layers", 4)
    with pytest.raises(ShapeFailure, match=r"conv_layers=4 cannot be built on 28x28"):
        build(hp)
