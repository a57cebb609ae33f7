from __future__ import annotations

import pytest
from framelens.data.tasks import BUILTIN_TASKS, Task, get_task
from framelens.training.config import load_config


def test_builtin_tasks_have_fixed_label_order():
    assert get_task("frame").labels == ("humanitarian", "counter_terrorism", "neutral")
    assert get_task("stance").labels == ("supportive", "critical", "neutral")
    assert get_task("frame").label_column == "frame"
    assert set(BUILTIN_TASKS) == {"frame", "stance"}


def test_unknown_task_lists_known_ones():
    with pytest.raises(ValueError, match="built-in tasks are frame, stance"):
        get_task("sentiment")


def test_task_round_trip_and_validation():
    task = Task(name="x", labels=("a", "b"), multi_label=True)
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
    with pytest.raises(ValueError, match="unknown setting 'epochz'"):
        load_config(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("epochs = \n")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_config(broken)
