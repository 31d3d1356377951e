"""The one place that writes CSV and XLSX files: cells from untrusted text stay text.

Ledger cells, unit codes and the like are typed by people outside the server's control. A cell
starting with = + - @ tab or CR is run as a formula by Excel/LibreOffice when a CSV is opened
(and openpyxl even stores "=..." as a live formula), so a location such as
=HYPERLINK("http://…"&A1,"x") could leak the sheet or run a command. Every spreadsheet and CSV
the service hands out goes through `to_csv` / `to_xlsx` here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: object) -> object:
    """A CSV has no types: a leading apostrophe makes Excel show the text and run nothing."""
    return "'" + value if is_formula_like(value) else value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with BOM so that Excel opens Chinese text right."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([csv_cell(c) for c in header])
    for row in rows:
        writer.writerow([csv_cell(c) for c in row])
    return buf.getvalue().encode("utf-8-sig")


def _xlsx_value(value: object) -> object:
    # Control characters XLSX cannot hold would make openpyxl raise: show them as U+FFFD.
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value


def to_xlsx(sheets: dict[str, tuple[Sequence[str], Iterable[Sequence[object]]]]) -> bytes:
    """One sheet per entry, bold frozen header. Formula-like text is stored as a text cell with
    Excel's quote prefix: it reads exactly as typed and stays text even when edited."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for title, (header, rows) in sheets.items():
        ws = wb.create_sheet(title[:31])
        for values in [header, *rows]:
            ws.append([_xlsx_value(v) for v in values])
            for cell in ws[ws.max_row]:
                if is_formula_like(cell.value):
                    cell.data_type = "s"  # openpyxl made "=..." a formula
                    cell.quotePrefix = True
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
