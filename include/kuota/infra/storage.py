"""One interface over the exchange locations: ``s3://bucket/prefix`` or a local directory.

The S3 client comes from the caller (an Airflow connection in the DAG) or from boto3's
standard environment (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...) in the CLIs: credentials
never live in code.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlparse


def join(base: str, *parts: str) -> str:
    out = base.rstrip("/")
    for part in parts:
        out += "/" + part.strip("/")
    return out


def basename(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def _split_s3(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.lstrip("/")


def _fingerprint(size: int, tag) -> str:
    return f"{size}:{str(tag).strip(chr(34))}"


# Connections a client keeps: the writers run up to 16 uploads at once (residu, SPTJM), and
# botocore's default of 10 makes every extra one a "Connection pool is full" warning.
MAX_POOL_CONNECTIONS = 32


# Seconds a call may wait for the endpoint's answer. S3 may take minutes to complete a large
# multipart upload (a national cutoff's pupils are a single 3 GB object) before it answers;
# botocore's default of 60 s then retried a completion the endpoint was still doing, and the
# retry found the upload gone.
READ_TIMEOUT = 600


def client_config():
    from botocore.config import Config

    return Config(max_pool_connections=MAX_POOL_CONNECTIONS, read_timeout=READ_TIMEOUT)


class Storage:
    def __init__(self, s3_client=None):
        self._s3 = s3_client

    @property
    def s3(self):
        if self._s3 is None:
            import boto3

            self._s3 = boto3.client("s3", config=client_config())
        return self._s3

    @staticmethod
    def is_s3(uri: str) -> bool:
        return uri.startswith("s3://")

    def open_read(self, uri: str) -> BinaryIO:
        """A binary stream of the object: never the whole object in memory."""
        if self.is_s3(uri):
            bucket, key = _split_s3(uri)
            return self.s3.get_object(Bucket=bucket, Key=key)["Body"]
        return open(uri, "rb")

    def read_bytes(self, uri: str) -> bytes:
        with self.open_read(uri) as stream:
            return stream.read()

    def write_bytes(self, uri: str, data: bytes) -> None:
        if self.is_s3(uri):
            bucket, key = _split_s3(uri)
            self.s3.put_object(Bucket=bucket, Key=key, Body=data)
        else:
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
            tmp = f"{uri}.tmp-{os.getpid()}"
            Path(tmp).write_bytes(data)
            os.replace(tmp, uri)

    def upload_file(self, local_path: str | Path, uri: str) -> None:
        """Copy a local file to ``uri`` (multipart on S3, so any size streams)."""
        if self.is_s3(uri):
            bucket, key = _split_s3(uri)
            self.s3.upload_file(str(local_path), bucket, key)
        else:
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(local_path, uri)

    def exists(self, uri: str) -> bool:
        if self.is_s3(uri):
            bucket, key = _split_s3(uri)
            try:
                self.s3.head_object(Bucket=bucket, Key=key)
            except self.s3.exceptions.ClientError as err:
                if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise
            return True
        return Path(uri).is_file()

    def delete(self, uri: str) -> None:
        if self.is_s3(uri):
            bucket, key = _split_s3(uri)
            self.s3.delete_object(Bucket=bucket, Key=key)
        else:
            Path(uri).unlink(missing_ok=True)

    def copy(self, src: str, dst: str) -> None:
        """Server-side on S3 (a quarantined answer never passes through the worker twice)."""
        if self.is_s3(src) and self.is_s3(dst):
            sb, sk = _split_s3(src)
            db_, dk = _split_s3(dst)
            self.s3.copy({"Bucket": sb, "Key": sk}, db_, dk)
        else:
            with self.open_read(src) as stream:
                self.write_bytes(dst, stream.read())

    def modified_at(self, uri: str):
        """When the object was last written (a re-sent batch is newer), or None if absent."""
        if self.is_s3(uri):
            bucket, key = _split_s3(uri)
            try:
                return self.s3.head_object(Bucket=bucket, Key=key)["LastModified"].timestamp()
            except self.s3.exceptions.ClientError:
                return None
        path = Path(uri)
        return path.stat().st_mtime if path.is_file() else None

    def fingerprint(self, uri: str) -> str | None:
        """Size and ETag of an object (size and mtime on disk), or None if absent: what a
        listing also gives, so a later listing tells whether the object was rewritten."""
        if self.is_s3(uri):
            bucket, key = _split_s3(uri)
            try:
                head = self.s3.head_object(Bucket=bucket, Key=key)
            except self.s3.exceptions.ClientError:
                return None
            return _fingerprint(head["ContentLength"], head["ETag"])
        path = Path(uri)
        return _fingerprint(path.stat().st_size, path.stat().st_mtime_ns) if path.is_file() else None

    def fingerprints_by_name(self, prefix_uri: str) -> dict[str, str]:
        """name -> fingerprint (as ``fingerprint``) of each object directly under a prefix,
        from one listing."""
        if self.is_s3(prefix_uri):
            bucket, prefix = _split_s3(prefix_uri.rstrip("/") + "/")
            out = {}
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
                out.update(
                    {
                        obj["Key"][len(prefix) :]: _fingerprint(obj["Size"], obj["ETag"])
                        for obj in page.get("Contents", [])
                    }
                )
            return out
        path = Path(prefix_uri)
        files = path.iterdir() if path.is_dir() else []
        return {p.name: _fingerprint(p.stat().st_size, p.stat().st_mtime_ns) for p in files if p.is_file()}

    def md5_by_name(self, prefix_uri: str) -> dict[str, str]:
        """name -> MD5 hex of each object directly under a prefix, from one listing (an S3
        ETag is the MD5 of a single-part upload; other ETags simply never match)."""
        if self.is_s3(prefix_uri):
            bucket, prefix = _split_s3(prefix_uri.rstrip("/") + "/")
            out = {}
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
                out.update({obj["Key"][len(prefix) :]: obj["ETag"].strip('"') for obj in page.get("Contents", [])})
            return out
        path = Path(prefix_uri)
        files = path.iterdir() if path.is_dir() else []
        return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in files if p.is_file()}

    def modified_by_name(self, prefix_uri: str, recursive: bool = False) -> dict[str, float]:
        """name -> last-modified time (epoch seconds) of each object directly under a prefix
        (or anywhere below it, named by its path under the prefix, when ``recursive``)."""
        if self.is_s3(prefix_uri):
            bucket, prefix = _split_s3(prefix_uri.rstrip("/") + "/")
            out = {}
            pages = self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=prefix, **({} if recursive else {"Delimiter": "/"})
            )
            for page in pages:
                out.update(
                    {obj["Key"][len(prefix) :]: obj["LastModified"].timestamp() for obj in page.get("Contents", [])}
                )
            return out
        path = Path(prefix_uri)
        files = (path.rglob("*") if recursive else path.iterdir()) if path.is_dir() else []
        return {p.relative_to(path).as_posix(): p.stat().st_mtime for p in files if p.is_file()}

    def list_names(self, prefix_uri: str) -> list[str]:
        """Names of the objects directly under a prefix (a 'directory'), sorted."""
        if self.is_s3(prefix_uri):
            bucket, prefix = _split_s3(prefix_uri.rstrip("/") + "/")
            names = []
            paginator = self.s3.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
                names += [obj["Key"][len(prefix) :] for obj in page.get("Contents", [])]
            return sorted(names)
        path = Path(prefix_uri)
        return sorted(p.name for p in path.iterdir() if p.is_file()) if path.is_dir() else []
