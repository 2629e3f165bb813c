"""Bytes and names of manifest files, decoded the way kubectl and the API server decode them.

kubectl reads a file through a byte-order-mark check (UTF-8, UTF-16 little or big endian) and
then as UTF-8; Go's YAML parser, which the API server and kubeconform use, knows the same three.
So a UTF-16 file with its BOM is a manifest like any other and is validated, while anything
else that is not UTF-8 text — invalid bytes, NUL characters, UTF-32 (which those tools read as
control characters) — is refused with :class:`~kubesmith.errors.ManifestRefused`: an error
finding, never a file skipped as if it were fine.

File names get the same care: a name that is not valid UTF-8 cannot be shown, stored or
compared as it is, so :func:`display_name` gives every path one printable, stable spelling.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kubesmith.errors import ManifestRefused
from kubesmith.reading.limits import Limits, current

_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)


@dataclass(frozen=True)
class Decoded:
    """A file's text and the encoding it was written in.

    Attributes:
        text: the characters; a UTF-8 byte-order mark stays as ``"\\ufeff"`` (so the text
            encodes back to the same bytes), a UTF-16 one is dropped.
        encoding: ``utf-8``, ``utf-16-le`` or ``utf-16-be``.
    """

    text: str
    encoding: str = "utf-8"

    @property
    def is_utf8(self) -> bool:
        """True when the text encodes back to the file's bytes as UTF-8 (what kubesmith edits)."""
        return self.encoding == "utf-8"


def decode(raw: bytes, file: str) -> Decoded:
    """The text of a manifest file.

    Raises:
        ManifestRefused: not UTF-8 or UTF-16 text (with the line of the first bad byte), or
            text holding a NUL character.
    """
    encoding, bom = "utf-8", b""
    for mark, name in _BOMS:
        if raw.startswith(mark):
            encoding, bom = name, mark
            break
    if encoding.startswith("utf-32"):
        raise ManifestRefused(
            f"{encoding.upper()} text: kubectl and the API server read UTF-8 and UTF-16 only "
            "(save the file as UTF-8)",
            file,
            1,
        )
    body = raw if encoding == "utf-8" else raw[len(bom) :]
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as e:
        line = body[: e.start].decode(encoding, "replace").count("\n") + 1
        what = "UTF-8" if encoding == "utf-8" else f"{encoding.upper()} (it starts with a BOM)"
        raise ManifestRefused(
            f"not valid {what} text: byte 0x{body[e.start]:02x} cannot be decoded "
            "(binary content, or another encoding: save the file as UTF-8)",
            file,
            line,
        ) from e
    nul = text.find("\0")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise ManifestRefused(
            "a NUL character: binary content, not YAML text (or UTF-16 without its BOM)",
            file,
            line,
        )
    return Decoded(text, encoding)


def read_bytes(path: Path, file: str, limits: Limits | None = None) -> bytes:
    """The bytes of ``path``, refused unread past ``limits.max_file_bytes``.

    Reads at most one byte more than the limit, so a huge (or endless) file costs nothing.

    Raises:
        ManifestRefused: the file is larger than the limit.
        OSError: the file cannot be read.
    """
    limits = limits or current()
    with path.open("rb") as fh:
        raw = fh.read(limits.max_file_bytes + 1)
    if len(raw) > limits.max_file_bytes:
        raise ManifestRefused(too_large(limits), file, 1)
    return raw


def read_text(path: Path, file: str, limits: Limits | None = None) -> str:
    """The text of the manifest file at ``path`` (:func:`read_bytes` then :func:`decode`).

    Raises:
        ManifestRefused: too large, or not decodable text.
        OSError: the file cannot be read.
    """
    return decode(read_bytes(path, file, limits), file).text


def too_large(limits: Limits | None = None, size: int | None = None) -> str:
    """The refusal message of a file over the size limit."""
    limits = limits or current()
    got = f"{size:,} bytes, " if size is not None else ""
    return f"file too large ({got}over {limits.max_file_bytes:,} bytes): not read"


def display_name(name: str | bytes) -> str:
    """A path as findings, comments and stores show it: itself when it is valid UTF-8, else
    with each undecodable byte written ``\\xNN`` (the same spelling from bytes, from git's
    output, or from a ``str`` the file system gave with escaped bytes)."""
    raw = name if isinstance(name, bytes) else os.fsencode(name)
    return raw.decode("utf-8", "backslashreplace")


def name_problem(name: str | bytes) -> str | None:
    """Why a file name cannot be used as it is (not valid UTF-8), or None."""
    raw = name if isinstance(name, bytes) else os.fsencode(name)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "file name is not valid UTF-8 (shown escaped): not read; rename the file"
    return None
