"""Fetch Hyperliquid's public archive (S3 bucket `hyperliquid-archive`) into the catalog.

Keys (Hyperliquid docs, "Historical data"):
    market_data/<YYYYMMDD>/<H>/l2Book/<COIN>.lz4    one hour of l2Book snapshots (H: 0..23,
                                                    not zero-padded)
    asset_ctxs/<YYYYMMDD>.csv.lz4                   one day of asset contexts, all coins

The bucket is requester-pays: every request carries `RequestPayer='requester'` and is
billed to the caller's AWS account, whose credentials come from the standard boto3 chain
(env, profile, SSO, instance role). boto3 honours `AWS_ENDPOINT_URL`, which is how the
tests point it at a local S3 server.

Per object, in a thread pool: HEAD (size, ETag; a 404 is a missing hour, reported and
skipped) → skip when the catalog already holds that key at that ETag with all its parts
present → download into the cache, resuming a partial `.part` file with a Range request
→ verify size and MD5 against the ETag (single-part uploads) → record the SHA-256 → ingest.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import botocore.exceptions

from hyperliquid_ofi_trader.catalog.asset_ctxs import asset_ctxs_present, write_asset_ctxs
from hyperliquid_ofi_trader.catalog.ingest import ingest_recording
from hyperliquid_ofi_trader.catalog.location import CatalogLocation
from hyperliquid_ofi_trader.catalog.manifest import SourceEntry, parts_present
from hyperliquid_ofi_trader.catalog.reader import load_sources
from hyperliquid_ofi_trader.data.replay_sources import ReplaySourceError
from hyperliquid_ofi_trader.errors import OurBugError

BUCKET = "hyperliquid-archive"
_CHUNK = 1 << 20
ProgressFn = Callable[[str, int], None]  # (event, amount): "total_bytes"|"bytes"|"object"


class ArchiveError(OurBugError):
    """The fetch cannot run at all (credentials, access denied, unreachable endpoint)."""


class MissingCredentialsError(ArchiveError):
    pass


@dataclass(frozen=True, slots=True)
class ArchiveObject:
    """One object to fetch: an l2Book hour of a coin, or a day of asset contexts."""

    key: str
    coin: str | None  # None for asset contexts
    hour: datetime  # the hour (l2Book) or the day's midnight (asset contexts)

    @property
    def label(self) -> str:
        if self.coin is None:
            return f"asset contexts {self.hour:%Y-%m-%d}"
        return f"{self.coin} {self.hour:%Y-%m-%dT%H}"


def l2book_key(coin: str, hour: datetime) -> str:
    return f"market_data/{hour:%Y%m%d}/{hour.hour}/l2Book/{coin}.lz4"


def asset_ctx_key(day: datetime) -> str:
    return f"asset_ctxs/{day:%Y%m%d}.csv.lz4"


def plan(coins: list[str], hours: list[datetime], *, asset_ctxs: bool) -> list[ArchiveObject]:
    objects = [ArchiveObject(l2book_key(c, h), c, h) for h in hours for c in coins]
    if asset_ctxs:
        days = dict.fromkeys(h.replace(hour=0) for h in hours)
        objects += [ArchiveObject(asset_ctx_key(d), None, d) for d in days]
    return objects


@dataclass(slots=True)
class FetchReport:
    fetched: list[ArchiveObject] = field(default_factory=list)
    skipped: list[ArchiveObject] = field(default_factory=list)  # already in the catalog
    missing: list[ArchiveObject] = field(default_factory=list)  # not in the archive
    denied: list[ArchiveObject] = field(default_factory=list)  # 403: missing or forbidden
    failed: list[tuple[ArchiveObject, str]] = field(default_factory=list)
    bytes_downloaded: int = 0
    frames: int = 0

    @property
    def ok(self) -> bool:
        return not self.missing and not self.denied and not self.failed


def make_client(workers: int) -> Any:
    """An S3 client from the standard chain; fails clearly when there are no credentials."""
    session = boto3.session.Session()
    if session.get_credentials() is None:
        raise MissingCredentialsError(
            "no AWS credentials found: the hyperliquid-archive bucket is requester-pays, so "
            "downloads are billed to your AWS account. Set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (any standard boto3 credential source).")
    config = botocore.config.Config(retries={"max_attempts": 5, "mode": "standard"},
                                    max_pool_connections=max(10, workers))
    return session.client("s3", config=config)


class _NotInArchiveError(Exception):
    pass


class _DeniedError(Exception):
    pass


@dataclass
class _Fetcher:
    client: Any
    location: CatalogLocation
    cache: Path
    bucket: str
    progress: ProgressFn
    known: dict[str, SourceEntry]
    lock: threading.Lock = field(default_factory=threading.Lock)

    def head(self, obj: ArchiveObject) -> tuple[int, str]:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=obj.key,
                                           RequestPayer="requester")
        except botocore.exceptions.ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchKey", "NotFound"):
                raise _NotInArchiveError(obj.key) from None
            if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"):
                raise ArchiveError(f"S3 refused the AWS credentials ({code}): check them; "
                                   "the bucket is requester-pays") from None
            if code in ("403", "AccessDenied", "Forbidden"):
                # Without list permission S3 answers a missing key with 403, not 404.
                raise _DeniedError(obj.key) from None
            raise
        return int(head["ContentLength"]), str(head["ETag"]).strip('"')

    def cached_path(self, obj: ArchiveObject) -> Path:
        return self.cache / self.bucket / obj.key

    def download(self, obj: ArchiveObject, size: int, etag: str) -> tuple[Path, str, int]:
        """The verified local copy, its SHA-256 and the bytes downloaded for it now."""
        final = self.cached_path(obj)
        if final.exists() and final.stat().st_size == size:
            sha, md5 = _digests(final)
            if _etag_matches(etag, md5):
                self.progress("bytes", size)  # the bar counts bytes in hand, not fetched
                return final, sha, 0
        partial = final.with_name(final.name + ".part")
        partial.parent.mkdir(parents=True, exist_ok=True)
        offset = partial.stat().st_size if partial.exists() else 0
        if offset > size:
            partial.unlink()
            offset = 0
        self.progress("bytes", offset)
        got = self._get(obj, partial, offset) if offset < size else 0
        sha, md5 = _digests(partial)
        if partial.stat().st_size != size or not _etag_matches(etag, md5):
            partial.unlink()  # the next run starts this object afresh
            raise ValueError(f"checksum mismatch for {obj.key} (ETag {etag}, MD5 {md5})")
        partial.replace(final)
        return final, sha, got

    def _get(self, obj: ArchiveObject, partial: Path, offset: int) -> int:
        """Append the object from `offset` on (a Range request resumes a partial file)."""
        extra = {"Range": f"bytes={offset}-"} if offset else {}
        resp = self.client.get_object(Bucket=self.bucket, Key=obj.key,
                                      RequestPayer="requester", **extra)
        body, got = resp["Body"], 0
        with partial.open("ab") as fh:
            while chunk := body.read(_CHUNK):
                fh.write(chunk)
                got += len(chunk)
                self.progress("bytes", len(chunk))
        return got

    def fetch_one(self, obj: ArchiveObject, report: FetchReport) -> None:
        size, etag = self.head(obj)
        self.progress("total_bytes", size)
        origin = f"s3://{self.bucket}/{obj.key}"
        if self._already_in_catalog(obj, origin, etag):
            self.progress("bytes", size)
            with self.lock:
                report.skipped.append(obj)
            return
        path, sha, got = self.download(obj, size, etag)
        frames = self._ingest(obj, path, origin, etag, sha)
        with self.lock:
            report.fetched.append(obj)
            report.bytes_downloaded += got
            report.frames += frames

    def _already_in_catalog(self, obj: ArchiveObject, origin: str, etag: str) -> bool:
        """Ingested from this key at this ETag, with every part still there."""
        if obj.coin is None:
            return asset_ctxs_present(self.location, obj.hour, etag)
        known = self.known.get(origin)
        return (known is not None and known.etag == etag
                and parts_present(self.location, known))

    def _ingest(self, obj: ArchiveObject, path: Path, origin: str, etag: str,
                sha: str) -> int:
        if obj.coin is None:
            return write_asset_ctxs(self.location, obj.hour, path, origin, etag, sha)
        res = ingest_recording(self.location, path, kind="archive", origin=origin, etag=etag,
                               sha256=sha, previous=self.known.get(origin))
        return res.entry.frames


def _digests(path: Path) -> tuple[str, str]:
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            sha.update(block)
            md5.update(block)
    return sha.hexdigest(), md5.hexdigest()


def _etag_matches(etag: str, md5: str) -> bool:
    """A single-part upload's ETag is the MD5 of the object; a multipart ETag ("<hex>-N")
    is not, so only the size and the recorded SHA-256 vouch for those."""
    return "-" in etag or etag.lower() == md5


# ---------------------------------------------------------------- the run


def fetch_archive(location: CatalogLocation, objects: list[ArchiveObject], cache: Path, *,
                  workers: int = 8, bucket: str = BUCKET, client: Any = None,
                  progress: ProgressFn | None = None) -> FetchReport:
    """Fetch and ingest `objects`; missing hours and per-object failures are reported in
    the FetchReport (the others still land). Raises ArchiveError when nothing can work
    (no credentials, access denied)."""
    report = FetchReport()
    try:
        known = {s.origin: s for s in load_sources(location) if s.kind == "archive"}
    except ReplaySourceError as exc:
        raise ArchiveError(str(exc)) from exc
    fetcher = _Fetcher(client or make_client(workers), location, cache, bucket,
                       progress or (lambda _e, _n: None), known)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="archive") as pool:
        futures = {pool.submit(fetcher.fetch_one, obj, report): obj for obj in objects}
        for future in as_completed(futures):
            _settle(future.exception(), futures[future], report, pool)
            fetcher.progress("object", 1)
    report.missing.sort(key=lambda o: (o.hour, o.coin or ""))
    report.denied.sort(key=lambda o: (o.hour, o.coin or ""))
    if report.denied and not (report.fetched or report.skipped or report.missing):
        raise ArchiveError(f"S3 denied access to all {len(report.denied)} object(s) of "
                           f"s3://{bucket}: check that your AWS credentials may read a "
                           "requester-pays bucket")
    return report


def _settle(exc: BaseException | None, obj: ArchiveObject, report: FetchReport,
            pool: ThreadPoolExecutor) -> None:
    if exc is None:
        return
    if isinstance(exc, _NotInArchiveError):
        report.missing.append(obj)
        return
    if isinstance(exc, _DeniedError):
        report.denied.append(obj)
        return
    if isinstance(exc, ArchiveError | botocore.exceptions.NoCredentialsError):
        pool.shutdown(wait=False, cancel_futures=True)
        if isinstance(exc, ArchiveError):
            raise exc
        raise MissingCredentialsError(str(exc)) from exc
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        pool.shutdown(wait=False, cancel_futures=True)
        raise ArchiveError(f"cannot reach S3: {exc}") from exc
    report.failed.append((obj, f"{type(exc).__name__}: {exc}"))
