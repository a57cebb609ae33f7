"""The Ray engine on a local Ray started by the test: the same labels as the local Classifier.

One actor with 1 CPU of the 2 Ray is given: on 2 cores an actor pool of two 1-CPU actors
leaves nothing for reading the Parquet file, and the job waits forever.
"""

from __future__ import annotations

import json

import pytest
from conftest import MINI_CORPUS

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'framelens[ray]'")
pytest.importorskip("ray.data", reason="Ray Data is not installed: pip install 'framelens[ray]'")


@pytest.fixture(scope="module")
def local_ray():
    try:
        ray.init(num_cpus=2, include_dashboard=False, object_store_memory=200 * 1024**2,
                 log_to_driver=False)
    except (RuntimeError, ConnectionError, OSError, ValueError) as exc:
        pytest.skip(f"Ray could not be started here: {type(exc).__name__}: {exc}")
    yield
    ray.shutdown()


@pytest.fixture()
def corpus_parquet(tmp_path):
    import pandas as pd

    rows = [json.loads(line) for line in MINI_CORPUS.read_text().splitlines()]
    path = tmp_path / "in.parquet"
    pd.DataFrame(rows)[["id", "text", "frame", "stance"]].to_parquet(path, row_group_size=20)
    return path


def test_ray_engine_gives_the_local_classifiers_labels(local_ray, trained_bundle, corpus_parquet,
                                                       tmp_path):
    import pandas as pd
    from framelens.serving import Classifier
    from framelens.serving.ray_engine import classify_parquet_with_ray

    out = tmp_path / "labelled"
    run = classify_parquet_with_ray(trained_bundle, corpus_parquet, out, rows_per_batch=16,
                                    actors=1, cpus_per_actor=1)
    assert run.rows == 46 and run.output == out
    got = pd.read_parquet(out)
    source = pd.read_parquet(corpus_parquet)
    assert list(got["id"]) == list(source["id"])  # input order kept
    # The gold frame/stance columns clash with the predicted ones: left out by default.
    expected = [r.flat() for r in Classifier.load(trained_bundle).predict(list(source["text"]))]
    assert list(got.columns) == ["id", "text", *expected[0]]
    for row, want in zip(got.to_dict("records"), expected, strict=True):
        assert {k: row[k] for k in want} == pytest.approx(want, abs=1e-6)
    assert not list(tmp_path.glob(".labelled*"))  # no temporary folder left behind


def test_ray_engine_splits_documents_into_sentence_rows(local_ray, trained_frame, tmp_path):
    import pandas as pd
    from framelens.serving import Classifier
    from framelens.serving.ray_engine import classify_parquet_with_ray

    articles = {"a1": "Shelling hit the market at dawn. Aid trucks reached the camp.",
                "a2": "Troops cleared the last extremist hideouts."}
    source = tmp_path / "articles.parquet"
    pd.DataFrame({"doc": list(articles), "body": list(articles.values()),
                  "outlet": ["x", "y"]}).to_parquet(source)
    out = tmp_path / "sentences"
    run = classify_parquet_with_ray(trained_frame, source, out, "body", unit="document",
                                    id_column="doc")
    got = pd.read_parquet(out)
    analyses = Classifier.load(trained_frame).analyze_many(list(articles.values()), list(articles))
    expected = [row for a in analyses for row in a.rows()]
    assert run.rows == len(expected) == 3
    assert list(got["outlet"]) == ["x", "x", "y"]
    for row, want in zip(got.to_dict("records"), expected, strict=True):
        assert {k: row[k] for k in want} == pytest.approx(want, abs=1e-6)


def test_bad_input_is_reported_before_ray_starts(trained_frame, tmp_path):
    import pandas as pd
    from framelens.data.errors import ConfigError, DataError
    from framelens.serving.ray_engine import classify_parquet_with_ray

    source = tmp_path / "in.parquet"
    pd.DataFrame({"text": ["fine", "", None, "also fine"], "frame": ["a"] * 4}).to_parquet(source)
    with pytest.raises(DataError) as err:
        classify_parquet_with_ray(trained_frame, source, tmp_path / "out")
    assert str(err.value).splitlines() == [f"{source}:2: text: empty text",
                                           f"{source}:3: text: missing text"]
    with pytest.raises(DataError, match="sentence: missing column"):
        classify_parquet_with_ray(trained_frame, source, tmp_path / "out", "sentence")
    clean = tmp_path / "clean.parquet"
    pd.DataFrame({"text": ["fine"], "frame": ["a"]}).to_parquet(clean)
    with pytest.raises(ConfigError, match="keep_columns frame would clash"):
        classify_parquet_with_ray(trained_frame, clean, tmp_path / "out", keep_columns=["frame"])
    assert not (tmp_path / "out").exists()


def test_classify_command_with_engine_ray(local_ray, trained_bundle, corpus_parquet, tmp_path):
    import pandas as pd
    from typer.testing import CliRunner

    from framelens.cli.main import app

    out = tmp_path / "cli-labelled"
    result = CliRunner().invoke(app, ["classify", str(corpus_parquet), "--model",
                                      str(trained_bundle), "--out", str(out), "--engine", "ray",
                                      "--unit", "sentence", "--id-column", "id"])
    assert result.exit_code == 0, result.output
    assert "46 sentences classified with Ray" in " ".join(result.output.split())
    assert len(pd.read_parquet(out)) == 46
