"""Stream a multipart upload into a temporary file, refusing it past the size limit.

Starlette's form parser has no limit for file parts; this one counts every byte as it
arrives (python-multipart's push parser) and stops with 413 at the limit, so an oversized
upload never reaches the disk whole. The decoding check happens afterwards, in the workflow.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from producer.errors import TooLargeError, ValidationError

FIELD_LIMIT = 1024  # bytes of a plain form field (kind)


@dataclass
class Received:
    path: Path | None = None
    filename: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


async def receive_upload(
    content_type: str, content_length: str | None, body: AsyncIterator[bytes], limit: int
) -> Received:
    """Parse ``multipart/form-data`` from ``body``: the part named ``file`` to a temporary file
    (at most ``limit`` bytes), small fields to strings."""
    mime, params = parse_options_header(content_type)
    if mime != b"multipart/form-data" or b"boundary" not in params:
        raise ValidationError("send the file as multipart/form-data with a part named 'file'")
    if content_length and content_length.isdigit() and int(content_length) > limit + 64 * 1024:
        raise TooLargeError(
            f"upload of {int(content_length) / 1e6:.1f} MB is over the limit of {limit / 1e6:.0f} MB"
        )
    out = Received()
    state: dict[str, object] = {"headers": {}, "name": "", "size": 0, "fh": None, "buf": b""}
    header_field = bytearray()
    header_value = bytearray()
    fd, tmp = tempfile.mkstemp(prefix="producer-upload-", suffix=".part")
    os.close(fd)
    out.path = Path(tmp)
    fh = open(tmp, "wb")  # noqa: SIM115 - closed below, after the stream ends
    too_large = False

    def on_part_begin() -> None:
        state["headers"], state["name"], state["buf"] = {}, "", b""

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers = state["headers"]
        assert isinstance(headers, dict)
        headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        headers = state["headers"]
        assert isinstance(headers, dict)
        _, opts = parse_options_header(headers.get(b"content-disposition", b""))
        state["name"] = opts.get(b"name", b"").decode("utf-8", "replace")
        if state["name"] == "file":
            out.filename = opts.get(b"filename", b"").decode("utf-8", "replace")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        nonlocal too_large
        chunk = data[start:end]
        if state["name"] == "file":
            size = int(str(state["size"])) + len(chunk)
            state["size"] = size
            if size > limit:
                too_large = True
                return
            fh.write(chunk)
        else:
            buf = state["buf"]
            assert isinstance(buf, bytes)
            if len(buf) + len(chunk) <= FIELD_LIMIT:
                state["buf"] = buf + chunk

    def on_part_end() -> None:
        name = str(state["name"])
        if name and name != "file":
            buf = state["buf"]
            assert isinstance(buf, bytes)
            out.fields[name] = buf.decode("utf-8", "replace")

    parser = MultipartParser(
        params[b"boundary"],
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        async for chunk in body:
            parser.write(chunk)
            if too_large:
                raise TooLargeError(f"upload is over the limit of {limit / 1e6:.0f} MB")
        parser.finalize()
    except MultipartParseError as exc:
        fh.close()
        out.discard()
        raise ValidationError(f"malformed multipart upload ({exc})") from None
    except BaseException:
        fh.close()
        out.discard()
        raise
    fh.close()
    if not out.filename and int(str(state["size"])) == 0:
        out.discard()
        raise ValidationError("no part named 'file' in the upload")
    return out


__all__ = ["Received", "receive_upload"]
