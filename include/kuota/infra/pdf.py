"""Printable documents a person signs (the principal's SPTJM, the provider's BAST), laid out
with ReportLab in a Unicode TrueType font.

A principal signs the names printed, so every name must print whole and as written in Dapodik:
DejaVu Sans draws the Latin of Indonesian, Arabic-transliterated and Vietnamese names with
their diacritics, and long names wrap inside their cell instead of being cut. The text layer
holds the same Unicode (``pdftotext`` gives the names back). The font is Debian's
``fonts-dejavu-core`` (``make venv`` and the Dockerfile install it; ``KUOTA_PDF_FONT_DIR``
points elsewhere): nothing is fetched at run time.

The same input gives the same bytes (ReportLab's invariant mode: no creation date, a fixed
document id), so a document rewritten on a retry is identical and its sha256 in the manifest
stands. A document is laid out first and drawn after, which is how every page can say
"halaman x / y".
"""

from __future__ import annotations

import functools
import io
import logging
import os
from dataclasses import dataclass

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

log = logging.getLogger(__name__)
rl_config.useA85 = 0  # binary streams: a fifth smaller, and no base-85 pass over each page

PAGE_W, PAGE_H = A4
MARGIN = 40
TOP = PAGE_H - 36
BOTTOM = 44
WIDTH = PAGE_W - 2 * MARGIN
SIZE = 9
LEADING = 11.5
PAD = 3  # inside a table cell
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
FONT_DIR = "/usr/share/fonts/truetype/dejavu"
# The programme's letterhead, on every page of the SPTJM and the BAST (then their period).
LETTERHEAD = (
    "KEMENTERIAN PENDIDIKAN DAN KEBUDAYAAN REPUBLIK INDONESIA",
    "Pusat Data dan Teknologi Informasi (Pusdatin)",
    "Program Bantuan Kuota Data Internet",
)


@functools.cache
def _fonts() -> dict[str, TTFont]:
    """DejaVu Sans, registered once per process (parsing the font is the costly part)."""
    folder = os.environ.get("KUOTA_PDF_FONT_DIR", FONT_DIR)
    fonts = {}
    for name in (REGULAR, BOLD):
        path = os.path.join(folder, f"{name}.ttf")
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"the PDF font {path} is missing: install Debian's fonts-dejavu-core "
                "(make venv does, as root; the Dockerfile does), or set KUOTA_PDF_FONT_DIR to a folder "
                f"holding {REGULAR}.ttf and {BOLD}.ttf"
            )
        fonts[name] = TTFont(name, path)
        pdfmetrics.registerFont(fonts[name])
    return fonts


def text_width(text: str, bold: bool = False, size: float = SIZE) -> float:
    _fonts()
    return pdfmetrics.stringWidth(text, BOLD if bold else REGULAR, size)


@functools.cache
def _glyphs() -> frozenset[int]:
    """The code points both weights of the font can draw."""
    fonts = _fonts()
    return frozenset(fonts[REGULAR].face.charToGlyph) & frozenset(fonts[BOLD].face.charToGlyph)


def missing_glyphs(text: str) -> set[str]:
    """The characters of ``text`` the font cannot draw."""
    glyphs = _glyphs()
    if glyphs.issuperset(map(ord, text)):
        return set()
    return {c for c in text if ord(c) not in glyphs and not c.isspace()}


def printable(text: str) -> str:
    """``text`` with each character the font cannot draw written as its code point
    (``<U+9648>``): on paper a reader sees that something is there and what, where a font's
    empty box would hide it, and the text layer keeps it recoverable."""
    glyphs = _glyphs()
    if glyphs.issuperset(map(ord, text)) or all(ord(c) in glyphs or c.isspace() for c in text):
        return text
    return "".join(c if ord(c) in glyphs or c.isspace() else f"<U+{ord(c):04X}>" for c in text)


def wrap(text: str, width: float, bold: bool = False, size: float = SIZE) -> list[str]:
    """Lines of at most ``width`` points, broken between words; a word longer than a line is
    broken between characters. Nothing is dropped: the lines joined by spaces give the text
    back (its runs of blanks as one)."""
    lines: list[str] = []
    line = ""
    for word in printable(text).split():
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, bold, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while text_width(line, bold, size) > width and len(line) > 1:
            cut = len(line) - 1
            while cut > 1 and text_width(line[:cut], bold, size) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    return [*lines, line] if line or not lines else lines


@dataclass(frozen=True)
class Column:
    title: str
    width: float  # points
    align: str = "left"  # left, right or center


class Document:
    """A letterhead on every page, then paragraphs, field lists, tables with a grid (their
    header repeated on each page) and signature blocks, top to bottom, page after page."""

    def __init__(self, letterhead: tuple[str, ...], reference: str, title: str):
        self.letterhead, self.reference, self.title = letterhead, reference, title
        self.pages: list[list[tuple]] = []
        self.missing: set[str] = set()
        self.new_page()

    # -- layout ------------------------------------------------------------------------
    def new_page(self) -> None:
        self.pages.append([])
        self.y = TOP - len(self.letterhead) * (LEADING + 1) - 10

    def keep(self, height: float) -> None:
        """Start a new page unless ``height`` more points fit on this one."""
        if self.y - height < BOTTOM:
            self.new_page()

    def space(self, points: float = LEADING / 2) -> None:
        self.y -= points

    def text_at(self, x: float, dy: float, value: str, bold: bool = False, size: float = SIZE, align="left") -> None:
        """One line at ``x``, ``dy`` points below the current line (nothing moves)."""
        self.pages[-1].append(("text", x, self.y - dy - size, self._printable(value), bold, size, align))

    def _printable(self, value: str) -> str:
        self.missing |= missing_glyphs(value)
        return printable(value)

    def box(self, x: float, dy: float, width: float, height: float, label: str = "", dash: bool = False) -> None:
        """A rectangle (a stamp, a duty stamp, a signature), labelled in its top left corner."""
        self.pages[-1].append(("rect", x, self.y - dy - height, width, height, dash))
        if label:
            self.text_at(x + 3, dy + 2, label, size=6.5)

    def rule(self, dy: float = 0, weight: float = 0.5) -> None:
        self.pages[-1].append(("line", MARGIN, self.y - dy, PAGE_W - MARGIN, self.y - dy, weight))

    def paragraph(
        self, value: str = "", bold: bool = False, size: float = SIZE, indent: float = 0, align: str = "left"
    ) -> None:
        """Wrapped to the page's width; a page may break between its lines."""
        leading = size * LEADING / SIZE
        value = self._printable(value)
        for line in wrap(value, WIDTH - indent, bold, size) if value else [""]:
            self.keep(leading)
            x = {"left": MARGIN + indent, "center": PAGE_W / 2, "right": PAGE_W - MARGIN}[align]
            self.text_at(x, 0, line, bold, size, align)
            self.y -= leading

    def heading(self, title: str, *lines: str) -> None:
        """The document's title, centred, and the lines under it (its number, its basis)."""
        self.paragraph(title, bold=True, size=12, align="center")
        for line in lines:
            self.paragraph(line, align="center")
        self.space()

    def fields(self, pairs: list[tuple[str, str]], label_width: float = 130, indent: float = 12) -> None:
        """``label : value`` lines, the values wrapped beside their labels."""
        for label, value in pairs:
            lines = wrap(self._printable(value), WIDTH - indent - label_width - 8)
            self.keep(len(lines) * LEADING)
            self.text_at(MARGIN + indent, 0, label)
            self.text_at(MARGIN + indent + label_width, 0, ":")
            for n, line in enumerate(lines):
                self.text_at(MARGIN + indent + label_width + 8, n * LEADING, line)
            self.y -= len(lines) * LEADING

    def table(self, columns: list[Column], rows: list[tuple], bold_rows: frozenset[int] = frozenset()) -> None:
        """A grid; each cell's text wraps inside it, a row never splits across pages, and the
        header row is drawn again at the top of every page the table continues on."""
        assert abs(sum(c.width for c in columns) - WIDTH) < 0.5, "the columns fill the page's width"
        header = [wrap(c.title, c.width - 2 * PAD, True) for c in columns]
        header_h = max(map(len, header)) * LEADING + 2 * PAD
        self.keep(header_h + LEADING + 2 * PAD)
        self._row(columns, header, header_h, bold=True, shade=True)
        for n, row in enumerate(rows):
            values = [self._printable(str(value)) for value in row]
            cells = [wrap(value, c.width - 2 * PAD) for c, value in zip(columns, values, strict=True)]
            height = max(map(len, cells)) * LEADING + 2 * PAD
            if self.y - height < BOTTOM:
                self.new_page()
                self._row(columns, header, header_h, bold=True, shade=True)
            self._row(columns, cells, height, bold=n in bold_rows)

    def _row(self, columns, cells, height, bold=False, shade=False) -> None:
        x = MARGIN
        if shade:
            self.pages[-1].append(("fill", MARGIN, self.y - height, WIDTH, height))
        for column, lines in zip(columns, cells, strict=True):
            self.pages[-1].append(("rect", x, self.y - height, column.width, height, False))
            at = {"left": x + PAD, "right": x + column.width - PAD, "center": x + column.width / 2}[column.align]
            for n, line in enumerate(lines):
                self.text_at(at, PAD + n * LEADING - 1.5, line, bold, SIZE, column.align)
            x += column.width
        self.y -= height

    # -- drawing -----------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        if self.missing:  # code points only: never the name they are in
            log.warning(
                "%s: %d characters the font cannot draw, printed as their code points (%s): "
                "check the names against Dapodik",
                self.title,
                len(self.missing),
                " ".join(f"U+{ord(c):04X}" for c in sorted(self.missing)),
            )
        out = io.BytesIO()
        pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1, invariant=1)
        pdf.setTitle(self.title)
        pdf.setAuthor("Pusdatin Kemendikbud")
        pdf.setCreator("kuota")
        total = len(self.pages)
        for number, ops in enumerate(self.pages, 1):
            self._frame(pdf, number, total)
            _draw_shapes(pdf, ops)
            _draw_texts(pdf, ops)
            pdf.showPage()
        pdf.save()
        return out.getvalue()

    def _frame(self, pdf, number: int, total: int) -> None:
        """The letterhead, its rule, and the footer: the document's reference and the page."""
        y = TOP
        for n, line in enumerate(self.letterhead):
            pdf.setFont(BOLD if n == 0 else REGULAR, 10.5 if n == 0 else 8.5)
            pdf.drawCentredString(PAGE_W / 2, y - 9, line)
            y -= LEADING + 1
        pdf.setLineWidth(1.2)
        pdf.line(MARGIN, y - 3, PAGE_W - MARGIN, y - 3)
        pdf.setLineWidth(0.5)
        pdf.line(MARGIN, BOTTOM - 8, PAGE_W - MARGIN, BOTTOM - 8)
        pdf.setLineWidth(1)
        pdf.setFont(REGULAR, 7.5)
        pdf.drawString(MARGIN, BOTTOM - 18, self.reference)
        pdf.drawRightString(PAGE_W - MARGIN, BOTTOM - 18, f"halaman {number} / {total}")


def _draw_shapes(pdf, ops: list[tuple]) -> None:
    """The page's shading first (under everything), then its boxes and rules."""
    for op in ops:
        if op[0] == "fill":
            _, x, y, w, h = op
            pdf.setFillGray(0.9)
            pdf.rect(x, y, w, h, stroke=0, fill=1)
            pdf.setFillGray(0)
    dashed = False
    for op in ops:
        if op[0] == "rect":
            _, x, y, w, h, dash = op
            if dash != dashed:
                pdf.setDash(2, 2) if dash else pdf.setDash()
                dashed = dash
            pdf.rect(x, y, w, h, stroke=1, fill=0)
        elif op[0] == "line":
            _, x1, y1, x2, y2, weight = op
            pdf.setLineWidth(weight)
            pdf.line(x1, y1, x2, y2)
            pdf.setLineWidth(1)
    if dashed:
        pdf.setDash()


def _draw_texts(pdf, ops: list[tuple]) -> None:
    """Every text of the page in one text object, in layout order (so a text extractor reads
    a table row by row, a wrapped name's lines one after the other)."""
    text = pdf.beginText()
    font = None
    for op in ops:
        if op[0] != "text":
            continue
        _, x, y, value, bold, size, align = op
        name = BOLD if bold else REGULAR
        if (name, size) != font:
            text.setFont(name, size)
            font = (name, size)
        if align != "left":
            width = pdfmetrics.stringWidth(value, name, size)
            x -= width if align == "right" else width / 2
        text.setTextOrigin(x, y)
        text.textOut(value)
    pdf.drawText(text)
