"""rag.retrieval.lexical: the BM25 side follows the store through its change log (no rebuild per write), scores
new chunks on the base's scale, never returns what was deleted or changed, and rebuilds when the log cannot say what
changed. Real Chroma, the fake embedder (only the dense side uses it)."""

import time

import pytest

from index.build import index_paths
from rag.records import Filters
from rag.retrieval import lexical
from rag.retrieval.lexical import LexicalIndex, bm25_term_score
from rag.retrieval.retriever import HybridRetriever
from rag.retrieval.store import Store
from tests.conftest import write_articles
from tests.rag.retrieval.test_retriever import ARTICLES, HARBOUR_QUESTION, ids

FERRY = {"ferry.md": "Title: Ferry news\nAuthor: Ann Bay\n\nThe Carrow harbour ferry got a new captain."}


@pytest.fixture
def store(tmp_path, settings, fake_embedder):
    index_paths([write_articles(tmp_path / "news", ARTICLES)], settings, embedder=fake_embedder)
    return Store(settings)


def add(tmp_path, settings, fake_embedder, folder: str, articles: dict[str, str]) -> None:
    """Index ``articles`` as another process would: through its own Store."""
    index_paths([write_articles(tmp_path / folder, articles)], settings, embedder=fake_embedder)


def bm25(retriever: HybridRetriever, question: str, **kwargs) -> list[tuple[str, float]]:
    return [(p.chunk_id, round(p.score, 4)) for p in retriever.retrieve(question, mode="bm25", **kwargs)]


def test_the_delta_formula_is_bm25s_own():
    import bm25s

    corpus = ["harbour ferry captain harbour", "ferry ferry wall", "captain of the orchard", "sea wall storm"]
    tokens = bm25s.tokenize(corpus, stopwords="en", show_progress=False)
    index = bm25s.BM25()
    index.index(tokens, show_progress=False)
    lengths = [len(t) for t in tokens.ids]
    average = sum(lengths) / len(lengths)
    words = {i: w for w, i in tokens.vocab.items()}
    for query in (["harbour"], ["ferry", "wall"], ["captain", "storm", "sea"]):
        docs, scores = index.retrieve([query], k=len(corpus))
        expected = dict(zip(docs[0].tolist(), scores[0].tolist(), strict=True))
        for doc, ids_of_doc in enumerate(tokens.ids):
            doc_words = [words[i] for i in ids_of_doc]
            mine = sum(
                bm25_term_score(
                    doc_words.count(w),
                    lengths[doc],
                    sum(w in [words[i] for i in d] for d in tokens.ids),
                    len(corpus),
                    average,
                    index.k1,
                    index.b,
                )  # fmt: skip
                for w in query
                if w in doc_words
            )
            assert mine == pytest.approx(expected[doc], rel=1e-5)


WORDS = ["mayor", "council", "harbour", "ferry", "school", "budget", "river", "bridge", "farm", "market",
         "storm", "wall", "museum", "train", "road"]  # fmt: skip


def test_a_new_article_is_found_by_its_words_without_a_rebuild(store, settings, fake_embedder, tmp_path, caplog):
    # a base of some size, so one article moves the corpus statistics by about 1% (as in a real archive)
    filler = {f"note{i}.md": f"Title: Note {i}\n\nThe {WORDS[i % 15]} and the {WORDS[(i * 7) % 15]} met on day {i} "
              f"near the {WORDS[(i * 4) % 15]}." for i in range(80)}  # fmt: skip
    add(tmp_path, settings, fake_embedder, "filler", filler)
    retriever = HybridRetriever(store, fake_embedder, candidates=10)
    retriever.refresh()
    base = retriever.lexical.current().base
    caplog.set_level("INFO", logger="rag.retrieval.lexical")
    add(tmp_path, settings, fake_embedder, "more", FERRY)

    assert ids(retriever.retrieve("Carrow ferry captain", mode="bm25"))[0] == "more/ferry.md"
    state = retriever.lexical.current()
    assert state.generation == store.generation() and state.base is base  # caught up, not rebuilt
    assert "BM25 rebuilt" not in caplog.text
    # the delta's scores are on the base's scale: the same ranking as a full rebuild, and scores within a few
    # percent (base rows keep the idf of the base: one new chunk in 85 moves a common word's idf by ~3%)
    rebuilt = HybridRetriever(Store(settings), fake_embedder, candidates=10)
    for question in ("Carrow ferry captain", "harbour sea wall", "harbour ferry engineers"):
        got, expected = dict(bm25(retriever, question, k=200)), dict(bm25(rebuilt, question, k=200))
        assert got.keys() == expected.keys()
        assert got == pytest.approx(expected, rel=0.035)


def test_changed_and_deleted_chunks_never_come_back(store, settings, fake_embedder, tmp_path):
    retriever = HybridRetriever(store, fake_embedder, candidates=10)
    retriever.refresh()
    changed = dict(ARTICLES)
    changed["harbour.md"] = "Title: Harbour stays shut\n\nThe harbour of Port Elm stays shut: divers found a crack."
    del changed["orchard.md"]
    write_articles(tmp_path / "news", changed)
    (tmp_path / "news" / "orchard.md").unlink()
    index_paths([tmp_path / "news"], settings, embedder=fake_embedder)

    assert retriever.retrieve("apple harvest cider Vale", mode="bm25") == []
    passages = retriever.retrieve("harbour Port Elm", mode="bm25")
    assert [p.article_id for p in passages] == ["news/harbour.md"]
    assert "divers found a crack" in passages[0].text
    assert retriever.retrieve("winter storm breached sea wall", mode="bm25") == []
    assert retriever.lexical.current().base.size == 4  # the base still holds the old chunks, masked


def test_filters_apply_to_the_delta_too(store, settings, fake_embedder, tmp_path):
    retriever = HybridRetriever(store, fake_embedder, candidates=10)
    retriever.refresh()
    add(tmp_path, settings, fake_embedder, "more", FERRY)
    assert ids(retriever.retrieve("harbour", mode="bm25", filters=Filters(author="Ann Bay"))) == ["more/ferry.md"]
    assert "more/ferry.md" not in ids(retriever.retrieve("harbour", mode="bm25", filters=Filters(author="Jane Roe")))


def test_a_restart_loads_the_saved_base_and_catches_up_through_the_log(
    store, settings, fake_embedder, tmp_path, caplog
):
    cache = tmp_path / "derived"
    HybridRetriever(store, fake_embedder, candidates=10, cache_dir=cache).refresh()
    saved = sorted(p.name for p in cache.iterdir())
    assert saved == [f"bm25-{store.chunks.id}-g{store.generation()}"]
    add(tmp_path, settings, fake_embedder, "more", FERRY)  # while the server is down

    caplog.set_level("INFO", logger="rag.retrieval.lexical")
    restarted = HybridRetriever(Store(settings), fake_embedder, candidates=10, cache_dir=cache)
    assert ids(restarted.retrieve("Carrow ferry captain", mode="bm25"))[0] == "more/ferry.md"
    # the saved base keeps each chunk's metadata: filters still apply after a load
    assert ids(restarted.retrieve(HARBOUR_QUESTION, mode="bm25", filters=Filters(author="Tom Lee"))) == [
        "news/bridge.md"]  # fmt: skip
    assert "BM25 loaded" in caplog.text and "BM25 rebuilt" not in caplog.text
    assert sorted(p.name for p in cache.iterdir()) == saved


def test_a_damaged_saved_base_is_rebuilt(store, fake_embedder, tmp_path):
    cache = tmp_path / "derived"
    HybridRetriever(store, fake_embedder, candidates=10, cache_dir=cache).refresh()
    (saved,) = cache.iterdir()
    for file in saved.iterdir():
        if file.name != "complete":
            file.write_bytes(b"garbage")
    again = HybridRetriever(store, fake_embedder, candidates=10, cache_dir=cache)
    assert ids(again.retrieve(HARBOUR_QUESTION, mode="bm25"))[0] == "news/harbour.md"


def test_when_the_log_cannot_say_the_base_is_rebuilt(store, settings, fake_embedder, tmp_path, caplog):
    retriever = HybridRetriever(store, fake_embedder, candidates=10)
    retriever.refresh()
    add(tmp_path, settings, fake_embedder, "more", FERRY)
    store.changes.delete(ids=[f"g{store.generation()}"])  # pruned, or written by a version without a log
    caplog.set_level("INFO", logger="rag.retrieval.lexical")
    assert ids(retriever.retrieve("Carrow ferry captain", mode="bm25"))[0] == "more/ferry.md"
    assert "BM25 rebuilt" in caplog.text

    store.client.delete_collection(store.changes.name)  # a store from before the log: always rebuilt, still right
    old = Store(settings)
    assert old.changes is None
    add(tmp_path, settings, fake_embedder, "late", {"late.md": "A zeppelin hangar opened near Fulda."})
    assert ids(HybridRetriever(old, fake_embedder, candidates=10).retrieve("zeppelin", mode="bm25")) == [
        "late/late.md"]  # fmt: skip


def test_a_delta_that_outgrows_the_base_triggers_a_rebuild(store, settings, fake_embedder, tmp_path, monkeypatch):
    retriever = HybridRetriever(store, fake_embedder, candidates=10)
    retriever.refresh()
    base = retriever.lexical.current().base
    monkeypatch.setattr(lexical, "DELTA_MIN", 0)
    monkeypatch.setattr(lexical, "DELTA_SHARE", 0.0)
    add(tmp_path, settings, fake_embedder, "more", FERRY)
    assert ids(retriever.retrieve("Carrow ferry captain", mode="bm25"))[0] == "more/ferry.md"
    assert retriever.lexical.current().base is not base


def test_in_the_background_the_older_state_answers_while_a_rebuild_runs(
    store, settings, fake_embedder, tmp_path, monkeypatch
):
    retriever = HybridRetriever(store, fake_embedder, candidates=10)
    retriever.lexical.background = True
    retriever.refresh()
    monkeypatch.setattr(lexical, "DELTA_MIN", 0)  # force the rebuild path
    monkeypatch.setattr(lexical, "DELTA_SHARE", 0.0)
    add(tmp_path, settings, fake_embedder, "more", FERRY)
    retriever.retrieve("Carrow ferry captain", mode="bm25")  # answered at once, by the older state
    deadline = time.monotonic() + 30
    while "more/ferry.md" not in ids(retriever.retrieve("Carrow ferry captain", mode="bm25")):
        assert time.monotonic() < deadline, "the rebuilt BM25 index never took over"
        time.sleep(0.05)
    assert retriever.lexical.current().generation == store.generation()


def test_an_older_state_never_returns_a_deleted_chunk(store, fake_embedder, monkeypatch):
    retriever = HybridRetriever(store, fake_embedder, candidates=10)
    retriever.lexical.background = True
    retriever.refresh()
    monkeypatch.setattr(lexical, "DELTA_MIN", 0)
    monkeypatch.setattr(lexical, "DELTA_SHARE", 0.0)
    before = {mode: ids(retriever.retrieve(HARBOUR_QUESTION, mode=mode)) for mode in ("bm25", "hybrid")}
    assert all("news/harbour.md" in found and len(set(found)) > 1 for found in before.values())
    store.delete_articles(["news/harbour.md"])
    store.bump_generation()
    for mode in ("bm25", "hybrid"):
        after = ids(retriever.retrieve(HARBOUR_QUESTION, mode=mode))
        assert "news/harbour.md" not in after
        assert set(after) == set(before[mode]) - {"news/harbour.md"}, mode  # what is still stored still comes back


def test_two_replicas_see_the_same_writes(store, settings, fake_embedder, tmp_path):
    one = HybridRetriever(Store(settings), fake_embedder, candidates=10)
    two = HybridRetriever(Store(settings), fake_embedder, candidates=10)
    one.refresh()
    add(tmp_path, settings, fake_embedder, "more", FERRY)
    two.refresh()  # built after the write: its base already holds the ferry
    for question in ("Carrow ferry captain", HARBOUR_QUESTION):
        assert ids(one.retrieve(question, mode="bm25")) == ids(two.retrieve(question, mode="bm25"))
    assert one.lexical.current().delta.nodes and not two.lexical.current().delta.nodes


def test_ids_logged_by_a_run_killed_before_its_bump_are_published_by_the_next(store, settings):
    first = store.generation()
    store._log_touched(["chunk-from-a-killed-run"])  # the run dies before bump_generation
    later = Store(settings)
    later.delete_chunks(["some-chunk"])
    later.bump_generation()
    assert later.touched_since(first, later.generation()) >= {"chunk-from-a-killed-run", "some-chunk"}


def test_lexical_index_without_a_store_change_answers_from_the_same_state(store):
    index = LexicalIndex(store, candidates=5)
    assert index.current() is index.current()


def test_a_loaded_base_has_the_metadata_of_a_built_one(store, fake_embedder, tmp_path):
    cache = tmp_path / "derived"
    built = LexicalIndex(store, cache_dir=cache).refresh().base
    loaded = LexicalIndex(store, cache_dir=cache).refresh().base
    assert loaded is not built and loaded.metas == built.metas and loaded.position == built.position
