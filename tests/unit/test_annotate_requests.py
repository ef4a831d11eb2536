"""Hostile requests to `seabench annotate`: each gets a 400 at once, never an exception or a hung thread."""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import pytest

from seabench.leaderboard.annotate import AnnotationServer
from tests.unit.test_leaderboard_annotate import _request, server  # noqa: F401 - the server fixture


@pytest.mark.parametrize("rater", ["", "   ", "\t\n"])
def test_a_blank_rater_name_is_refused(server: AnnotationServer, tmp_path: Path, rater: str) -> None:  # noqa: F811
    status, body = _request(server, "/api/rate", {"index": 0, "score": 3, "rater": rater})
    assert status == 400 and (tmp_path / "ratings.jsonl").read_text() == ""


@pytest.mark.parametrize("length", ["abc", "-5", "", "1e3", "+12"])
def test_a_bad_content_length_is_a_400_not_a_hang(server: AnnotationServer, tmp_path: Path,  # noqa: F811
                                                  length: str) -> None:
    body = json.dumps({"index": 0, "score": 3, "rater": "a"}).encode()
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), int(port), timeout=5)  # a hung handler would time this out
    conn.putrequest("POST", "/api/rate", skip_accept_encoding=True)
    conn.putheader("Content-Type", "application/json")
    if length:
        conn.putheader("Content-Length", length)
    conn.endheaders()
    conn.send(body)
    response = conn.getresponse()
    assert response.status == 400 and b"Content-Length" in response.read()
    conn.close()
    assert (tmp_path / "ratings.jsonl").read_text() == ""
    assert _request(server, "/api/rate", {"index": 0, "score": 3, "rater": "a"})[0] == 200  # still serving
