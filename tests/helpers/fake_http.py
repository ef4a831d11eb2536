"""Machinery shared by the fake OpenAI and Gemini servers: a ThreadingHTTPServer on 127.0.0.1
(port 0) in a thread, a record of every request, per-request latency and a fault schedule
(429 with Retry-After, 5xx, slow answers that trip client timeouts, malformed bodies, dropped
connections), streamed (chunked) bodies sent piece by piece after set pauses, and a count of
simultaneous requests. Protocol specifics live in the subclasses (fake_openai.py, fake_gemini.py)."""

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Received:
    method: str
    path: str  # without the query string
    query: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    index: int  # order of arrival, from 0

    @cached_property
    def json(self) -> Any:  # parsed once: a request with minutes of audio is megabytes of JSON
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # bytes are sent as is; anything else as JSON
    headers: dict[str, str] = field(default_factory=dict)
    # a streamed body instead: (pause before the piece in seconds, piece) sent with chunked encoding
    events: list[tuple[float, bytes]] | None = None

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body if self.body is not None else {}).encode()


@dataclass(frozen=True)
class Fault:
    """What to do instead of (or before) answering normally."""

    kind: str  # "status" | "slow" | "malformed" | "drop" | "cut"
    status: int = 500
    retry_after: str | None = None
    delay_s: float = 0.0
    body: bytes = b'{"choices": [ {"oops"'
    pieces: int = 0  # "cut": a streamed answer stops after this many pieces, the connection dropped


def rate_limited(retry_after: str | None = "0") -> Fault:
    return Fault("status", status=429, retry_after=retry_after)


def server_error(status: int = 500) -> Fault:
    return Fault("status", status=status)


def client_error(status: int = 400) -> Fault:
    return Fault("status", status=status)


def slow(delay_s: float) -> Fault:
    """Answer normally but only after `delay_s` (longer than the client's timeout -> a timeout)."""
    return Fault("slow", delay_s=delay_s)


def malformed(body: bytes = b'{"choices": [ {"oops"') -> Fault:
    """Status 200 with a body that is not the protocol's JSON."""
    return Fault("malformed", status=200, body=body)


def dropped() -> Fault:
    """Close the connection without any response."""
    return Fault("drop")


def cut_stream(pieces: int) -> Fault:
    """A streamed answer that breaks off after `pieces` pieces (the connection closes mid-body)."""
    return Fault("cut", pieces=pieces)


FaultRule = Callable[[Received], "Fault | None"]
Pause = float | Callable[[Received], float]


def pause_for(value: Pause, req: Received) -> float:
    return value(req) if callable(value) else value


def words(answer: str) -> list[str]:
    """The streamed pieces of an answer: each word with the whitespace before it; they join back exactly."""
    found = re.findall(r"\s*\S+", answer)
    tail = answer[len("".join(found)):]
    if tail and found:
        found[-1] += tail
    elif tail:
        found = [tail]
    return found


def paced(events: list[bytes], first_s: float, interval_s: float) -> list[tuple[float, bytes]]:
    """A streamed body's pieces: the first after `first_s`, each next one `interval_s` after the previous."""
    return [(first_s if n == 0 else interval_s, e) for n, e in enumerate(events)]


def canned(*answers: Any) -> Callable[[Received], Any]:
    """A responder that gives `answers` in order of arrival, then keeps repeating the last one."""
    lock = threading.Lock()
    state = {"n": 0}

    def responder(_: Received) -> Any:
        with lock:
            n = state["n"]
            state["n"] += 1
        return answers[min(n, len(answers) - 1)]

    return responder


def schedule(faults: Sequence[Fault | None]) -> FaultRule:
    """The n-th faultable request gets faults[n]; requests after the list are answered normally."""
    lock = threading.Lock()
    state = {"n": 0}

    def rule(_: Received) -> Fault | None:
        with lock:
            n = state["n"]
            state["n"] += 1
        return faults[n] if n < len(faults) else None

    return rule


def randomly(mix: Sequence[tuple[float, Fault]], seed: int = 0) -> FaultRule:
    """Each faultable request independently gets one of the faults with the given probabilities."""
    rng = random.Random(seed)
    lock = threading.Lock()

    def rule(_: Received) -> Fault | None:
        with lock:
            x = rng.random()
        for p, fault in mix:
            if x < p:
                return fault
            x -= p
        return None

    return rule


class FakeServer:
    """Base class: subclasses implement `route(req) -> Reply` and `error_body(status, message)`.

    `faults` decides per request (only for paths `faultable(req)` accepts) whether to misbehave;
    `latency_s` (a number or a function of the request) delays every answer."""

    def __init__(self, faults: FaultRule | Sequence[Fault | None] | None = None,
                 latency_s: float | Callable[[Received], float] = 0.0) -> None:
        self.faults: FaultRule | None = schedule(faults) if isinstance(faults, (list, tuple)) else faults  # type: ignore[assignment]
        self.latency_s = latency_s
        self.requests: list[Received] = []
        self.injected: list[tuple[int, Fault]] = []  # (request index, fault) actually applied
        self.in_flight = 0  # faultable requests being answered right now
        self.peak_in_flight = 0
        self.in_flight_at_arrival: list[int] = []  # per faultable request, counting itself
        self._open: set[int] = set()  # indexes of counted requests not yet released
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- protocol hooks -----------------------------------------------------------------------
    def route(self, req: Received) -> Reply:
        raise NotImplementedError

    def error_body(self, status: int, message: str) -> Any:
        return {"error": {"code": status, "message": message}}

    def faultable(self, req: Received) -> bool:
        return True

    def answer(self, req: Received, limit: Any, cut_reason: str) -> Reply | tuple[str, int, str | None]:
        """The responder's answer: a Reply or whole JSON dict is sent as is; text is cut to `limit` words
        (the fake's token count) and returned as (text, tokens, cut_reason or None)."""
        answer = self.responder(req)  # type: ignore[attr-defined]
        if isinstance(answer, Reply):
            return answer
        if isinstance(answer, dict):
            return Reply(200, answer)
        words = answer.split()
        if limit is not None and len(words) > int(limit):
            return " ".join(words[: int(limit)]), int(limit), cut_reason
        return answer, len(words), None

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                server._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256  # the default 5 refuses bursts of concurrent clients

        self._stop.clear()
        self._httpd = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()  # wakes handlers sleeping in a slow fault
        assert self._httpd is not None and self._thread is not None
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # -- request handling ---------------------------------------------------------------------
    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        parts = urlsplit(h.path)
        with self._lock:
            req = Received(h.command, parts.path, parts.query, {k.lower(): v for k, v in h.headers.items()},
                           body, len(self.requests))
            self.requests.append(req)
        if self.faultable(req):
            with self._lock:
                self._open.add(req.index)
                self.in_flight += 1
                self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
                self.in_flight_at_arrival.append(self.in_flight)
        try:
            self._answer(req, h)
        finally:
            self._release(req)

    def _release(self, req: Received) -> None:
        """The request stops counting as in flight: called just before its last bytes are written, so a
        client that sends its next request after reading them can never be counted twice."""
        with self._lock:
            if req.index in self._open:
                self._open.discard(req.index)
                self.in_flight -= 1

    def _answer(self, req: Received, h: BaseHTTPRequestHandler) -> None:
        latency = self.latency_s(req) if callable(self.latency_s) else self.latency_s
        if latency and self._stop.wait(latency):
            return
        fault = self.faults(req) if (self.faults is not None and self.faultable(req)) else None
        if fault is not None:
            with self._lock:
                self.injected.append((req.index, fault))
        try:
            reply = self._apply(fault, req, h)
            if reply is None:
                return
            if reply.events is not None:
                self._stream(reply, h, req, cut=fault.pieces if fault is not None and fault.kind == "cut" else None)
                return
            data = reply.encoded()
            h.send_response(reply.status)
            headers = {"Content-Type": "application/json", **reply.headers}
            for k, v in headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            self._release(req)
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            h.close_connection = True

    def _stream(self, reply: Reply, h: BaseHTTPRequestHandler, req: Received, cut: int | None = None) -> None:
        """Headers now, then each piece after its pause, flushed at once (chunked transfer encoding).
        With `cut`, the connection is dropped after that many pieces, without the closing chunk."""
        h.send_response(reply.status)
        for k, v in {"Content-Type": "text/event-stream", "Cache-Control": "no-cache", **reply.headers}.items():
            h.send_header(k, v)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        h.wfile.flush()
        events = reply.events or []
        for n, (pause, piece) in enumerate(events):
            if (pause and self._stop.wait(pause)) or n == cut:
                h.close_connection = True
                return
            if n == len(events) - 1:
                self._release(req)
            h.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            h.wfile.flush()
        h.wfile.write(b"0\r\n\r\n")
        h.wfile.flush()

    def _apply(self, fault: Fault | None, req: Received, h: BaseHTTPRequestHandler) -> Reply | None:
        if fault is None:
            return self.route(req)
        if fault.kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            return Reply(fault.status, self.error_body(fault.status, "injected fault"), headers)
        if fault.kind == "cut":
            return self.route(req)
        if fault.kind == "slow":
            if self._stop.wait(fault.delay_s):
                return None
            return self.route(req)
        if fault.kind == "malformed":
            return Reply(fault.status, fault.body)
        if fault.kind == "drop":
            h.close_connection = True
            return None
        raise ValueError(f"unknown fault kind {fault.kind!r}")

    # -- for assertions -----------------------------------------------------------------------
    def received(self, method: str | None = None, path_contains: str = "") -> list[Received]:
        with self._lock:
            return [r for r in self.requests
                    if (method is None or r.method == method) and path_contains in r.path]
