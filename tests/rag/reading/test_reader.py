"""The exported reader with the committed weights: exact offsets, long passages, runtimes that agree."""

import json

import pytest

from rag.reading.reader import MAX_LENGTH, Reader, export_folder
from rag.settings import Settings, packaged_embedding_model
from rag.types import Passage

pytestmark = pytest.mark.slow

ARTICLE = (
    "Officials met on Tuesday. The new river bridge in Lindholm opened to cyclists in June. "
    "Engineer Tomas Berg designed the 320-metre bridge, which cost 41 million kroner."
)


def passage(text: str, start: int = 0, chunk_id: str = "c1") -> Passage:
    return Passage(chunk_id=chunk_id, article_id="a1", text=text, start=start, end=start + len(text))


@pytest.fixture(scope="module")
def readers():
    cache = Settings().model_cache
    return {b: Reader(packaged_embedding_model(), cache, b) for b in ("openvino", "onnx")}


def test_export_reproduces_torch():
    folder = export_folder(packaged_embedding_model(), Settings().model_cache, "onnx")
    meta = json.loads((folder / "export.json").read_text())
    assert meta["max_logit_difference"] < 1e-3
    assert meta["max_length"] == MAX_LENGTH


def test_span_offsets_point_into_the_article(readers):
    offset = 1000  # the passage is a chunk starting 1,000 characters into its article
    article = "x" * offset + ARTICLE
    [reading] = readers["openvino"].read("Who designed the bridge?", [passage(ARTICLE, offset)])
    assert article[reading.start : reading.end] == reading.text
    assert "Tomas Berg" in reading.text
    assert 0.0 <= reading.answerable <= 1.0


def test_long_passages_are_read_in_windows(readers):
    filler = " ".join(f"Sentence number {n} says nothing of interest." for n in range(80))
    text = filler + " " + ARTICLE
    [reading] = readers["openvino"].read("Who designed the bridge?", [passage(text)])
    assert text[reading.start : reading.end] == reading.text and "Berg" in reading.text


def test_runtimes_agree(readers):
    passages = [passage(ARTICLE, chunk_id="c1"), passage("The weather was cold all week.", chunk_id="c2")]
    question = "How much did the bridge cost?"
    got = {b: r.read(question, passages) for b, r in readers.items()}
    assert [r.text for r in got["openvino"]] == [r.text for r in got["onnx"]]
    for a, b in zip(got["openvino"], got["onnx"], strict=True):
        assert abs(a.answerable - b.answerable) < 1e-3


def test_unrelated_passage_is_less_answerable(readers):
    related, unrelated = readers["onnx"].read(
        "Who designed the bridge?", [passage(ARTICLE, chunk_id="c1"), passage("Cats sleep most of the day.",
                                                                              chunk_id="c2")]
    )  # fmt: skip
    assert related.answerable > unrelated.answerable


def test_answering_never_loads_torch(tmp_path):
    """Once the reader and encoder are exported, a process that answers questions never imports torch."""
    import subprocess
    import sys

    from index.build import index_paths
    from tests.conftest import SEEDS

    settings = Settings(home=tmp_path / "home")
    index_paths([SEEDS], settings)
    Reader(packaged_embedding_model(), settings.model_cache, settings.reader_backend)  # exported before
    script = (
        "import sys; from rag.pipeline import Pipeline; from rag.settings import Settings\n"
        f"answer = Pipeline(Settings(home={str(settings.home)!r})).ask('Who proposed delaying NATO membership?')\n"
        "print(answer.short_answer, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-1] == "False", f"torch was imported while answering: {out.stdout}"


def test_a_dateline_is_not_an_answer_unless_the_question_asks_where(readers):
    report = ("QUORLEY BEND — Power has been restored to all Ambrey Valley Electric Cooperative customers who lost "
              "it in the ice storm, county officials said.")  # fmt: skip
    reader = readers["openvino"]
    [who] = reader.read("Which utility's customers lost power in the ice storm?", [passage(report)])
    assert "QUORLEY" not in who.text and "Ambrey" in who.text
    [where] = reader.read("In which town was power restored?", [passage(report)])
    assert where.text == "QUORLEY BEND"  # a question that asks where may be answered by the dateline
    [later] = reader.read("Which utility's customers lost power?", [passage(report[14:], start=14)])
    assert later.start >= 14  # a chunk that does not start the article has no dateline to mask


def test_avoided_sentences_are_not_read_while_the_passage_has_another(readers):
    from rag.timeframe import recaps

    report = ("The county had originally targeted an April 15 reopening. The Tilden Street Bridge will stay closed "
              "until at least July 1, officials said.")  # fmt: skip
    question = "When was the Tilden Street Bridge expected to reopen?"
    [plain] = readers["openvino"].read(question, [passage(report)])
    [avoiding] = readers["openvino"].read(question, [passage(report)], avoid=recaps)
    assert "July 1" in avoiding.text and avoiding.answerable == plain.answerable
    [only] = readers["openvino"].read(question, [passage(report.split(". ")[0] + ".")], avoid=recaps)
    assert "April 15" in only.text  # every sentence a recap: nothing is ruled out
