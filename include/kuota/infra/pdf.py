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
import hashlib
import io
import logging
import os
import re
import threading
import unicodedata
from dataclasses import dataclass

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.pdfbase import pdfdoc, pdfmetrics
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


# ReportLab's fonts are shared by every document of the process, and subsetting one reads the
# font file through a shared cursor: two threads rendering at once garble or fail a document.
# The writer threads render one document at a time (they spend it holding the GIL anyway),
# and the first of them to need the fonts loads them while the others wait: two threads
# loading them at once register two copies of a font, which one document then embeds twice.
_REPORTLAB = threading.RLock()
_LOADED: dict[str, TTFont] = {}


def _fonts() -> dict[str, TTFont]:
    """DejaVu Sans, registered once per process (parsing the font is the costly part)."""
    if not _LOADED:
        with _REPORTLAB:
            if not _LOADED:
                _LOADED.update(_load_fonts())
    return _LOADED


def _load_fonts() -> dict[str, TTFont]:
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
        _reuse_font_programs(fonts[name])
        pdfmetrics.registerFont(fonts[name])
        with open(path, "rb") as font:
            # The documents' bytes follow the font file's: workers with another build of it
            # write other bytes for the same SPTJM (the log tells them apart).
            log.info("PDF font %s: %s, sha256 %s", name, path, hashlib.sha256(font.read()).hexdigest())
    return fonts


def _reuse_font_programs(font: TTFont, keep: int = 64) -> None:
    """Each document embeds a subset of the font, made and compressed per document: about
    half of a short SPTJM's rendering. A subset depends only on its characters in their
    order, and every document that draws only ASCII (most SPTJMs) has the same one, so the
    last ``keep`` subsets are kept, made and compressed once, and the bytes stay the same.
    ReportLab 5.1's own subsetting (``makeSubset``, ``addSubsetObjects``) is wrapped, not
    copied."""
    face = font.face
    make_subset, add_subset_objects = face.makeSubset, face.addSubsetObjects
    program = functools.lru_cache(keep)(lambda characters: make_subset(list(characters)))
    flate = pdfdoc.PDFStreamFilterZCompress()
    flate.encode = functools.lru_cache(keep)(flate.encode)  # the same program, the same bytes

    def subset_objects(doc, fontname: str, subset: list[int]):
        descriptor = add_subset_objects(doc, fontname, subset)
        stream = doc.idToObject[f"fontFile:{face.filename}({fontname})"]
        if stream.filters:  # compressed documents only
            stream.filters = [flate]
        return descriptor

    face.makeSubset = lambda subset: program(tuple(subset))
    face.addSubsetObjects = subset_objects


def text_width(text: str, bold: bool = False, size: float = SIZE) -> float:
    return _fonts()[BOLD if bold else REGULAR].stringWidth(text, size)


def _drawable(c: str, glyphs: frozenset[int]) -> bool:
    """In the font, written left to right, and visible: a right-to-left letter would print
    reversed and unjoined (no shaping here), an invisible format character (a zero-width
    space, a direction override, a soft hyphen) would hide inside a name."""
    return (
        ord(c) in glyphs and unicodedata.bidirectional(c) not in ("R", "AL", "AN") and unicodedata.category(c) != "Cf"
    )


@functools.cache
def _glyphs() -> frozenset[int]:
    """The code points both weights of the font draw as they should (``_drawable``)."""
    fonts = _fonts()
    both = frozenset(fonts[REGULAR].face.charToGlyph) & frozenset(fonts[BOLD].face.charToGlyph)
    return frozenset(cp for cp in both if _drawable(chr(cp), both))


@functools.cache
def _draws_ascii() -> bool:
    return _glyphs().issuperset(range(0x20, 0x7F))


def _plain(text: str) -> bool:
    """Printable ASCII the font draws: most of a document (numbers, codes, most names), which
    needs neither composing nor checking glyph by glyph."""
    return text.isascii() and text.isprintable() and _draws_ascii()


def missing_glyphs(text: str) -> set[str]:
    """The characters of ``text`` the font cannot draw as written."""
    if _plain(text):
        return set()
    glyphs = _glyphs()
    text = unicodedata.normalize("NFC", text)
    if glyphs.issuperset(map(ord, text)):
        return set()
    return {c for c in text if ord(c) not in glyphs and not c.isspace()}


def printable(text: str) -> str:
    """``text`` in composed form (NFC: a letter and its marks as one character where Unicode
    has one, so that they print as one), with each character the font cannot draw as written
    given as its code point (``<U+9648>``): on paper a reader sees that something is there
    and what, where a font's empty box would hide it, and the text layer keeps it."""
    if _plain(text):
        return text
    glyphs = _glyphs()
    text = unicodedata.normalize("NFC", text)
    if glyphs.issuperset(map(ord, text)) or all(ord(c) in glyphs or c.isspace() for c in text):
        return text
    return "".join(c if ord(c) in glyphs or c.isspace() else f"<U+{ord(c):04X}>" for c in text)


# What a line may break inside a word longer than the line: never inside a code point written
# out, nor between a letter and the marks that follow it.
_UNIT = re.compile(r"<U\+[0-9A-F]{4,6}>|.[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]*", re.S)


def wrap(text: str, width: float, bold: bool = False, size: float = SIZE) -> list[str]:
    """Lines of at most ``width`` points, broken between words; a word longer than a line is
    broken between its characters (``_UNIT``). Nothing is dropped: the lines joined by
    spaces give the text back (its runs of blanks as one)."""
    words = printable(text).split()
    whole = " ".join(words)
    if text_width(whole, bold, size) <= width:  # most cells: one line (the widths only add up)
        return [whole]
    lines: list[str] = []
    line = ""
    for word in words:
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, bold, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for unit in _UNIT.findall(word):
            if line and text_width(line + unit, bold, size) > width:
                lines.append(line)
                line = ""
            line += unit
    return [*lines, line] if line or not lines else lines


def angka(n: int) -> str:
    """A count as an Indonesian form prints it, thousands grouped by a dot (8.946), as the
    meterai's "Rp 6.000": a comma would read as the decimal mark to the signer."""
    return f"{int(n):,}".replace(",", ".")


def meterai(periode: str) -> str:
    """The duty stamp a signed document carries in its period: Rp 6.000 until 2020, Rp 10.000
    from 1 January 2021 (Undang-Undang 10/2020 on stamp duty)."""
    return "Meterai Rp 10.000" if periode >= "2021-01" else "Meterai Rp 6.000"


def report_missing(title: str, missing: set[str]) -> None:
    """A warning naming a document's characters the font could not draw as written, by code
    point only, never the name they are in (a process that renders for another hands them
    back to be reported where the task's log is)."""
    if missing:
        log.warning(
            "%s: %d characters the font cannot draw as written, printed as their code points (%s): "
            "check the names against Dapodik",
            title,
            len(missing),
            " ".join(f"U+{ord(c):04X}" for c in sorted(missing)),
        )


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
        self.y = self._page_top()

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
        """``label : value`` lines, the values wrapped beside their labels (a page may break
        between the lines of a long value)."""
        for label, value in pairs:
            lines = wrap(self._printable(value), WIDTH - indent - label_width - 8)
            self.keep(LEADING)
            self.text_at(MARGIN + indent, 0, label)
            self.text_at(MARGIN + indent + label_width, 0, ":")
            for line in lines:
                self.keep(LEADING)
                self.text_at(MARGIN + indent + label_width + 8, 0, line)
                self.y -= LEADING

    def table(self, columns: list[Column], rows: list[tuple], bold_rows: frozenset[int] = frozenset()) -> None:
        """A grid; each cell's text wraps inside it, and the header row heads every page the
        table is on. A row goes whole to the next page when it does not fit on this one; a
        row taller than a whole page is split, its cells continued on the next."""
        assert abs(sum(c.width for c in columns) - WIDTH) < 0.5, "the columns fill the page's width"
        header = [wrap(c.title, c.width - 2 * PAD, True) for c in columns]
        header_h = self._height(header)
        room = self._page_top() - header_h - BOTTOM  # for rows, on a page of their own
        headed = False  # the header is on this page
        for n, row in enumerate(rows):
            bold = n in bold_rows
            values = [self._printable(str(value)) for value in row]
            cells = [wrap(value, c.width - 2 * PAD, bold) for c, value in zip(columns, values, strict=True)]
            while cells:
                height = self._height(cells)
                if not headed:  # never a header alone at a page's foot: with the row, or the
                    # first line of a row taller than a page
                    if self.y - header_h - (height if height <= room else self._height([[""]])) < BOTTOM:
                        self.new_page()
                    self._row(columns, header, header_h, bold=True, shade=True)
                    headed = True
                if self.y - height >= BOTTOM:
                    self._row(columns, cells, height, bold=bold)
                    break
                fit = int((self.y - BOTTOM - 2 * PAD) // LEADING)
                if height <= room or fit < 1:
                    self.new_page()
                    headed = False
                    continue
                part = [c[:fit] for c in cells]
                self._row(columns, part, self._height(part), bold=bold)
                cells = [c[fit:] for c in cells]
                self.new_page()
                headed = False

    def _page_top(self) -> float:
        return TOP - len(self.letterhead) * (LEADING + 1) - 10

    @staticmethod
    def _height(cells: list[list[str]]) -> float:
        return max(1, *map(len, cells)) * LEADING + 2 * PAD

    def _row(self, columns, cells, height, bold=False, shade=False) -> None:
        x, page = MARGIN, self.pages[-1]
        if shade:
            page.append(("fill", MARGIN, self.y - height, WIDTH, height))
        for column, lines in zip(columns, cells, strict=True):
            page.append(("rect", x, self.y - height, column.width, height, False))
            at = {"left": x + PAD, "right": x + column.width - PAD, "center": x + column.width / 2}[column.align]
            for n, line in enumerate(lines):  # wrapped, so printable already
                page.append(("text", at, self.y - PAD - n * LEADING + 1.5 - SIZE, line, bold, SIZE, column.align))
            x += column.width
        self.y -= height

    # -- drawing -----------------------------------------------------------------------
    def render(self) -> bytes:
        """The PDF, and in the log the characters it could not draw (report_missing)."""
        pdf = self.to_bytes()
        report_missing(self.title, self.missing)
        return pdf

    def to_bytes(self) -> bytes:
        with _REPORTLAB:
            return self._to_bytes()

    def _to_bytes(self) -> bytes:
        out = io.BytesIO()
        pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1, invariant=1)
        pdf.setTitle(self.title)
        pdf.setAuthor("Pusdatin Kemendikbud")
        pdf.setCreator("kuota")
        total = len(self.pages)
        encoded: dict = {}  # of this document's fonts (their subsets are the document's)
        for number, ops in enumerate(self.pages, 1):
            ops = self._frame(number, total) + ops
            _draw_shapes(pdf, ops)
            _draw_texts(pdf, ops, encoded)
            pdf.showPage()
        pdf.save()
        return out.getvalue()

    def _frame(self, number: int, total: int) -> list[tuple]:
        """The letterhead, its rule, and the footer: the document's reference and the page."""
        ops, y = [], TOP
        for n, line in enumerate(self.letterhead):
            ops.append(("text", PAGE_W / 2, y - 9, line, n == 0, 10.5 if n == 0 else 8.5, "center"))
            y -= LEADING + 1
        ops.append(("line", MARGIN, y - 3, PAGE_W - MARGIN, y - 3, 1.2))
        ops.append(("line", MARGIN, BOTTOM - 8, PAGE_W - MARGIN, BOTTOM - 8, 0.5))
        ops.append(("text", MARGIN, BOTTOM - 18, self.reference, False, 7.5, "left"))
        ops.append(("text", PAGE_W - MARGIN, BOTTOM - 18, f"halaman {number} / {total}", False, 7.5, "right"))
        return ops


def _draw_shapes(pdf, ops: list[tuple]) -> None:
    """The page's shading first (under everything), then its boxes and rules, as one path per
    kind of stroke (a table's grid is a few thousand rectangles a document)."""
    fills, solid, dashed, rules = [], [], [], []
    for op in ops:
        if op[0] == "fill":
            fills.append(f"{fp_str(*op[1:5])} re")
        elif op[0] == "rect":
            (dashed if op[5] else solid).append(f"{fp_str(*op[1:5])} re")
        elif op[0] == "line":
            _, x1, y1, x2, y2, weight = op
            rules.append(f"{fp_str(weight)} w {fp_str(x1, y1)} m {fp_str(x2, y2)} l S")
    code = ["q"]
    if fills:
        code += ["0.9 g", *fills, "f", "0 g"]
    if solid:
        code += ["1 w", *solid, "S"]
    if dashed:
        code += ["[2 2] 0 d", *dashed, "S", "[] 0 d"]
    code += [*rules, "Q"]
    pdf._code.append("\n".join(code))


def _draw_texts(pdf, ops: list[tuple], encoded: dict) -> None:
    """Every text of the page in one text object, in layout order (so a text extractor reads
    a table row by row, a wrapped name's lines one after the other).

    The operators are written here rather than through ReportLab's text object, which also
    tracks a cursor and a leading no line here uses: a table's texts are most of a document's
    operators, and this is half the time. The glyphs still go through the font's subsets
    (``splitString``), so the document embeds only the glyphs it draws; a text met again
    (a provider, a package) is taken from ``encoded``: a glyph keeps its subset and code."""
    fonts, doc = _fonts(), pdf._doc
    code = ["BT"]
    current = None  # (font, subset, size) of the last Tf
    for op in ops:
        if op[0] != "text":
            continue
        _, x, y, value, bold, size, align = op
        font = fonts[BOLD if bold else REGULAR]
        if align != "left":
            width = font.stringWidth(value, size)
            x -= width if align == "right" else width / 2
        code.append(f"1 0 0 1 {fp_str(x, y)} Tm")
        key = (font, value)
        if key not in encoded:
            encoded[key] = [(subset, f"({escapePDF(chunk)}) Tj") for subset, chunk in font.splitString(value, doc)]
        for subset, shown in encoded[key]:
            if (font, subset, size) != current:
                code.append(f"{font.getSubsetInternalName(subset, doc)} {fp_str(size)} Tf")
                current = (font, subset, size)
            code.append(shown)
    code.append("ET")
    pdf._code.append("\n".join(code))
