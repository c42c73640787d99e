"""The framing between the HTTP process and its query workers (one socket pair per worker).

Parent -> worker: ``>I`` length, then a pickled :class:`Job` tuple.
Worker -> parent: ``>IB`` (payload length, kind), then the payload. ``COMPLETE`` and ``START``
payloads begin with ``>HH`` (HTTP status, content-type length) and the content type; the rest is
body. A result that fits in one chunk travels as one ``COMPLETE`` frame (the fast path); a larger
one as ``START``, ``CHUNK``... and ``END``.

Kinds the worker sends besides answers:

* ``READY``, once, when the store is loaded: a UTF-8 JSON object, ``{"network": NETWORK}``, where
  NETWORK is ``"isolated"`` (the worker is in a network namespace of its own: no connection can
  leave it, not even to 127.0.0.1), ``"userns-isolated"`` (the same, by way of a user namespace,
  for a worker without CAP_SYS_ADMIN) or ``"open"`` (the host's network: an endpoint is
  allow-listed for SERVICE, or isolation failed, which the worker logged). Readers ignore
  fields they do not know.
* ``ACCEPTED``, empty, for each job as soon as the worker has read it, before it runs it.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

REQUEST_HEAD = struct.Struct(">I")
FRAME_HEAD = struct.Struct(">IB")
STATUS_HEAD = struct.Struct(">HH")

READY = 0
COMPLETE = 1
START = 2
CHUNK = 3
END = 4
# Sent by a worker when it takes a job, before running it: work that was not ACCEPTED
# never started, and may be retried on another worker.
ACCEPTED = 5

# Bytes a worker gathers before it sends a frame; also the size of streamed chunks.
CHUNK_BYTES = 64 * 1024
# An answer up to this size travels as one COMPLETE frame: sent with a Content-Length, and
# small enough for the result cache (its default largest entry); a larger one streams.
WHOLE_ANSWER_BYTES = 256 * 1024


class Job(NamedTuple):
    """One query for a worker. Formats are ints (see shezhire.http.formats), -1 = unacceptable."""

    query: str
    results_format: int
    graph_format: int
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    max_bytes: int  # the serialized answer's limit
    base_iri: str | None
    # Endpoints a SERVICE clause may call (exact IRIs); every other SERVICE is refused.
    service_allowlist: tuple[str, ...] = ()


def status_payload(status: int, content_type: str, body: bytes) -> bytes:
    ctype = content_type.encode()
    return STATUS_HEAD.pack(status, len(ctype)) + ctype + body


def parse_status_payload(payload: bytes) -> tuple[int, str, bytes]:
    status, ctype_len = STATUS_HEAD.unpack_from(payload)
    start = STATUS_HEAD.size
    ctype = payload[start : start + ctype_len].decode()
    return status, ctype, payload[start + ctype_len :]
