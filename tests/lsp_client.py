"""A small JSON-RPC client of the Language Server Protocol over a subprocess's stdio, for the
tests of ``titlerules lsp``: requests wait for their response, notifications are queued."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, BinaryIO

SRC = Path(__file__).resolve().parents[1] / "src"
TIMEOUT = 60.0


class LspClient:
    def __init__(self, cwd: Path) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "titlerules.cli", "lsp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._in: BinaryIO = self.process.stdin
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.notifications: list[dict[str, Any]] = []
        self._next_id = 0
        self._reader = threading.Thread(target=self._read, args=(self.process.stdout,))
        self._reader.daemon = True
        self._reader.start()

    def _read(self, stream: BinaryIO) -> None:
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self._messages.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            assert length is not None
            self._messages.put(json.loads(stream.read(length)))

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        self._in.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self._in.flush()

    def _next(self) -> dict[str, Any]:
        message = self._messages.get(timeout=TIMEOUT)
        if message is None:
            stderr = self.process.stderr.read().decode() if self.process.stderr else ""
            raise AssertionError(f"the server stopped:\n{stderr}")
        return message

    def request(self, method: str, params: Any) -> Any:
        self._next_id += 1
        ident = self._next_id
        self._send({"id": ident, "method": method, "params": params})
        while True:
            message = self._next()
            if message.get("id") == ident and "method" not in message:
                assert "error" not in message, message["error"]
                return message.get("result")
            if "method" in message and "id" in message:  # a request of the server's
                self._send({"id": message["id"], "result": None})
            elif "method" in message:
                self.notifications.append(message)

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def wait_for(self, method: str, uri: str, version: int | None = None) -> dict[str, Any]:
        """The next notification ``method`` about ``uri`` (for ``version`` if given),
        from those already received first."""
        while True:
            for index, message in enumerate(self.notifications):
                params = message["params"]
                if message["method"] == method and params.get("uri") == uri:
                    if version is None or params.get("version") == version:
                        del self.notifications[index]
                        return dict(params)
            message = self._next()
            if "method" in message and "id" not in message:
                self.notifications.append(message)

    def close(self) -> int:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            return self.process.wait(timeout=TIMEOUT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()
