"""The media storage port, with local-file and S3 adapters, for poster images."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from tiketi.kernel.errors import DependencyUnavailable
from tiketi.kernel.settings import PlatformSettings

# Keys are built by the catalog (ids and a content hash), never taken from a client: this
# alphabet needs no URL quoting, and no key can climb out of its root.
_KEY_PATTERN = re.compile(r"[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*")
_MAX_KEY_LENGTH = 512
# Callers give every new image a new key (a content hash in it), so caches may keep one forever.
CACHE_CONTROL = "public, max-age=31536000, immutable"


class MediaStorage(Protocol):
    """Where poster images are kept and the public URL each one is served at."""

    async def put(self, key: str, data: bytes, content_type: str) -> str:
        """Store data under key (replacing what was there) and return its public URL."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object under key; a missing key is not an error."""
        ...


class MediaSettings(Protocol):
    """The catalog settings build_storage reads."""

    @property
    def media_dir(self) -> Path | None: ...
    @property
    def media_base_url(self) -> str: ...
    @property
    def s3_bucket(self) -> str | None: ...
    @property
    def s3_region(self) -> str | None: ...
    @property
    def s3_endpoint_url(self) -> str | None: ...
    @property
    def s3_public_url(self) -> str | None: ...
    @property
    def s3_prefix(self) -> str: ...


def validate_key(key: str) -> str:
    """Return key if it is a safe relative path of [A-Za-z0-9._-] segments; else ValueError."""
    if (
        not key
        or len(key) > _MAX_KEY_LENGTH
        or not _KEY_PATTERN.fullmatch(key)
        or any(part in {".", ".."} for part in key.split("/"))
    ):
        raise ValueError(f"invalid media key: {key!r}")
    return key


class LocalStorage:
    """Files under a root directory, served by the app at base_url (the default adapter)."""

    def __init__(self, root: Path, base_url: str = "/media") -> None:
        self.root = Path(root)
        self.base_url = base_url.rstrip("/")

    def path_for(self, key: str) -> Path:
        """The file a key is stored in; refuses keys (or symlinks) that leave the root."""
        validate_key(key)
        root = self.root.resolve()
        path = (root / key).resolve()
        if not path.is_relative_to(root):
            raise ValueError(f"invalid media key: {key!r}")
        return path

    def url_for(self, key: str) -> str:
        """The public URL of a key."""
        return f"{self.base_url}/{validate_key(key)}"

    async def put(self, key: str, data: bytes, content_type: str) -> str:
        """Write the file atomically: readers see the old bytes or the new, never a part."""
        url = self.url_for(key)
        await asyncio.to_thread(self._write, key, data)
        return url

    async def delete(self, key: str) -> None:
        """Remove the file if it exists."""
        validate_key(key)
        await asyncio.to_thread(self._remove, key)

    def _write(self, key: str, data: bytes) -> None:
        _write_atomically(self.path_for(key), data)

    def _remove(self, key: str) -> None:
        self.path_for(key).unlink(missing_ok=True)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # The temporary file sits beside the target so os.replace stays on one filesystem.
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        # mkstemp makes 0600 files; a web server or sidecar serving the directory must read them.
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


class S3Storage:
    """Objects in an S3 bucket (or an S3-compatible endpoint), optionally behind a CDN."""

    def __init__(
        self,
        bucket: str,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        public_url: str | None = None,
        prefix: str = "posters/",
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self.region = region
        self.endpoint_url = endpoint_url.rstrip("/") if endpoint_url else None
        self.public_url = public_url.rstrip("/") if public_url else None
        prefix = prefix.strip("/")
        self.prefix = f"{prefix}/" if prefix else ""
        # A client is thread-safe and costly to build: one per storage, shared by the threads.
        self._client = client or boto3.session.Session().client(
            "s3",
            region_name=region,
            endpoint_url=self.endpoint_url,
            config=Config(
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
                # Custom endpoints (MinIO, moto, LocalStack) address buckets by path.
                s3={"addressing_style": "path" if self.endpoint_url else "auto"},
            ),
        )

    def object_key(self, key: str) -> str:
        """The bucket key a media key is stored at."""
        return f"{self.prefix}{validate_key(key)}"

    def url_for(self, key: str) -> str:
        """The public URL: the CDN's when configured, else the endpoint's or S3's own."""
        object_key = self.object_key(key)
        if self.public_url:
            return f"{self.public_url}/{object_key}"
        if self.endpoint_url:
            return f"{self.endpoint_url}/{self.bucket}/{object_key}"
        host = f"s3.{self.region}.amazonaws.com" if self.region else "s3.amazonaws.com"
        return f"https://{self.bucket}.{host}/{object_key}"

    async def put(self, key: str, data: bytes, content_type: str) -> str:
        """Upload the object with its content type and a long-lived cache header."""
        object_key = self.object_key(key)
        try:
            await asyncio.to_thread(
                self._client.put_object,
                Bucket=self.bucket,
                Key=object_key,
                Body=data,
                ContentType=content_type,
                CacheControl=CACHE_CONTROL,
            )
        except (BotoCoreError, ClientError) as exc:
            raise DependencyUnavailable("The media storage could not store the image.") from exc
        return self.url_for(key)

    async def delete(self, key: str) -> None:
        """Delete the object (S3 answers success for a missing key too)."""
        object_key = self.object_key(key)
        try:
            await asyncio.to_thread(self._client.delete_object, Bucket=self.bucket, Key=object_key)
        except (BotoCoreError, ClientError) as exc:
            raise DependencyUnavailable("The media storage could not delete the image.") from exc


def build_storage(settings: MediaSettings, platform: PlatformSettings) -> MediaStorage:
    """S3 when a bucket is configured, else files under media_dir (default var_dir/media)."""
    if settings.s3_bucket:
        return S3Storage(
            settings.s3_bucket,
            region=settings.s3_region,
            endpoint_url=settings.s3_endpoint_url,
            public_url=settings.s3_public_url,
            prefix=settings.s3_prefix,
        )
    root = settings.media_dir if settings.media_dir is not None else platform.var_dir / "media"
    return LocalStorage(root, settings.media_base_url)
