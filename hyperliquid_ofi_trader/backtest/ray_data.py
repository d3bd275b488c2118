"""Data for remote workers: a URI every node can read, staged onto the worker's own disk.

A Ray worker never receives a path on the driver's disk (on a real cluster that path does
not exist on the other nodes). It receives a URI and calls `stage(uri)`:

- `s3://bucket/key` of one object: the object, downloaded to the worker's cache;
- `s3://bucket/prefix/` (or a prefix with no object of that exact name): every object
  under it, downloaded with their relative paths (a catalog or a folder of recordings);
- `file:///abs/path` or an absolute path: used in place. Only right when every node
  mounts the same shared filesystem at that path (NFS, a cluster volume).

S3 goes through boto3's standard credential chain and honours `AWS_ENDPOINT_URL` (MinIO,
a local moto server). The cache folder is `$HLOFI_RAY_CACHE` or `<tmp>/hlofi-ray-cache`;
one sub-folder per URI (named by its hash), filled in a private folder and renamed into
place, so concurrent tasks on one node download once and never see half a dataset.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlparse

from hyperliquid_ofi_trader.errors import OurBugError

CACHE_ENV: Final = "HLOFI_RAY_CACHE"
_DONE_MARK: Final = ".complete"


class DataUriError(OurBugError):
    """The data URI is malformed, unreachable or empty; the message says which."""


def is_remote_uri(text: str) -> bool:
    return text.startswith("s3://")


def data_uri(text: str) -> str:
    """Normalise the user's --data for remote workers: s3:// as given, a local path as
    an absolute file:// URI (meaningful only on a shared filesystem)."""
    if is_remote_uri(text):
        parse_s3(text)  # malformed -> DataUriError now, on the driver
        return text
    if text.startswith("file://"):
        return text
    return Path(text).expanduser().resolve().as_uri()


def parse_s3(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise DataUriError(f"not an s3://bucket/key URI: {uri!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def stage(uri: str, cache_root: Path | None = None) -> Path:
    """A local path holding the data of `uri` (see the module docstring)."""
    if uri.startswith("file://"):
        return _local(Path(urlparse(uri).path))
    if not is_remote_uri(uri):
        return _local(Path(uri))
    root = cache_root or default_cache_root()
    target = root / hashlib.sha256(uri.encode()).hexdigest()[:24]
    if (target / _DONE_MARK).exists():
        return _staged_path(target)
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
    try:
        _download(uri, work)
        (work / _DONE_MARK).write_text(uri, encoding="utf-8")
        try:
            work.rename(target)
        except OSError:  # another task on this node staged it first: use theirs
            if not (target / _DONE_MARK).exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _staged_path(target)


def default_cache_root() -> Path:
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path(tempfile.gettempdir()) / "hlofi-ray-cache"


def _local(path: Path) -> Path:
    if not path.exists():
        raise DataUriError(f"{path} does not exist on this node: a local path works only "
                           "when every node mounts it; use an s3:// URI otherwise")
    return path


def _staged_path(target: Path) -> Path:
    """The single object when the URI named one, else the folder."""
    single = target / "object"
    return next(single.iterdir()) if single.is_dir() else target / "tree"


def _download(uri: str, work: Path) -> None:
    bucket, key = parse_s3(uri)
    client = s3_client()
    try:
        if key and not key.endswith("/") and _object_exists(client, bucket, key):
            dest = work / "object" / Path(key).name
            dest.parent.mkdir(parents=True)
            client.download_file(bucket, key, str(dest))
            return
        prefix = key if not key or key.endswith("/") else key + "/"
        count = _download_prefix(client, bucket, prefix, work / "tree")
    except DataUriError:
        raise
    except Exception as exc:  # botocore's errors: credentials, endpoint, permissions
        raise DataUriError(f"cannot read {uri}: {type(exc).__name__}: {exc}") from None
    if count == 0:
        raise DataUriError(f"no objects at {uri}")


def _object_exists(client: Any, bucket: str, key: str) -> bool:
    try:
        client.head_object(Bucket=bucket, Key=key)
    except Exception as exc:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def _download_prefix(client: Any, bucket: str, prefix: str, dest: Path) -> int:
    count = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                 Prefix=prefix):
        for obj in page.get("Contents", ()):
            rel = obj["Key"][len(prefix):]
            if not rel or rel.endswith("/") or ".." in Path(rel).parts:
                continue  # folder markers; keys that would escape the cache folder
            path = dest / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(bucket, obj["Key"], str(path))
            count += 1
    return count


def s3_client() -> Any:
    try:
        boto3 = importlib.import_module("boto3")
    except ImportError:
        raise DataUriError("reading s3:// data needs boto3: pip install boto3") from None
    return boto3.client("s3")
