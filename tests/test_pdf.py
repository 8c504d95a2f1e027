"""PDF files: a generated 30-page report with running headers and footers, read through the
real reader, pipeline, store, `ask` command and web server."""
from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

HEADER = "Northwind Market Report 2026 - Confidential"
TOPICS = ["the Lisbon warehouse switched its forklifts to solar charging",
          "the Oslo call centre cut its waiting time to forty seconds",
          "the Kyoto office trained every agent in sign language",
          "the Denver depot replaced paper invoices with tablets",
          "the Nairobi team answered customers in Swahili at night"]


def topic(n: int) -> str:
    return TOPICS[n % len(TOPICS)] if n not in (17,) else \
        "the Reykjavik branch heated its loading bays with geothermal water"


def make_report(path, pages: int = 30, title: str = "Northwind Market Report",
                author: str = "Ada Analyst") -> None:
    """A report whose every page has a running header, a "Page n of N" footer, a marker
    word, a topic sentence and a word hyphenated across two lines; page 3 has two columns."""
    from fpdf import FPDF

    class Report(FPDF):
        def header(self):
            self.set_font("Helvetica", "B", 9)
            self.cell(0, 8, HEADER, align="C")
            self.ln(12)

        def footer(self):
            self.set_y(-15)
            self.set_font("Helvetica", "", 8)
            self.cell(0, 10, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = Report()
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    pdf.alias_nb_pages()
    for n in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("Helvetica", "", 11)
        if n == 3:
            y = pdf.get_y()
            pdf.set_xy(10, y)
            pdf.multi_cell(90, 5, "PAGEMARK03 Left column first. "
                           + "The left column reads before the right one. " * 6)
            pdf.set_xy(110, y)
            pdf.multi_cell(90, 5, "Right column second RIGHTCOLUMN. "
                           + "The right column follows the left one. " * 6)
            continue
        pdf.multi_cell(0, 6, f"Section {n}. PAGEMARK{n:02d} In this quarter {topic(n)}. "
                       + f"Retention on page {n} rose as support teams answered faster. " * 5)
        pdf.cell(0, 6, f"In {topic(n).split()[1]} the new infra-", new_x="LMARGIN", new_y="NEXT")
        pdf.cell(0, 6, f"structure carried the load of {topic(n).split()[1]} without a hitch.",
                 new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    make_report(path)
    return path


@pytest.fixture(scope="module")
def pdf_store(report_pdf, tmp_path_factory, embedder):
    from citegraph.graph.sqlite_store import SQLiteStore
    from citegraph.ingest.pipeline import Pipeline

    directory = tmp_path_factory.mktemp("pdf-store")
    with SQLiteStore(directory) as store:
        report = Pipeline(store, embedder).ingest_paths([str(report_pdf)])
        assert report.new == 1 and not report.failed, report.failed
    return directory


def test_metadata_and_furniture(report_pdf):
    from citegraph.ingest.readers import read_file

    [draft] = read_file(report_pdf, None)
    assert draft.id == "report.pdf"
    assert draft.title == "Northwind Market Report" and draft.author == "Ada Analyst"
    assert len(draft.pages) == 30
    assert HEADER not in draft.text and not re.search(r"Page \d+ of", draft.text)
    assert draft.text.count("infrastructure carried the load of") == 29
    assert "infra-" not in draft.text
    # lines wrapped at the margin are joined: no sentence is cut by a line break
    assert not re.search(r"[a-z,]\n[a-z]", draft.text)
    assert draft.text.count("Retention on page 5 rose as support teams answered faster.") == 5
    # every page's marker in reading order, and the left column before the right
    marks = re.findall(r"PAGEMARK(\d\d)", draft.text)
    assert marks == [f"{n:02d}" for n in range(1, 31)]
    assert draft.text.index("Left column first") < draft.text.index("RIGHTCOLUMN")


def test_passages_carry_pages_and_exact_offsets(pdf_store):
    from citegraph.graph.sqlite_store import SQLiteStore

    with SQLiteStore(pdf_store, readonly=True) as store:
        article = store.get_article("report.pdf")
        passages = store.article_passages("report.pdf")
    assert article.author == "Ada Analyst"
    seen_pages = []
    for p in passages:
        assert article.text[p.start:p.end] == p.text
        assert HEADER not in p.text and not re.search(r"Page \d+ of", p.text)
        marks = re.findall(r"PAGEMARK(\d\d)", p.text)
        assert all(int(m) == p.page for m in marks), (p.page, marks)
        seen_pages.append(p.page)
    assert seen_pages == sorted(seen_pages) and set(seen_pages) == set(range(1, 31))
    # every page's text is in a passage: the page texts put together are the passages'
    covered = "".join(p.text for p in passages)
    assert re.findall(r"PAGEMARK(\d\d)", covered) == [f"{n:02d}" for n in range(1, 31)]
    assert [p.start for p in passages] == sorted(p.start for p in passages)


def test_ask_cites_the_page(pdf_store, embedder, monkeypatch):
    from citegraph.cli import main
    from citegraph.runtime import Runtime

    monkeypatch.setattr(Runtime, "embedder", property(lambda self: embedder))
    result = CliRunner().invoke(main, ["ask", "Which branch heated its loading bays with "
                                       "geothermal water?", "--k", "3", "--store",
                                       str(pdf_store)])
    assert result.exit_code == 0, result.output
    first = next(line for line in result.stdout.splitlines() if line.startswith("[1]"))
    assert "(report.pdf, p. 17)" in first, result.stdout
    result = CliRunner().invoke(main, ["ask", "Which branch heated its loading bays with "
                                       "geothermal water?", "--json", "--store", str(pdf_store)])
    import json

    assert json.loads(result.stdout)["results"][0]["page"] == 17


def test_pages_show_the_page(pdf_store, tmp_path, embedder):
    import shutil

    from citegraph.webapp.server import BackgroundServer
    from webapp_support import http, make_app, q

    shutil.copytree(pdf_store, tmp_path / "store")
    with BackgroundServer(make_app(tmp_path / "store", embedder)) as running:
        found = http(running.url, "GET", "/?q=" + q("geothermal loading bays")).text
        assert '<span class="page">p. 17</span>' in found
        article = http(running.url, "GET", "/articles/report.pdf").text
        assert article.count('<span class="page">p. ') >= 30
        card = http(running.url, "GET", "/api/articles/report.pdf").json()
        assert {p["page"] for p in card["passages"]} == set(range(1, 31))


def test_scanned_pdf_without_text_is_one_line(tmp_path):
    from fpdf import FPDF

    from citegraph.ingest.readers import ReadError, read_file

    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.rect(20, 20, 150, 200, style="F")  # a picture of a page, no text layer
    pdf.output(str(tmp_path / "scan.pdf"))
    with pytest.raises(ReadError, match=r"no text layer .*2 page\(s\).*OCR"):
        read_file(tmp_path / "scan.pdf", None)


def test_broken_and_hostile_pdfs_are_one_line_each(tmp_path):
    from citegraph.ingest.readers import ReadError, read_file

    cases = {"garbage.pdf": b"%PDF-1.4\nnot really a pdf at all",
             "empty.pdf": b"",
             "truncated.pdf": (tmp_path / "full.pdf")}
    make_report(tmp_path / "full.pdf", pages=2)
    cases["truncated.pdf"] = (tmp_path / "full.pdf").read_bytes()[:600]
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ReadError) as caught:
            read_file(tmp_path / name, None)
        assert "\n" not in str(caught.value), name


@pytest.mark.parametrize("method", ["RC4", "AES_128", "AES_256"])
def test_encrypted_pdf(tmp_path, method):
    """Readable without a password (an owner password only, as many published reports are):
    read, whichever cipher it uses (AES needs pypdf's crypto extra); a user password: one
    line saying so."""
    from fpdf import FPDF
    from fpdf.enums import EncryptionMethod

    from citegraph.ingest.readers import ReadError, read_file

    for name, user in (("open.pdf", ""), ("locked.pdf", "secret")):
        pdf = FPDF()
        pdf.set_encryption(owner_password="owner", user_password=user,
                           encryption_method=EncryptionMethod[method])
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        pdf.cell(0, 10, "Encrypted words about call queues.")
        pdf.output(str(tmp_path / name))
    [draft] = read_file(tmp_path / "open.pdf", None)
    assert "Encrypted words about call queues." in draft.text
    with pytest.raises(ReadError, match="encrypted PDF: .*password"):
        read_file(tmp_path / "locked.pdf", None)


def test_short_pdf_without_metadata_keeps_its_lines(tmp_path):
    """Two pages are too few to tell running furniture from text: nothing is dropped; the
    title is the first line when the metadata has none."""
    from citegraph.ingest.readers import read_file

    make_report(tmp_path / "short.pdf", pages=2, title="", author="")
    [draft] = read_file(tmp_path / "short.pdf", None)
    assert draft.title == HEADER and draft.author == ""
    assert draft.text.count(HEADER) == 2


def test_chapter_running_heads_and_bare_page_numbers(tmp_path):
    """A running head that changes with the chapter (each on a third of the pages) and a bare
    page number over the text are furniture too; the chapters' own words stay."""
    from fpdf import FPDF

    from citegraph.ingest.readers import read_file

    class Book(FPDF):
        def header(self):
            self.set_font("Helvetica", "", 9)
            chapter = (self.page_no() - 1) // 4 + 1
            self.cell(0, 6, f"Chapter {chapter}: {['Intro', 'Method', 'Results'][chapter - 1]}"
                            f" {self.page_no()}", new_x="LMARGIN", new_y="NEXT")
            self.cell(0, 6, str(self.page_no()), new_x="LMARGIN", new_y="NEXT")

    pdf = Book()
    for n in range(1, 13):
        pdf.add_page()
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, f"BODY{n:02d} {topic(n)} while the chapter went on. " * 3)
    pdf.output(str(tmp_path / "book.pdf"))
    [draft] = read_file(tmp_path / "book.pdf", None)
    assert "Chapter" not in draft.text, draft.text[:300]
    assert re.findall(r"BODY(\d\d)", draft.text)[::3] == [f"{n:02d}" for n in range(1, 13)]
    for start in draft.pages:
        assert draft.text[start:].startswith("BODY")
