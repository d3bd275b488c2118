"""A local S3-compatible server for tests: moto in server mode on 127.0.0.1, an ephemeral
port, fake credentials. Nothing here touches the internet.

`s3_server` (a fixture; import it into a test module) starts the server, points the
standard AWS environment (`AWS_ENDPOINT_URL`, keys, region) at it for the test, and yields
a `LocalS3` with a boto3 client and the endpoint URL. Subprocesses inherit the env.
"""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import lz4.frame
import orjson
import pytest
from moto.server import ThreadedMotoServer

FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing-key-id",
    "AWS_SECRET_ACCESS_KEY": "testing-secret",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass(frozen=True)
class LocalS3:
    endpoint: str
    client: Any  # boto3 S3 client

    def make_bucket(self, name: str) -> str:
        self.client.create_bucket(Bucket=name)
        return name


@pytest.fixture
def s3_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalS3]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    _reset(endpoint)  # moto keeps its buckets in process-global state: start empty
    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    try:
        yield LocalS3(endpoint, boto3.client("s3", endpoint_url=endpoint))
    finally:
        _reset(endpoint)
        server.stop()


def _reset(endpoint: str) -> None:
    req = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()


_SRC_HOUR = datetime(2024, 1, 1, 12, tzinfo=UTC)


def rekeyed_archive_hour(src: Path, coin: str, hour: datetime,
                         limit: int | None = None) -> bytes:
    """The shared archive hour (BTC, 2024-01-01 12 UTC) as if it were `coin` at `hour`:
    capture and exchange times shifted, coin renamed, LZ4 frame like the real objects.
    `limit` keeps only the first lines (faster tests)."""
    shift = hour - _SRC_HOUR
    shift_ms = int(shift.total_seconds() * 1000)
    out = []
    for n, line in enumerate(lz4.frame.decompress(src.read_bytes()).splitlines()):
        if limit is not None and n >= limit:
            break
        rec = orjson.loads(line)
        stamp, _, frac = rec["time"].partition(".")
        moved = datetime.fromisoformat(stamp) + shift
        rec["time"] = f"{moved:%Y-%m-%dT%H:%M:%S}.{frac}" if frac else f"{moved:%Y-%m-%dT%H:%M:%S}"
        rec["raw"]["data"]["coin"] = coin
        rec["raw"]["data"]["time"] += shift_ms
        out.append(orjson.dumps(rec))
    return bytes(lz4.frame.compress(b"\n".join(out) + b"\n"))


def seed_archive(s3: LocalS3, src: Path, coins: list[str], hours: list[datetime], *,
                 limit: int | None = None, bucket: str = "hyperliquid-archive"
                 ) -> dict[str, bytes]:
    """Put re-keyed archive hours under the real key layout; returns key -> bytes."""
    if bucket not in [b["Name"] for b in s3.client.list_buckets().get("Buckets", [])]:
        s3.make_bucket(bucket)
    objects = {}
    for hour in hours:
        for coin in coins:
            key = f"market_data/{hour:%Y%m%d}/{hour.hour}/l2Book/{coin}.lz4"
            objects[key] = rekeyed_archive_hour(src, coin, hour, limit)
            s3.client.put_object(Bucket=bucket, Key=key, Body=objects[key])
    return objects
