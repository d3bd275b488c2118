"""Where a catalog lives: a local folder or an `s3://bucket/prefix` URI, as one pyarrow
filesystem plus a root path inside it.

pyarrow's own S3 filesystem (already a dependency through Parquet) is used rather than
fsspec/s3fs: one fewer stack of dependencies, the Parquet reader and writer use it natively,
and it honours the standard AWS configuration chain, including `AWS_ENDPOINT_URL` (how the
tests point it at a local S3 server and how a user points it at MinIO or R2).
"""

from __future__ import annotations

import os
import posixpath
import threading
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.fs as pafs  # type: ignore[import-untyped]

from hyperliquid_ofi_trader.errors import OurBugError


class CatalogLocationError(OurBugError):
    """The catalog URI cannot be opened (bad scheme, no bucket, unreachable store)."""


@dataclass(frozen=True, slots=True)
class CatalogLocation:
    """A catalog's filesystem and root. `uri` is what the user typed (for messages)."""

    uri: str
    fs: pafs.FileSystem
    root: str

    @property
    def is_remote(self) -> bool:
        return self.uri.startswith("s3://")

    def path(self, *parts: str) -> str:
        return posixpath.join(self.root, *parts)

    def exists(self, path: str) -> bool:
        return bool(self.fs.get_file_info(path).type != pafs.FileType.NotFound)

    def read_bytes(self, path: str) -> bytes:
        with self.fs.open_input_stream(path) as fh:
            data: bytes = fh.read()
        return data

    def write_bytes(self, path: str, data: bytes) -> None:
        """Write atomically: S3 PUTs are; locally a temporary name is renamed over."""
        self.fs.create_dir(posixpath.dirname(path), recursive=True)
        if self.is_remote:
            with self.fs.open_output_stream(path) as fh:
                fh.write(data)
            return
        tmp = f"{path}.tmp-{os.getpid()}-{threading.get_ident()}"
        with self.fs.open_output_stream(tmp) as fh:
            fh.write(data)
        self.fs.move(tmp, path)

    def list_files(self, directory: str) -> list[str]:
        """Paths of the files directly in `directory` (empty when it does not exist)."""
        try:
            infos = self.fs.get_file_info(pafs.FileSelector(directory, allow_not_found=True))
        except OSError as exc:
            raise CatalogLocationError(f"{self.uri}: cannot list {directory}: {exc}") from exc
        return sorted(i.path for i in infos if i.type == pafs.FileType.File)


def _s3_filesystem() -> pafs.S3FileSystem:
    # pyarrow reads AWS_ENDPOINT_URL itself (Arrow >= 15); passing it explicitly as well
    # keeps older behaviour and lets plain-http local servers work.
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        return pafs.S3FileSystem()
    scheme, _, rest = endpoint.partition("://")
    if not rest:
        scheme, rest = "https", endpoint
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return pafs.S3FileSystem(endpoint_override=rest.rstrip("/"), scheme=scheme,
                             region=region or "us-east-1")


def open_location(uri: str | Path) -> CatalogLocation:
    """A local path (created on first write) or `s3://bucket/prefix`."""
    text = str(uri)
    if text.startswith("s3://"):
        bucket_prefix = text[len("s3://"):].strip("/")
        if not bucket_prefix:
            raise CatalogLocationError(f"{text}: an s3:// catalog needs a bucket name")
        try:
            fs = _s3_filesystem()
            bucket = fs.get_file_info(bucket_prefix.split("/", 1)[0])
        except (OSError, pa.ArrowInvalid) as exc:
            raise CatalogLocationError(f"{text}: cannot open S3: {exc}") from exc
        if bucket.type == pafs.FileType.NotFound:
            raise CatalogLocationError(
                f"{text}: bucket {bucket.path!r} does not exist (or these AWS credentials "
                "cannot see it); create it first")
        return CatalogLocation(text, fs, bucket_prefix)
    if "://" in text:
        raise CatalogLocationError(f"{text}: a catalog is a local folder or an s3:// URI")
    return CatalogLocation(text, pafs.LocalFileSystem(), str(Path(text).absolute()))
