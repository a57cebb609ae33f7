from __future__ import annotations

import pytest
from framelens.data.errors import ConfigError, FramelensError
from framelens.data.tasks import BUILTIN_TASKS, Task, get_task
from framelens.training.config import TrainConfig, load_config


def test_builtin_tasks_have_fixed_label_order():
    assert get_task("frame").labels == ("humanitarian", "counter_terrorism", "neutral")
    assert get_task("stance").labels == ("supportive", "critical", "neutral")
    assert get_task("frame").label_column == "frame"
    assert set(BUILTIN_TASKS) == {"frame", "stance"}


def test_unknown_task_lists_known_ones():
    with pytest.raises(ValueError, match="built-in tasks are frame, stance"):
        get_task("sentiment")


def test_task_round_trip_and_validation():
    task = Task(name="x", labels=("a", "b"), descriptions={"a": "first"})
    assert Task.from_dict(task.to_dict()) == task
    with pytest.raises(ValueError, match="duplicate labels"):
        Task(name="x", labels=("a", "a"))
    with pytest.raises(ValueError, match="missing 'labels'"):
        Task.from_dict({"name": "x"})


def test_config_layers_defaults_file_and_overrides(tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text(
        'epochs = 3\nlearning_rate = 1e-4\n[task]\nname = "tone"\nlabels = ["calm", "alarmed"]\n'
    )
    cfg = load_config(recipe, epochs=5, seed=None)
    assert cfg.epochs == 5  # CLI beats file
    assert cfg.learning_rate == 1e-4  # file beats default
    assert cfg.seed == 13  # None override ignored; default kept
    task = cfg.resolve_task()
    assert task.name == "tone" and task.labels == ("calm", "alarmed")


def test_config_rejects_unknown_keys_and_bad_toml(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("epochz = 3\n")
    with pytest.raises(ConfigError, match="unknown setting 'epochz'; did you mean 'epochs'"):
        load_config(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("epochs = \n")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_config(broken)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("epochs", "six", "epochs must be float"),
        ("learning_rate", "fast", "learning_rate must be float"),
        ("seed", "abc", "seed must be int"),
        ("seed", 1.5, "seed must be int"),
        ("class_weights", "yes", "class_weights must be bool"),
        ("max_length", 0, "max_length must be ≥ 8"),
        ("batch_size", -1, "batch_size must be ≥ 1"),
        ("epochs", 0, "epochs must be > 0"),
        ("warmup_ratio", 1.5, "warmup_ratio must be ≥ 0 and ≤ 0.99"),
        ("device", "gpu", "device must be one of auto, cpu, cuda, mps"),
        ("precision", "fp8", "precision must be one of auto, fp32, bf16, fp16"),
        ("report_to", "wandb", "report_to must be one of none, tensorboard"),
    ],
)
def test_recipe_values_are_checked_before_any_work(tmp_path, key, value, message):
    recipe = tmp_path / "r.toml"
    recipe.write_text(f"{key} = {value!r}\n".replace("'", '"'))
    with pytest.raises(ConfigError) as info:
        load_config(recipe)
    assert message in str(info.value)
    assert isinstance(info.value, FramelensError)


def test_defaults_live_in_one_place():
    # The recipe file is gone; the CLI help quotes the dataclass.
    from framelens.cli.train_cmd import D

    assert load_config() == TrainConfig()
    assert TrainConfig() == D


def test_task_option_conflicting_with_recipe_task_table_is_refused(tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text('[task]\nname = "tone"\nlabels = ["calm", "alarmed"]\n')
    with pytest.raises(ConfigError, match="conflicts with the recipe"):
        load_config(recipe, task="frame")
    assert load_config(recipe, task="tone").resolve_task().name == "tone"


def test_unknown_override_names_the_closest_key():
    with pytest.raises(ConfigError, match="did you mean 'learning_rate'"):
        load_config(learning_rat=1e-4)


def test_report_to_tensorboard_needs_its_package_and_says_so():
    import importlib.util

    from framelens.data.errors import EnvironmentProblem
    from framelens.training.trainer import _report_to

    assert _report_to(TrainConfig()) == []
    cfg = TrainConfig(report_to="tensorboard")
    if importlib.util.find_spec("tensorboard") is None:
        with pytest.raises(EnvironmentProblem, match=r"pip install 'framelens\[tensorboard\]'"):
            _report_to(cfg)
    else:
        assert _report_to(cfg) == ["tensorboard"]
