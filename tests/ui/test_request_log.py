"""ui.request_log: the request id, and what a line says (and, by default, does not say: the question)."""

from __future__ import annotations

import json

import pytest

from rag import Answer, Citation
from rag.errors import BadQuestion, Overloaded, RagError
from rag.settings import Settings, load_settings
from ui.render import answered_turn
from ui.request_log import RequestLog, request_id

QUESTION = "Is my neighbour, Ann Smith, on the list?"


@pytest.mark.parametrize("incoming", ["abc-123", "0af7651916cd43dd8448eb211c80319c", "req_2026.12.03:7", "A" * 128])
def test_a_sane_incoming_id_is_kept(incoming):
    assert request_id(incoming) == incoming


@pytest.mark.parametrize("incoming", [None, "", "has space", "x" * 129, "-leading-dash", "a\nb", "é", "<script>"])
def test_anything_else_gets_a_new_id(incoming):
    new = request_id(incoming)
    assert new != incoming and len(new) == 32 and int(new, 16) >= 0


def answered(abstained: bool = False) -> Answer:
    cite = Citation(n=1, article_id="nato-1", chunk_id="nato-1:0", passage="Kellogg proposed it.", quote="Kellogg",
                    start=0, end=7, score=1.0, article_hash="h")  # fmt: skip
    return Answer(question=QUESTION, answer="Kellogg [1]", short_answer="Kellogg", abstained=abstained,
                  confidence=0.91234, citations=[cite], timings_ms={"retrieve": 12.34, "total": 50.0})  # fmt: skip


def line(settings: Settings, fill) -> str:
    log = RequestLog(settings)
    record = log.start("POST", "/query", "trace-1")
    record.status = 200
    fill(record)
    return log.line(record)


def ask_and_answer(record) -> None:
    record.asked(QUESTION, "extractive")
    record.answered(answered())


def test_a_json_line_has_the_answer_but_not_the_question(tmp_path):
    fields = json.loads(line(Settings(home=tmp_path, log_format="json"), ask_and_answer))
    assert fields["request_id"] == "trace-1" and fields["method"] == "POST" and fields["path"] == "/query"
    assert fields["status"] == 200 and fields["duration_ms"] >= 0 and fields["ts"].endswith("+00:00")
    assert fields["question_chars"] == len(QUESTION) and fields["mode"] == "extractive"
    assert fields["outcome"] == "answered" and fields["confidence"] == 0.9123
    assert fields["articles"] == ["nato-1"] and fields["timings_ms"] == {"retrieve": 12.3, "total": 50.0}
    assert "question" not in fields and "Ann Smith" not in json.dumps(fields)


def test_the_question_is_logged_only_when_asked_for(tmp_path):
    fields = json.loads(line(Settings(home=tmp_path, log_format="json", log_questions=True), ask_and_answer))
    assert fields["question"] == QUESTION
    text = line(Settings(home=tmp_path, log_questions=True), ask_and_answer)
    assert f"question={json.dumps(QUESTION)}" in text  # quoted: a question cannot break the line


def test_a_text_line_reads_as_key_value_pairs(tmp_path):
    text = line(Settings(home=tmp_path), ask_and_answer)
    assert text.startswith("request request_id=trace-1 method=POST path=/query status=200 duration_ms=")
    assert "question_chars=40 outcome=answered confidence=0.9123 articles=nato-1" in text
    assert text.endswith("timings_ms=retrieve:12.3,total:50.0") and "Ann Smith" not in text


def test_a_request_without_a_question_has_the_http_part_only(tmp_path):
    fields = json.loads(line(Settings(home=tmp_path, log_format="json"), lambda record: None))
    assert set(fields) == {"ts", "request_id", "method", "path", "status", "duration_ms"}


@pytest.mark.parametrize(("error", "outcome"), [(Overloaded("busy", retry_after=1), "shed"),
                                                (BadQuestion(f"no answer for {QUESTION}"), "error")])  # fmt: skip
def test_a_failure_is_logged_by_its_kind_not_its_message(tmp_path, error, outcome):
    def fail(record):
        record.asked(QUESTION, "extractive")
        record.failed(error)

    fields = json.loads(line(Settings(home=tmp_path, log_format="json"), fail))
    assert fields["outcome"] == outcome and fields["error"] == type(error).__name__
    assert "Ann Smith" not in json.dumps(fields)


def test_the_ui_shows_the_request_id_under_the_answer():
    html = answered_turn(1, answered(), {}, request_id="0af7651916cd43dd")["html"]
    assert "request id: 0af7651916cd43dd" in html
    assert "request id" not in answered_turn(1, answered(), {})["html"]


def test_the_settings_are_validated_with_the_variable_named(monkeypatch):
    monkeypatch.setenv("RAG_LOG_FORMAT", " JSON ")
    monkeypatch.setenv("RAG_LOG_QUESTIONS", "1")
    settings = load_settings()
    assert settings.log_format == "json" and settings.log_questions is True and settings.metrics_key is None
    monkeypatch.setenv("RAG_LOG_FORMAT", "xml")
    with pytest.raises(RagError, match="bad setting RAG_LOG_FORMAT: Input should be 'text' or 'json'"):
        load_settings()
    monkeypatch.setenv("RAG_LOG_FORMAT", "text")
    monkeypatch.setenv("RAG_LOG_QUESTIONS", "sometimes")
    with pytest.raises(RagError, match="bad setting RAG_LOG_QUESTIONS"):
        load_settings()


def test_a_text_value_that_could_break_the_line_is_quoted(tmp_path):
    def odd_ids(record):
        record.asked(QUESTION, "extractive")
        record.answered(answered())
        record.articles = ["bbc/tech 042", 'say "hi"']

    text = line(Settings(home=tmp_path), odd_ids)
    assert 'articles="bbc/tech 042,say \\"hi\\""' in text
