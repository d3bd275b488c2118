"""A local S3-compatible server for tests: moto in server mode on 127.0.0.1, an ephemeral
port, fake credentials. Nothing here touches the internet.

`s3_server` (a fixture; import it into a test module) starts the server, points the
standard AWS environment (`AWS_ENDPOINT_URL`, keys, region) at it for the test, and yields
a `LocalS3` with a boto3 client and the endpoint URL. Subprocesses inherit the env.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
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
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
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
        server.stop()
