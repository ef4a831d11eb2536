"""FakeGemini plus the Gemini Batch API (inline requests) as google-genai 3.4 calls it:

  POST /{v}/models/{model}:batchGenerateContent   body {"batch": {"displayName", "inputConfig":
                                                   {"requests": {"requests": [{"request", "metadata"}]}}}}
  GET  /{v}/batches/{id}                          {"name", "metadata": {"state", "output": {"inlinedResponses":
                                                   {"inlinedResponses": [{"response" | "error", "metadata"}]}}}}

A job answers BATCH_STATE_RUNNING for `polls_before_done` GETs, then SUCCEEDED with one answer per
request, made by the same responder as generateContent (items in `fail_items` get an error instead).
`final_state` can make jobs end FAILED/CANCELLED/EXPIRED."""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from tests.helpers.fake_gemini import FakeGemini, _rfc3339
from tests.helpers.fake_http import Received, Reply

_BATCH_CREATE = re.compile(r"^/(v1\w*)/models/([^/:]+):batchGenerateContent$")
_BATCH = re.compile(r"^/(v1\w*)/batches/([^/:]+)$")


@dataclass
class FakeBatch:
    name: str
    model: str
    display_name: str
    requests: list[dict[str, Any]]
    created: float
    polls: int = 0


class FakeGeminiBatch(FakeGemini):
    def __init__(self, *args: Any, polls_before_done: int = 1, fail_items: set[int] | None = None,
                 final_state: str = "BATCH_STATE_SUCCEEDED", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.polls_before_done = polls_before_done
        self.fail_items = fail_items or set()
        self.final_state = final_state
        self.batches: dict[str, FakeBatch] = {}
        self._batch_ids = itertools.count(1)
        self._batch_lock = threading.Lock()

    def route(self, req: Received) -> Reply:
        if req.method == "POST" and (m := _BATCH_CREATE.match(req.path)):
            return self._create(req, m.group(2))
        if req.method == "GET" and (m := _BATCH.match(req.path)):
            return self._get(f"batches/{m.group(2)}")
        return super().route(req)

    def _create(self, req: Received, model: str) -> Reply:
        if self.api_key is not None and req.headers.get("x-goog-api-key") != self.api_key:
            return Reply(400, self.error_body(400, "API key not valid."))
        batch = (req.json or {}).get("batch", {})
        requests = batch.get("inputConfig", {}).get("requests", {}).get("requests")
        if not isinstance(requests, list) or not requests:
            return Reply(400, self.error_body(400, "batch.inputConfig.requests.requests is required"))
        with self._batch_lock:
            name = f"batches/fakebatch{next(self._batch_ids)}"
            self.batches[name] = FakeBatch(name, model, batch.get("displayName", ""), requests, time.time())
        return Reply(200, self._resource(self.batches[name], "BATCH_STATE_PENDING"))

    def _get(self, name: str) -> Reply:
        with self._batch_lock:
            job = self.batches.get(name)
            if job is None:
                return Reply(404, self.error_body(404, f"batch {name} not found"))
            job.polls += 1
            done = job.polls > self.polls_before_done
        if not done:
            return Reply(200, self._resource(job, "BATCH_STATE_RUNNING"))
        return Reply(200, self._resource(job, self.final_state, self._outputs(job) if
                                         self.final_state == "BATCH_STATE_SUCCEEDED" else None))

    def _outputs(self, job: FakeBatch) -> list[dict[str, Any]]:
        out = []
        for i, item in enumerate(job.requests):
            meta = item.get("metadata")
            if i in self.fail_items:
                out.append({"error": {"code": 500, "message": "injected item failure"}, "metadata": meta})
                continue
            inner = Received("POST", f"/v1beta/models/{job.model}:generateContent", "", {},
                             json.dumps(item.get("request", {})).encode(), -1)
            reply = self._generate(inner, job.model)
            body = json.loads(reply.encoded())
            out.append({"response": body, "metadata": meta} if reply.status == 200 else
                       {"error": body.get("error", {}), "metadata": meta})
        return out

    def _resource(self, job: FakeBatch, state: str, outputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
            "name": job.name, "model": f"models/{job.model}", "displayName": job.display_name, "state": state,
            "createTime": _rfc3339(job.created), "updateTime": _rfc3339(time.time())}
        if outputs is not None:
            metadata["output"] = {"inlinedResponses": {"inlinedResponses": outputs}}
            metadata["endTime"] = _rfc3339(time.time())
        return {"name": job.name, "metadata": metadata, "done": state != "BATCH_STATE_RUNNING" and
                state != "BATCH_STATE_PENDING"}
