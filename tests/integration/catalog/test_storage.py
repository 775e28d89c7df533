"""Poster storage: local files in a temporary root, and S3 against moto's server."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer
from PIL import Image

from tiketi.kernel.errors import DependencyUnavailable
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.catalog.adapters.storage import (
    CACHE_CONTROL,
    LocalStorage,
    S3Storage,
    build_storage,
)


def png_bytes(color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(out, "PNG")
    return out.getvalue()


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


BAD_KEYS = [
    "",
    "../escape.png",
    "posters/../../escape.png",
    "posters/./a.png",
    "/etc/passwd",
    "posters//a.png",
    "posters/",
    "posters\\..\\a.png",
    "posters/a b.png",
    "posters/%2e%2e/a.png",
    "posters/ä.png",
    "posters/a.png\x00.jpg",
    "x" * 600,
]


# ---------------------------------------------------------------- local files


async def test_local_put_writes_the_file_and_returns_its_url(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "media")
    data = png_bytes()

    url = await storage.put("events/e1/abc123.png", data, "image/png")

    assert url == "/media/events/e1/abc123.png"
    path = storage.path_for("events/e1/abc123.png")
    assert path == (tmp_path / "media" / "events" / "e1" / "abc123.png").resolve()
    assert path.read_bytes() == data
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["abc123.png"]  # no temporary left


async def test_local_base_url_is_joined_without_a_double_slash(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, base_url="https://cdn.example.com/media/")

    assert await storage.put("a.png", png_bytes(), "image/png") == (
        "https://cdn.example.com/media/a.png"
    )


async def test_local_put_overwrites(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    await storage.put("p/a.png", png_bytes((1, 2, 3)), "image/png")
    second = png_bytes((4, 5, 6))

    await storage.put("p/a.png", second, "image/png")

    assert storage.path_for("p/a.png").read_bytes() == second


async def test_local_concurrent_writers_leave_one_whole_file(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    versions = [png_bytes((i, i, i)) + bytes([i]) * 50_000 for i in range(20)]

    await asyncio.gather(*(storage.put("p/hot.png", v, "image/png") for v in versions))

    assert storage.path_for("p/hot.png").read_bytes() in versions
    assert [p.name for p in (tmp_path / "p").iterdir()] == ["hot.png"]


async def test_local_delete_removes_and_tolerates_a_missing_file(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    await storage.put("p/a.png", png_bytes(), "image/png")

    await storage.delete("p/a.png")
    await storage.delete("p/a.png")
    await storage.delete("never/stored.png")

    assert not storage.path_for("p/a.png").exists()


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_local_refuses_keys_that_could_leave_the_root(tmp_path: Path, key: str) -> None:
    root = tmp_path / "media"
    storage = LocalStorage(root)

    with pytest.raises(ValueError, match="invalid media key"):
        await storage.put(key, b"data", "image/png")
    with pytest.raises(ValueError, match="invalid media key"):
        await storage.delete(key)
    with pytest.raises(ValueError, match="invalid media key"):
        storage.path_for(key)
    assert files_under(tmp_path) == []


async def test_local_refuses_a_symlink_out_of_the_root(tmp_path: Path) -> None:
    root, outside = tmp_path / "media", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    storage = LocalStorage(root)

    with pytest.raises(ValueError, match="invalid media key"):
        await storage.put("link/a.png", png_bytes(), "image/png")
    assert list(outside.iterdir()) == []


def test_build_storage_defaults_to_files_under_var_dir(tmp_path: Path) -> None:
    platform = PlatformSettings(var_dir=tmp_path / "var")
    settings = catalog_settings()

    storage = build_storage(settings, platform)

    assert isinstance(storage, LocalStorage)
    assert storage.root == tmp_path / "var" / "media"
    assert storage.base_url == "/media"


def test_build_storage_uses_media_dir_and_base_url(tmp_path: Path) -> None:
    settings = catalog_settings(media_dir=tmp_path / "m", media_base_url="/files")

    storage = build_storage(settings, PlatformSettings(var_dir=tmp_path / "var"))

    assert isinstance(storage, LocalStorage)
    assert (storage.root, storage.base_url) == (tmp_path / "m", "/files")


def test_build_storage_picks_s3_when_a_bucket_is_set(aws_env: None) -> None:
    settings = catalog_settings(
        s3_bucket="tiketi-posters",
        s3_region="ap-northeast-2",
        s3_public_url="https://d111.cloudfront.net",
        s3_prefix="media/posters",
    )

    storage = build_storage(settings, PlatformSettings())

    assert isinstance(storage, S3Storage)
    assert storage.bucket == "tiketi-posters"
    assert storage.url_for("e/a.png") == "https://d111.cloudfront.net/media/posters/e/a.png"


def catalog_settings(**overrides: Any) -> Any:
    values: dict[str, Any] = {
        "media_dir": None,
        "media_base_url": "/media",
        "s3_bucket": None,
        "s3_region": None,
        "s3_endpoint_url": None,
        "s3_public_url": None,
        "s3_prefix": "posters/",
    }
    return SimpleNamespace(**(values | overrides))


# ---------------------------------------------------------------- S3 (moto server)


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials, and no developer's ~/.aws files, so nothing can reach real AWS."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "fake-test-access-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-test-secret-key")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def s3(moto_endpoint: str, aws_env: None) -> Any:
    return boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")


@pytest.fixture
def bucket(s3: Any) -> str:
    """A bucket set up as deployed: private, with the poster prefixes readable by anyone."""
    name = f"tiketi-test-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    # The adapter sets no ACL (new buckets refuse them); a bucket policy makes posters public.
    public_read = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": [f"arn:aws:s3:::{name}/posters/*", f"arn:aws:s3:::{name}/media/*"],
            }
        ],
    }
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(public_read))
    return name


async def test_s3_put_stores_the_object_with_its_headers(
    s3: Any, bucket: str, moto_endpoint: str
) -> None:
    storage = S3Storage(bucket, region="us-east-1", endpoint_url=moto_endpoint, public_url=None)
    data = png_bytes()

    url = await storage.put("events/e1/abc123.png", data, "image/png")

    assert url == f"{moto_endpoint}/{bucket}/posters/events/e1/abc123.png"
    stored = s3.get_object(Bucket=bucket, Key="posters/events/e1/abc123.png")
    assert stored["Body"].read() == data
    assert stored["ContentType"] == "image/png"
    assert stored["CacheControl"] == CACHE_CONTROL == "public, max-age=31536000, immutable"
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == CACHE_CONTROL


async def test_s3_put_overwrites_and_delete_removes(
    s3: Any, bucket: str, moto_endpoint: str
) -> None:
    storage = S3Storage(bucket, region=None, endpoint_url=moto_endpoint, public_url=None)
    await storage.put("a.png", png_bytes((1, 1, 1)), "image/png")
    second = png_bytes((2, 2, 2))

    await storage.put("a.png", second, "image/png")
    assert s3.get_object(Bucket=bucket, Key="posters/a.png")["Body"].read() == second

    await storage.delete("a.png")
    await storage.delete("a.png")  # deleting twice is fine
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


async def test_s3_url_is_the_cdn_when_a_public_url_is_set(
    s3: Any, bucket: str, moto_endpoint: str
) -> None:
    storage = S3Storage(
        bucket,
        region="us-east-1",
        endpoint_url=moto_endpoint,
        public_url="https://d111111abcdef8.cloudfront.net/",
        prefix="/media/",
    )

    url = await storage.put("e/a.webp", b"RIFF....WEBP", "image/webp")

    assert url == "https://d111111abcdef8.cloudfront.net/media/e/a.webp"
    assert s3.head_object(Bucket=bucket, Key="media/e/a.webp")["ContentType"] == "image/webp"


@pytest.mark.parametrize(
    ("region", "prefix", "url"),
    [
        ("ap-northeast-2", "posters/", "https://b.s3.ap-northeast-2.amazonaws.com/posters/k.png"),
        (None, "posters/", "https://b.s3.amazonaws.com/posters/k.png"),
        ("eu-west-1", "", "https://b.s3.eu-west-1.amazonaws.com/k.png"),
    ],
)
def test_s3_url_is_virtual_hosted_without_an_endpoint_or_cdn(
    aws_env: None, region: str | None, prefix: str, url: str
) -> None:
    storage = S3Storage("b", region=region, endpoint_url=None, public_url=None, prefix=prefix)

    assert storage.url_for("k.png") == url


async def test_s3_refuses_bad_keys(s3: Any, bucket: str, moto_endpoint: str) -> None:
    storage = S3Storage(bucket, region=None, endpoint_url=moto_endpoint, public_url=None)

    for key in BAD_KEYS:
        with pytest.raises(ValueError, match="invalid media key"):
            await storage.put(key, b"data", "image/png")
        with pytest.raises(ValueError, match="invalid media key"):
            await storage.delete(key)
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


async def test_s3_failures_are_dependency_unavailable(moto_endpoint: str, aws_env: None) -> None:
    missing_bucket = S3Storage(
        "no-such-bucket-here", region=None, endpoint_url=moto_endpoint, public_url=None
    )
    with pytest.raises(DependencyUnavailable) as caught:
        await missing_bucket.put("a.png", b"x", "image/png")
    assert caught.value.status == 503

    # Nothing listens on port 9 of loopback; one attempt keeps the test fast.
    client = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9",
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    unreachable = S3Storage(
        "b", region=None, endpoint_url="http://127.0.0.1:9", public_url=None, client=client
    )
    with pytest.raises(DependencyUnavailable):
        await unreachable.put("a.png", b"x", "image/png")
    with pytest.raises(DependencyUnavailable):
        await unreachable.delete("a.png")
