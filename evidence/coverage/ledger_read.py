"""Reading a ledger file (CSV or XLSX) row by row, within limits that a hostile file cannot pass.

A ledger comes from outside: a 1.6 KB XLSX may declare A1:XFD20000 (openpyxl then pads every row
to 16,384 cells), a 1.5 MB zip may inflate to gigabytes, a CSV may hold millions of rows. The
limits below are checked before the rows are read wherever the file states its size (zip
directory, XLSX dimension, a counting pass over the CSV), and while reading otherwise. Rows are
streamed from the file, never all held in memory.
"""

from __future__ import annotations

import codecs
import csv
import io
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import openpyxl
from openpyxl.utils import get_column_letter

MAX_FILE_MB = 50
MAX_ROWS = 100_000          # event rows, header not counted
MAX_COLUMNS = 64
MAX_UNCOMPRESSED_MB = 64    # an XLSX's parts once unpacked

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls
_CHUNK = 1024 * 1024


class LedgerTooLarge(ValueError):
    """The file passes a size limit; the message names the limit (HTTP 413)."""


def read_rows(stream: BinaryIO, filename: str) -> Iterator[tuple[int, list[object]]]:
    """(line, cells) for every record, line 1 first (first sheet for XLSX); may yield empty rows.

    Raises ValueError for an unreadable file, LedgerTooLarge past a limit."""
    size = stream.seek(0, io.SEEK_END)
    if size > MAX_FILE_MB * 1024 * 1024:
        raise LedgerTooLarge(f"the ledger file is {size / 1024 / 1024:.1f} MB; at most {MAX_FILE_MB} MB "
                             "is accepted: split it into several files")
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    if head.startswith(_ZIP_MAGIC) or filename.lower().endswith(".xlsx"):
        return _xlsx_rows(stream)
    if head.startswith(_OLE_MAGIC):
        raise ValueError("this is an old Excel 97-2003 (.xls) file; save it as .xlsx or CSV")
    return _csv_rows(stream, _csv_encoding(stream))


def _too_many_rows(rows: int) -> LedgerTooLarge:
    return LedgerTooLarge(f"the ledger has {rows:,} or more event rows; at most {MAX_ROWS:,} rows are accepted "
                          "in one file: split it into several files")


def _too_many_columns(columns: int, line: int) -> LedgerTooLarge:
    return LedgerTooLarge(f"line {line} has {columns} columns; at most {MAX_COLUMNS} columns are accepted: "
                          "delete the unused columns")


# --- CSV -------------------------------------------------------------------------------------

def _csv_encoding(stream: BinaryIO) -> str:
    """Excel in China saves CSV as GBK unless 'CSV UTF-8' is chosen; GB18030 is its superset."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        stream.seek(0)
        try:
            while chunk := stream.read(_CHUNK):
                if b"\x00" in chunk:
                    raise ValueError(
                        "the file is not a CSV text file (it contains NUL bytes, e.g. Excel 'Unicode text'); "
                        "save it as 'CSV UTF-8' or .xlsx")
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise ValueError("the file is neither UTF-8 nor GBK/GB18030 text; save it as CSV or .xlsx")


@contextmanager
def _csv_records(stream: BinaryIO, encoding: str):
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        yield csv.reader(text)
    finally:
        if not stream.closed:
            text.detach()  # the upload's file stays open for its owner


def _csv_rows(stream: BinaryIO, encoding: str) -> Iterator[tuple[int, list[object]]]:
    try:
        records = 0
        with _csv_records(stream, encoding) as reader:  # counting pass: refuse before importing anything
            for record in reader:
                if len(record) > MAX_COLUMNS:
                    raise _too_many_columns(len(record), reader.line_num)
                records += bool(record)
                if records > MAX_ROWS + 1:
                    raise _too_many_rows(records - 1)
    except csv.Error as exc:
        raise ValueError(f"the CSV file could not be read: {exc}") from exc
    return _csv_rows_by_line(stream, encoding)


def _csv_rows_by_line(stream: BinaryIO, encoding: str) -> Iterator[tuple[int, list[object]]]:
    """Each record with the physical line it starts on, so errors point at the right line
    (a quoted cell may span lines)."""
    line = 1
    try:
        with _csv_records(stream, encoding) as reader:
            for record in reader:
                yield line, list(record)
                line = reader.line_num + 1
    except csv.Error as exc:
        raise ValueError(f"the CSV file could not be read: {exc}") from exc


# --- XLSX ------------------------------------------------------------------------------------

def _unreadable(exc: Exception) -> ValueError:
    return ValueError(f"the file could not be read as an Excel .xlsx workbook ({type(exc).__name__}); "
                      "upload a .xlsx or CSV ledger")


def _check_zip(stream: BinaryIO) -> None:
    """The zip directory states each part's unpacked size, and zipfile never inflates past it."""
    try:
        with zipfile.ZipFile(stream) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _unreadable(exc) from exc
    if unpacked > MAX_UNCOMPRESSED_MB * 1024 * 1024:
        raise LedgerTooLarge(f"the workbook unpacks to {unpacked / 1024 / 1024:,.0f} MB; at most "
                             f"{MAX_UNCOMPRESSED_MB} MB is accepted (it may be a zip bomb): save the ledger "
                             "again from Excel, or as CSV")
    stream.seek(0)


def _check_dimension(sheet) -> None:
    rows, columns = sheet.max_row or 0, sheet.max_column or 0
    if rows > MAX_ROWS + 1 or columns > MAX_COLUMNS:
        declared = f"A1:{get_column_letter(columns)}{rows}" if columns else f"{rows} rows"
        raise LedgerTooLarge(
            f"the sheet declares the range {declared} ({columns:,} columns, {rows:,} rows); at most "
            f"{MAX_COLUMNS} columns and {MAX_ROWS:,} event rows are accepted: delete the unused rows and "
            "columns, or save the ledger as CSV")


def _xlsx_rows(stream: BinaryIO) -> Iterator[tuple[int, list[object]]]:
    _check_zip(stream)
    # openpyxl raises many unrelated exception types on broken files; all mean "unreadable".
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # style/extension warnings say nothing to a clerk
            book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:
        raise _unreadable(exc) from exc
    return _sheet_rows(book)


def _sheet_rows(book) -> Iterator[tuple[int, list[object]]]:
    try:
        sheet = book.worksheets[0]
        _check_dimension(sheet)
        rows = sheet.iter_rows(values_only=True)
        line = 0
        while True:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    cells = next(rows, None)
            except Exception as exc:
                raise _unreadable(exc) from exc
            if cells is None:
                return
            line += 1
            if line > MAX_ROWS + 1:
                raise _too_many_rows(line - 1)
            cells = list(cells)
            if len(cells) > MAX_COLUMNS:  # no stated dimension: the row itself says how wide it is
                if any(c is not None and c != "" for c in cells[MAX_COLUMNS:]):
                    raise _too_many_columns(len(cells), line)
                del cells[MAX_COLUMNS:]
            yield line, cells
    finally:
        book.close()
