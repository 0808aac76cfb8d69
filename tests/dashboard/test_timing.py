import json

from dashboard import timing


def test_a_run_is_logged_with_its_page_user_and_duration_when_the_log_is_named(tmp_path, monkeypatch):
    log = tmp_path / "runs.jsonl"
    monkeypatch.setenv(timing.RUN_LOG_ENV, str(log))
    with timing.timed() as run:
        run["page"], run["user"] = "overview", "secretariat"
    with timing.timed() as run:
        run["page"] = "peers present"
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(x["page"], x["user"]) for x in lines] == [("overview", "secretariat"), ("peers present", "")]
    assert all(x["ms"] >= 0 and x["start"] > 1.7e9 for x in lines)


def test_a_run_that_raises_is_still_logged(tmp_path, monkeypatch):
    log = tmp_path / "runs.jsonl"
    monkeypatch.setenv(timing.RUN_LOG_ENV, str(log))
    try:
        with timing.timed() as run:
            run["page"] = "map"
            raise RuntimeError("st.stop")
    except RuntimeError:
        pass
    assert json.loads(log.read_text())["page"] == "map"


def test_nothing_is_written_without_the_log(tmp_path, monkeypatch):
    monkeypatch.delenv(timing.RUN_LOG_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    with timing.timed() as run:
        run["page"] = "overview"
    assert list(tmp_path.iterdir()) == []
