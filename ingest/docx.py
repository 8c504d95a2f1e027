"""Word (.docx) files through python-docx: the body's paragraphs and tables in document
order (running headers and footers live in parts of their own and are left out), title and
author from the document's core properties. The package is checked before it is opened: a
.docx is a zip, and one whose parts claim more than MAX_UNPACKED_BYTES is refused unread."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from citegraph.errors import CitegraphError

MAX_UNPACKED_BYTES = 200 * 1024 * 1024


class DocxError(CitegraphError):
    """A .docx whose text cannot be read; the message is the reason."""


@dataclass
class DocxText:
    text: str  # paragraphs separated by blank lines; table rows as "cell | cell" lines
    title: str
    author: str


def _checked_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            unpacked = sum(info.file_size for info in package.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise DocxError(f"not a readable .docx (not a zip package: {exc})") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise DocxError(f".docx unpacks to {unpacked:,} bytes, over the "
                        f"{MAX_UNPACKED_BYTES:,} byte limit")


def extract(data: bytes) -> DocxText:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    _checked_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = []
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                rows = [" | ".join(dict.fromkeys(c.text.strip() for c in row.cells))
                        for row in item.rows]
                blocks.append("\n".join(r for r in rows if r.strip()))
            else:
                blocks.append(item.text.strip())
        props = document.core_properties
        title, author = props.title or "", props.author or ""
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, AttributeError,
            TypeError, IndexError) as exc:
        raise DocxError(f"not a readable .docx ({type(exc).__name__}: "
                        f"{' '.join(str(exc).split())[:200] or 'damaged'})") from None
    except Exception as exc:  # lxml's XMLSyntaxError and kin: a damaged part
        if type(exc).__module__.startswith("lxml"):
            raise DocxError(f"not a readable .docx (damaged XML: "
                            f"{' '.join(str(exc).split())[:200]})") from None
        raise
    return DocxText("\n\n".join(b for b in blocks if b), title, author)
