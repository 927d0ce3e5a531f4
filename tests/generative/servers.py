"""Real LLM peers on loopback ports: llama-cpp-python's OpenAI-compatible server, and a listener that never answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from evals.llm_models import smollm2
from evals.load_test import stop
from tests.ui.server import free_port


@contextmanager
def llama_server(model=None) -> Iterator[str]:
    """``python -m llama_cpp.server`` with a real GGUF model (SmolLM2-135M by default); yields its /v1 URL."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model or smollm2()), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", "4096", "--n_threads", "2", "--seed", "0"]  # fmt: skip
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115  (a pipe would fill with llama.cpp's log and stall it)
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"llama_cpp.server exited {process.returncode}: {log.read()[-2000:]}")
            try:
                urllib.request.urlopen(f"{url}/models", timeout=2).close()
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("llama_cpp.server did not start within 120 s")
        yield url
    finally:
        stop(process)
        log.close()


class SilentServer:
    """Accepts connections and never answers: a model server that hangs. ``close()`` makes the port refuse."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.port = self.socket.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self) -> None:
        self.socket.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone leaves it listening
        self.socket.close()
        for connection in self.held:
            connection.close()


class ScriptedServer:
    """An OpenAI-compatible chat endpoint that always replies ``reply`` (streamed word by word when asked): the
    model's words are then known, so a test can require what verification must make of them."""

    def __init__(self, reply: str) -> None:
        import json
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        def chunk(delta: dict, finish: str | None = None) -> bytes:
            body = {"id": "scripted", "object": "chat.completion.chunk", "created": 0, "model": "scripted",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}  # fmt: skip
            return f"data: {json.dumps(body)}\n\n".encode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802  (http.server's name)
                request = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
                if not request.get("stream"):
                    body = json.dumps({
                        "id": "scripted", "object": "chat.completion", "created": 0, "model": "scripted",
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": reply}}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    }).encode()  # fmt: skip
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                self.wfile.write(chunk({"role": "assistant", "content": ""}))
                for word in reply.split(" "):
                    self.wfile.write(chunk({"content": word + " "}))
                self.wfile.write(chunk({}, "stop") + b"data: [DONE]\n\n")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
