"""The ``rag`` command line: ``rag index``, ``rag ask``, ``rag serve``, ``rag eval``, ``rag export``/``import``.

User-facing errors (``rag.errors``) become a one-line message and exit code 2; ``--json`` output goes to
stdout and everything else (progress, logs) to stderr, so the JSON can be piped.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import rag  # noqa: F401  (sets the offline environment before any model library loads)
from rag import HISTORY_TURNS_MAX, TOP_K_MAX, check_top_k
from rag.errors import RagError

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (with where to look) and exit code 2, like every other error."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _settings():
    from rag import load_settings

    return load_settings()


def cmd_index(args: argparse.Namespace) -> int:
    """Folders and files (converged: what a folder no longer holds is deleted), page and feed URLs and saved
    feed files (added and updated, never swept). The operator may fetch any address, private ones included."""
    from index.build import IndexReport, index_loaded, index_paths
    from index.load import LoadResult
    from index.web import FEED_SUFFIXES, is_url, load_feed_file, load_urls
    from rag import seeds_folder

    settings = _settings()
    given = args.paths or [str(seeds_folder())]
    urls = [p for p in given if is_url(p)]
    feeds = [Path(p) for p in given if not is_url(p) and Path(p).suffix.lower() in FEED_SUFFIXES]
    paths = [Path(p) for p in given if not is_url(p) and Path(p).suffix.lower() not in FEED_SUFFIXES]
    reports = []
    if paths:
        reports.append(index_paths(paths, settings, progress=not args.json, first_line_title=args.first_line_title))
    if urls or feeds:
        loaded = load_urls(urls, settings, allow_private=True) if urls else LoadResult()
        for feed in feeds:
            loaded = loaded.merge(load_feed_file(feed, settings))
        reports.append(index_loaded(loaded, settings, progress=not args.json))
    report = IndexReport.total(reports)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return 0
    print(
        f"indexed {report.articles} articles into {settings.home}: {report.chunks} chunks "
        f"({report.embedded} embedded, {report.unchanged} unchanged, {report.deleted} deleted)"
        + (f"; {report.not_modified} URLs not modified" if report.not_modified else "")
    )
    if report.untitled:
        print(f"{report.untitled} articles had no title: each was given its first line (when it reads as a headline) "
              "or first sentence; if your .txt files start with the headline, --first-line-title takes it as the "
              "title and out of the text")  # fmt: skip
    for skip in report.skipped:
        print(f"skipped {skip['path']}: {skip['reason']}", file=sys.stderr)
    for dup in report.duplicates:
        print(f"duplicate {dup['path']}: same text as {dup['duplicate_of']}", file=sys.stderr)
    return 0


def _filters(args: argparse.Namespace):
    from rag import Filters

    return Filters.parse(source=args.source, author=args.author, published_from=args.published_from,
                         published_to=args.published_to)  # fmt: skip


def _answer_options(args: argparse.Namespace) -> dict:
    from datetime import date

    from rag.errors import BadQuestion

    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else None
    except ValueError:
        raise BadQuestion(f"--as-of must be a date YYYY-MM-DD, got {args.as_of!r}") from None
    return {"top_k": check_top_k(args.top_k), "filters": _filters(args), "as_of": as_of}


def cmd_ask(args: argparse.Namespace) -> int:
    from rag import Pipeline

    options = _answer_options(args)
    pipeline = Pipeline(_settings())
    answer = _answer(pipeline, args.question, args.generative, options)
    print(answer.model_dump_json(indent=2) if args.json else format_answer(answer))
    return 0


def _answer(pipeline, question: str, generative: bool, options: dict):
    """One answer; in generative mode the model's draft streams to stderr while the verified answer follows."""
    if not generative:
        return pipeline.ask(question, **options)
    pipeline.generative()  # no LLM configured: said before any work
    evidence = pipeline.prepare(question, **options)
    for event in pipeline.events(evidence, "generative"):
        if isinstance(event, str):
            print(event, end="", file=sys.stderr, flush=True)
        else:
            answer = event
    print(file=sys.stderr)
    return answer


CHAT_HELP = "Ask a question; follow-ups may say he, it, there, that plan, what about X. /new starts over, /quit ends."


def cmd_chat(args: argparse.Namespace) -> int:
    """An interactive conversation: each question is resolved against the earlier turns (kept in this process
    only), with line editing and history from readline."""
    import contextlib

    from rag import Pipeline

    with contextlib.suppress(ImportError):  # line editing where the platform has it
        import readline  # noqa: F401

    options = _answer_options(args)
    pipeline = Pipeline(_settings())
    history: list[dict] = []
    interactive = sys.stdin.isatty()
    if interactive:
        print(CHAT_HELP, file=sys.stderr)
    while True:
        try:
            line = input("you> " if interactive else "").strip()
        except EOFError:
            return 0
        if not line:
            continue
        if line in ("/quit", "/exit", "/q"):
            return 0
        if line == "/new":
            history.clear()
            print("(new conversation)", file=sys.stderr)
            continue
        try:
            answer = _answer(pipeline, line, args.generative, {**options, "history": history[-HISTORY_TURNS_MAX:]})
        except RagError as exc:  # a bad question ends nothing: say why and wait for the next one
            print(f"rag: error: {exc}", file=sys.stderr)
            continue
        if args.json:
            print(answer.model_dump_json(), flush=True)
        else:
            if answer.standalone_question != answer.question:
                print(f"(searched for: {answer.standalone_question})")
            print(format_answer(answer), end="\n\n", flush=True)
        history.append(answer.history_turn())


def format_answer(answer) -> str:
    from ui.render import date_label

    lines = []
    if answer.abstained:
        lines.append(f"{answer.answer}  (confidence {answer.confidence:.2f})")
        if answer.abstain_reason:
            lines.append(f"Why: {answer.abstain_reason}.")
        if answer.related:
            lines += ["", "Closest passages (not evidence):"]
            lines += [f'  - {c.title or c.article_id}: "{c.quote}"' for c in answer.related]
        return "\n".join(lines)
    if answer.short_answer:
        lines += [f"Short answer: {answer.short_answer}", ""]
    lines.append(answer.answer)
    if answer.note:
        lines += ["", f"Note: {answer.note}"]
    unsupported = [st for st in answer.statements if not st.supported]
    if unsupported:
        lines += ["", "Not backed by the articles:"]
        lines += [f"  ! {st.text}  ({st.verdict}: {st.note})" for st in unsupported]
    if answer.as_of:
        lines += ["", f"As of {answer.as_of.isoformat()} (the newest report that answers it)."]
    if answer.earlier:
        lines.append("Earlier reports said: " + "; ".join(
            f"{e.answer} ({e.published.isoformat() if e.published else 'undated'})" for e in answer.earlier))
    lines += ["", f"Sources (confidence {answer.confidence:.2f}):"]
    for c in answer.citations:
        label = date_label(c)
        when = "" if not label else f", published {label}" if c.published else f", {label}"
        lines.append(f"  [{c.n}] {c.title or c.article_id}  ({c.article_id}{when}, characters {c.start}-{c.end})")
        lines.append(f'      "{c.quote}"')
    return "\n".join(lines)


def cmd_feeds(args: argparse.Namespace) -> int:
    """The feed list with each feed's last poll, as the running server last wrote it (``<RAG_HOME>/feeds.json``)."""
    from ui.feeds import FeedPoller

    settings = _settings()
    poller = FeedPoller(settings.home, settings.feed_urls, settings.feed_interval, index=None, allow_private=False)
    feeds = poller.list()
    if not feeds:
        print("no feeds: list them in RAG_FEEDS, or add one with POST /feeds while `rag serve` runs")
    for f in feeds:
        last = f"last poll {f['last_poll']}: {f['last_status']}" if f["last_poll"] else "not polled yet"
        error = f" ({f['last_error']})" if f["last_error"] else ""
        print(f"{f['url']}  [{f['origin']}]  {last}{error}; {f['total_new']} new articles in {f['polls']} polls")
    return 0


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 1024:.0f} KB"


def cmd_export(args: argparse.Namespace) -> int:
    """A snapshot of the index in one file, read at one store generation while the service may keep writing."""
    from index.snapshot import export

    manifest = export(_settings(), Path(args.path), wait=args.wait)
    if args.json:
        print(json.dumps(manifest, indent=2))
        return 0
    counts, store = manifest["counts"], manifest["store"]
    print(f"exported {counts['articles']} articles and {counts['chunks']} chunks (generation {store['generation']}, "
          f"record format {store['schema']}, {store['embed_model']}) to {args.path} "
          f"({_size(Path(args.path).stat().st_size)})")  # fmt: skip
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Restore a snapshot into an empty home (or Chroma server), vectors and all: nothing is embedded again."""
    from index.restore import import_snapshot

    report = import_snapshot(_settings(), Path(args.path))
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"imported {report['articles']} articles and {report['chunks']} chunks into {report['into']} "
          f"in {report['seconds']:.1f} s (nothing embedded)"
          + ("; an interrupted import was started over" if report["resumed"] else "")
          + (f"; migrated: {', '.join(report['migrated'])}" if report["migrated"] else ""))  # fmt: skip
    for note in report["notes"]:
        print(f"note: {note}", file=sys.stderr)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Bring an index written by an older release to the current record format, in place (safe to rerun)."""
    from index.migrate import migrate
    from rag import Store

    store = Store(_settings())
    before = store.schema
    steps = migrate(store)
    if args.json:
        print(json.dumps({"from": before, "to": store.schema, "steps": [vars(s) for s in steps]}, indent=2))
        return 0
    if not steps:
        print(f"the index in {store.where} is already in the current record format ({store.schema})")
    for step in steps:
        print(f"record format {step.source} -> {step.target}: {step.what} ({step.articles} articles changed)")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ui.app import create_app

    settings = _settings()
    host = args.host or settings.host
    port = args.port or settings.port
    print(f"serving on http://{host}:{port}  (UI at /, API docs at /docs)", file=sys.stderr)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from evals.cli import cmd_eval as run_eval

    return run_eval(args)


def add_answer_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--top-k", type=int, default=None, help=f"passages to consider (1-{TOP_K_MAX})")
    p.add_argument("--source", help="only articles from this source")
    p.add_argument("--author", help="only articles by this author (exact name)")
    p.add_argument("--published-from", help="only articles published on or after this date (YYYY-MM-DD)")
    p.add_argument("--published-to", help="only articles published on or before this date (YYYY-MM-DD)")
    p.add_argument("--as-of", help="your 'now' (YYYY-MM-DD, default today): 'last year' and 'currently' mean then")


def build_parser(commands: dict[str, Callable[[argparse.Namespace], int]], *,
                 eval_options: bool = True) -> argparse.ArgumentParser:  # fmt: skip
    parser = _Parser(prog="rag", description="Cited-answer Q&A over news articles.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="index article files, folders, page URLs and RSS/Atom feeds (default: seeds/)")
    p.add_argument(
        "paths",
        nargs="*",
        help="files or folders of .txt, .md, .html, .json, .jsonl articles; http(s) "
        "URLs of news pages or RSS/Atom feeds; saved feeds (.xml, .rss, .atom)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as one JSON document")
    p.add_argument("--first-line-title", action="store_true", help="treat a .txt file's first line as its title")
    p.set_defaults(func=commands["index"])

    p = sub.add_parser("ask", help="answer a question from the indexed articles, with cited passages")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the answer object as JSON")
    p.add_argument(
        "--generative", action="store_true",
        help="have the configured LLM (RAG_LLM_URL or RAG_LLM_GGUF) write the answer, verified against its citations",
    )  # fmt: skip
    add_answer_options(p)
    p.set_defaults(func=commands["ask"])

    p = sub.add_parser("chat", help="a conversation: follow-up questions resolved against the earlier turns")
    p.add_argument("--json", action="store_true", help="print one answer object per line")
    p.add_argument("--generative", action="store_true", help="have the configured LLM write each answer")
    add_answer_options(p)
    p.set_defaults(func=commands["chat"])

    p = sub.add_parser("serve", help="serve the UI and the HTTP API (default http://127.0.0.1:7860)")
    p.add_argument("--host", help="address to bind (default RAG_HOST, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default RAG_PORT, 7860)")
    p.set_defaults(func=commands["serve"])

    p = sub.add_parser("feeds", help="the feeds `rag serve` polls (RAG_FEEDS and those added through the API)")
    p.set_defaults(func=commands["feeds"])

    p = sub.add_parser("export", help="write a snapshot of the index (records, vectors, fetch state) to one file")
    p.add_argument("path", help="the snapshot file to write (replaced atomically if it exists)")
    p.add_argument("--wait", type=float, default=120.0,
                   help="seconds to keep trying for a moment with no write under way (default 120)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the snapshot's manifest as JSON")
    p.set_defaults(func=commands["export"])

    p = sub.add_parser("import", help="restore a snapshot into an empty RAG_HOME (or Chroma server), embedding nothing")
    p.add_argument("path", help="a snapshot written by `rag export`")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=commands["import"])

    p = sub.add_parser("migrate", help="bring an index written by an older release to the current record format")
    p.add_argument("--json", action="store_true", help="print the steps run as JSON")
    p.set_defaults(func=commands["migrate"])

    if eval_options:
        from evals.cli import add_eval_parser

        add_eval_parser(sub, commands["eval"])
    else:  # listed in `rag --help`; its options, and the evals package, load only for `rag eval`
        sub.add_parser("eval", help="measure answer quality across ablations (`rag eval --help` for options)")
    return parser


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "index": cmd_index,
    "ask": cmd_ask,
    "chat": cmd_chat,
    "serve": cmd_serve,
    "feeds": cmd_feeds,
    "export": cmd_export,
    "import": cmd_import,
    "migrate": cmd_migrate,
    "eval": cmd_eval,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(COMMANDS, eval_options=argv[:1] == ["eval"])
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # a usage error (already printed, one line) or --help
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return args.func(args)
    except RagError as exc:
        print(f"rag: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("rag: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
