"""A small, deterministic PDF writer for printable documents (the SPTJM).

Monospaced text on A4 pages plus boxes, built from PDF 1.4 primitives: no dependency, and the
same input always gives the same bytes (no creation date, no random ids), so a document
rewritten on a retry is byte-identical to the first.
"""

from __future__ import annotations

PAGE_W, PAGE_H = 595, 842  # A4, points
MARGIN = 42
FONT_SIZE = 9
LEADING = 12
CHAR_W = FONT_SIZE * 0.6  # Courier's advance width
LINES_PER_PAGE = int((PAGE_H - 2 * MARGIN) / LEADING)
COLUMNS = int((PAGE_W - 2 * MARGIN) / CHAR_W)


def _escape(text: str) -> str:
    text = text.encode("latin-1", "replace").decode("latin-1")
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


class Document:
    """Lines of text (optionally bold) and boxes, laid out top to bottom, page after page."""

    def __init__(self):
        self.pages: list[list[str]] = [[]]
        self.line = 0

    def _ops(self) -> list[str]:
        return self.pages[-1]

    def new_page(self) -> None:
        self.pages.append([])
        self.line = 0

    def keep(self, lines: int) -> None:
        """Start a new page unless ``lines`` more fit on this one."""
        if self.line + lines > LINES_PER_PAGE:
            self.new_page()

    def text(self, value: str = "", bold: bool = False) -> None:
        self.keep(1)
        y = PAGE_H - MARGIN - (self.line + 1) * LEADING
        font = "/F2" if bold else "/F1"
        self._ops().append(f"BT {font} {FONT_SIZE} Tf {MARGIN} {y} Td ({_escape(value[:COLUMNS])}) Tj ET")
        self.line += 1

    def box(self, column: int, width: int, lines: int, label: str) -> None:
        """A rectangle over the next ``lines`` lines (a stamp or signature field), labelled."""
        self.keep(lines)
        top = PAGE_H - MARGIN - self.line * LEADING - 2
        x = MARGIN + column * CHAR_W
        self._ops().append(f"{x:.1f} {top - lines * LEADING:.1f} {width * CHAR_W:.1f} {lines * LEADING:.1f} re S")
        self._ops().append(f"BT /F1 7 Tf {x + 3:.1f} {top - 9:.1f} Td ({_escape(label)}) Tj ET")

    def to_bytes(self) -> bytes:
        objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            None,
            "<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Courier-Bold /Encoding /WinAnsiEncoding >>",
        ]
        kids = []
        for number, ops in enumerate(self.pages, 1):
            footer = f"BT /F1 7 Tf {MARGIN} {MARGIN / 2:.0f} Td (halaman {number} / {len(self.pages)}) Tj ET"
            stream = "\n".join(ops + [footer]).encode("latin-1")
            objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode("latin-1") + stream + b"\nendstream")
            objects.append(
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
                f"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {len(objects)} 0 R >>"
            )
            kids.append(f"{len(objects)} 0 R")
        objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, 1):
            offsets.append(len(out))
            body = body if isinstance(body, bytes) else body.encode("latin-1")
            out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
        out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
        out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
        return bytes(out)
