"""An S3 endpoint for tests: a moto server on a loopback port, or a real MinIO named by
`SOHOA_TEST_S3` (`s3://bucket?endpoint=host:port&secure=false`, with `SOHOA_TEST_S3_ACCESS_KEY`
and `SOHOA_TEST_S3_SECRET_KEY`)."""

from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse


# The keys the tests' shared S3 endpoint is given (moto takes any); tests check the secret never
# shows in logs or messages.
ACCESS_KEY = "sohoa-test-access"
SECRET_KEY = "sohoa-test-secret-do-not-log"


class MotoS3:
    """A moto S3 server on 127.0.0.1 that can be stopped and started again on the same port.

    The first start binds port 0, so the kernel hands out a free port at bind time (picking a
    "free" port first and binding it later races with other tests running in parallel). moto
    keeps its buckets in this process, so a restarted server serves the same objects."""

    def __init__(self):
        self.port = 0
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> MotoS3:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        # make_server binds here, so a port taken while the server was down fails now, loudly
        # (moto's ThreadedMotoServer would wait forever for a server that never started).
        self._server = make_server("127.0.0.1", self.port, DomainDispatcherApplication(create_backend_app),
                                   threaded=True, request_handler=MotoRequestHandler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="moto-s3")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = self._thread = None


@dataclass(frozen=True)
class S3Endpoint:
    """Where the tests' buckets live, and the credentials to reach them."""

    endpoint: str
    secure: bool
    access_key: str
    secret_key: str
    bucket_prefix: str
    region: str = "us-east-1"
    is_moto: bool = True

    def url(self, bucket: str) -> str:
        return f"s3://{bucket}?endpoint={self.endpoint}&secure={'true' if self.secure else 'false'}"

    def new_bucket_name(self) -> str:
        """A bucket no other test uses (names: 3-63 lower-case characters)."""
        return f"{self.bucket_prefix}-{uuid.uuid4().hex[:12]}"[:63]

    def boto3_client(self):
        """An independent S3 client (not the minio SDK sohoa uses)."""
        import boto3
        from botocore.config import Config

        scheme = "https" if self.secure else "http"
        return boto3.client(
            "s3",
            endpoint_url=f"{scheme}://{self.endpoint}",
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(retries={"max_attempts": 1}),
        )


def endpoint_from_environment() -> S3Endpoint | None:
    url = os.environ.get("SOHOA_TEST_S3")
    if not url:
        return None
    parsed = urlparse(url)
    params = {name: values[-1] for name, values in parse_qs(parsed.query).items()}
    return S3Endpoint(
        endpoint=params["endpoint"],
        secure=params.get("secure", "true").lower() in ("true", "1"),
        access_key=os.environ["SOHOA_TEST_S3_ACCESS_KEY"],
        secret_key=os.environ["SOHOA_TEST_S3_SECRET_KEY"],
        bucket_prefix=parsed.hostname or "sohoa-test",
        region=params.get("region", "us-east-1"),
        is_moto=False,
    )
