"""Word (.docx) files: generated with python-docx, read through the real reader."""
from __future__ import annotations

import io
import zipfile

import pytest


def make_docx(path, title="Support Playbook", author="Ada Analyst"):
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.author = author
    document.sections[0].header.paragraphs[0].text = "RUNNING HEADER Confidential"
    document.sections[0].footer.paragraphs[0].text = "RUNNING FOOTER page"
    document.add_heading("Queues by intent", level=1)
    document.add_paragraph("FIRSTPARA Split the queues by intent before anything else.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Queue", "Wait"
    table.cell(1, 0).text, table.cell(1, 1).text = "Renewals", "TABLECELL 40 s"
    document.add_paragraph("LASTPARA Offer a callback after two minutes.")
    document.save(str(path))


def test_body_in_order_headers_out_metadata_in(tmp_path):
    from citegraph.ingest.readers import read_file

    make_docx(tmp_path / "playbook.docx")
    [draft] = read_file(tmp_path / "playbook.docx", None)
    assert draft.title == "Support Playbook" and draft.author == "Ada Analyst"
    text = draft.text
    assert "RUNNING" not in text
    assert text.index("Queues by intent") < text.index("FIRSTPARA") < \
        text.index("TABLECELL") < text.index("LASTPARA")
    assert "Renewals | TABLECELL 40 s" in text


def test_bad_and_bomb_docx_are_one_line(tmp_path):
    from citegraph.ingest.readers import ReadError, read_file

    (tmp_path / "garbage.docx").write_bytes(b"PK\x03\x04 not a zip")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"\0" * (210 * 1024 * 1024))
    (tmp_path / "bomb.docx").write_bytes(buffer.getvalue())
    (tmp_path / "notword.docx").write_bytes(_zip({"hello.txt": b"hi"}))
    for name, words in (("garbage.docx", "not a readable .docx"),
                        ("bomb.docx", "over the 209,715,200 byte limit"),
                        ("notword.docx", "not a readable .docx")):
        with pytest.raises(ReadError, match=words) as caught:
            read_file(tmp_path / name, None)
        assert "\n" not in str(caught.value)


def _zip(files: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buffer.getvalue()
