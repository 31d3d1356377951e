"""Ledger parser: pure function from file bytes to rows and row errors (no services needed)."""

from __future__ import annotations

from datetime import datetime, timezone

import openpyxl
import pytest

from evidence.coverage.ledger_parse import EVENT_TYPES, ROADSIDE_BY_DEFAULT, LedgerError, LedgerRow, parse_ledger

EN_HEADER = "event_id,event_type,police_ids,started_at,ended_at,location,case_no,roadside"
ZH_HEADER = "事件编号,类型,警号,开始时间,结束时间,地点,案件编号,路面执法"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def parse_csv(text: str, encoding: str = "utf-8", **kwargs):
    return parse_ledger(text.encode(encoding), "ledger.csv", **kwargs)


def xlsx_bytes(tmp_path, rows: list[list[object]], name: str = "ledger.xlsx") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.create_sheet("ignored").append(["not", "the", "ledger"])
    path = tmp_path / name
    book.save(path)
    return path.read_bytes()


def only_error(errors: list[LedgerError]) -> LedgerError:
    assert len(errors) == 1, errors
    return errors[0]


# --- happy paths ---------------------------------------------------------------------------

def test_english_header_full_row():
    rows, errors = parse_csv(
        EN_HEADER + "\n"
        "E1,ticket,10203;10204,2026-11-28T09:30:00,2026-11-28T09:45:00,"
        "G15 K123,A-2026-1,no\n"
    )
    assert errors == []
    assert rows == [LedgerRow(
        line=2, event_id="E1", event_type="ticket", police_ids=["10203", "10204"],
        started_at=utc(2026, 11, 28, 1, 30), ended_at=utc(2026, 11, 28, 1, 45),
        location="G15 K123", case_no="A-2026-1", roadside=False,
    )]
    assert rows[0].started_at.tzinfo is not None


def test_chinese_header_and_chinese_type_names():
    names = ["接处警", "盘查", "现场处罚", "事故处理", "扣留车辆", "暂扣证件", "行政强制",
             "突发事件", "其他"]
    body = "".join(f"E{i}, {name} ,10203,2026-11-28 09:30,,,,\n" for i, name in enumerate(names))
    rows, errors = parse_csv(ZH_HEADER + "\n" + body)
    assert errors == []
    assert [r.event_type for r in rows] == list(EVENT_TYPES)
    assert [r.line for r in rows] == list(range(2, 11))


def test_mixed_headers_any_order_case_and_extra_columns():
    rows, errors = parse_csv(
        " 警号 ,备注, Started_At ,EVENT_ID,类型\n"
        "10203,whatever,2026-11-28 09:30,E1,Accident\n"
    )
    assert errors == []
    (row,) = rows
    assert (row.event_id, row.event_type, row.police_ids) == ("E1", "accident", ["10203"])
    assert row.ended_at is None and row.location is None and row.case_no is None


def test_multiple_police_ids_trimmed_and_deduplicated():
    rows, errors = parse_csv(
        EN_HEADER + "\n"
        'E1,check, 10203 ；A77;10203;0042; ,2026-11-28 09:30,,,,\n'
    )
    assert errors == []
    assert rows[0].police_ids == ["10203", "A77", "0042"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-28T09:30:00", utc(2026, 11, 28, 1, 30)),
        ("2026-11-28 09:30:00", utc(2026, 11, 28, 1, 30)),
        ("2026-11-28 09:30", utc(2026, 11, 28, 1, 30)),
        ("2026-11-28T09:30:15+08:00", utc(2026, 11, 28, 1, 30, 15)),
        ("2026-11-28T09:30:00Z", utc(2026, 11, 28, 9, 30)),
        ("2026-11-28T09:30:00-05:00", utc(2026, 11, 28, 14, 30)),
        ("2026-11-28 00:30", utc(2026, 11, 27, 16, 30)),
        ("2026/11/28 09:30", utc(2026, 11, 28, 1, 30)),
        ("2026/1/5 9:05:07", utc(2026, 1, 5, 1, 5, 7)),
    ],
)
def test_time_formats_to_exact_utc(text, expected):
    rows, errors = parse_csv(f"{EN_HEADER}\nE1,ticket,10203,{text},,,,\n")
    assert errors == []
    assert rows[0].started_at == expected
    assert rows[0].started_at.utcoffset().total_seconds() == 0


def test_naive_times_use_the_given_zone():
    rows, _ = parse_csv(f"{EN_HEADER}\nE1,ticket,10203,2026-11-28 09:30,,,,\n", tz="UTC")
    assert rows[0].started_at == utc(2026, 11, 28, 9, 30)


def test_roadside_defaults_by_type_and_explicit_values():
    body = "".join(
        f"D{t},{t},10203,2026-11-28 09:30,,,,\n" for t in EVENT_TYPES
    )
    explicit = [("yes", True), ("No", False), ("TRUE", True), ("false", False), ("1", True),
                ("0", False), ("Y", True), ("n", False), ("是", True), ("否", False)]
    body += "".join(
        f"X{i},accident,10203,2026-11-28 09:30,,,,{value}\n" for i, (value, _) in enumerate(explicit)
    )
    body += "XT,ticket,10203,2026-11-28 09:30,,,,否\n"
    rows, errors = parse_csv(EN_HEADER + "\n" + body)
    assert errors == []
    by_id = {r.event_id: r.roadside for r in rows}
    for t in EVENT_TYPES:
        assert by_id[f"D{t}"] is (t in ROADSIDE_BY_DEFAULT), t
    for i, (_, expected) in enumerate(explicit):
        assert by_id[f"X{i}"] is expected
    assert by_id["XT"] is False


def test_optional_columns_absent_roadside_default():
    rows, errors = parse_csv("event_id,event_type,police_ids,started_at\nE1,盘查,1,2026-11-28 09:30\n")
    assert errors == []
    assert rows[0].roadside is True and rows[0].ended_at is None


def test_empty_lines_skipped_and_line_numbers_kept():
    text = (
        EN_HEADER + "\r\n"
        "\r\n"
        "E1,ticket,10203,2026-11-28 09:30,,,,\r\n"
        ",,,,,,,\r\n"
        "   ,  , ,,,,,\r\n"
        "E2,ticket,10203,bad time,,,,\r\n"
        "\r\n"
    )
    rows, errors = parse_csv(text)
    assert [r.line for r in rows] == [3]
    assert [e.line for e in errors] == [6]


def test_quoted_multiline_cell_keeps_following_line_numbers():
    text = (
        EN_HEADER + "\n"
        'E1,ticket,10203,2026-11-28 09:30,,"Road 1\nnear the bridge",,\n'
        "E2,ticket,10203,nope,,,,\n"
    )
    rows, errors = parse_csv(text)
    assert rows[0].location == "Road 1\nnear the bridge"
    assert only_error(errors).line == 4


def test_gbk_encoded_csv_with_chinese_headers():
    text = ZH_HEADER + "\r\nE1,现场处罚,10203,2026/11/28 09:30,2026/11/28 09:40,北京路口,粤公交罚2026001,是\r\n"
    rows, errors = parse_csv(text, encoding="gbk")
    assert errors == []
    (row,) = rows
    assert row.event_type == "ticket"
    assert row.location == "北京路口" and row.case_no == "粤公交罚2026001"
    assert row.started_at == utc(2026, 11, 28, 1, 30)


def test_utf8_bom_csv():
    rows, errors = parse_ledger(
        ("\ufeff" + ZH_HEADER + "\nE1,盘查,10203,2026-11-28 09:30,,,,\n").encode("utf-8"), "x.csv"
    )
    assert errors == [] and rows[0].event_type == "check"


# --- XLSX ----------------------------------------------------------------------------------

def test_xlsx_with_datetime_cells_and_numeric_police_ids(tmp_path):
    data = xlsx_bytes(tmp_path, [
        ["事件编号", "类型", "警号", "开始时间", "结束时间", "路面执法"],
        [20261128001, "扣留车辆", 10203, datetime(2026, 11, 28, 9, 30), datetime(2026, 11, 28, 10, 0), None],
        ["E2", "accident", 10204.0, "2026/11/28 11:00", None, True],
        [None, None, None, None, None, None],
        ["E3", "ticket", "10205;10206", datetime(2026, 11, 28, 12, 0), datetime(2026, 11, 28, 11, 0), None],
    ])
    rows, errors = parse_ledger(data, "台账.xlsx")
    assert [(r.line, r.event_id, r.police_ids) for r in rows] == [
        (2, "20261128001", ["10203"]),
        (3, "E2", ["10204"]),
    ]
    assert rows[0].event_type == "vehicle_seizure" and rows[0].roadside is True
    assert rows[0].started_at == utc(2026, 11, 28, 1, 30)
    assert rows[0].ended_at == utc(2026, 11, 28, 2, 0)
    assert rows[1].started_at == utc(2026, 11, 28, 3, 0) and rows[1].roadside is True
    error = only_error(errors)
    assert error.line == 5 and "ended_at" in error.reason


def test_xlsx_detected_by_content_not_name(tmp_path):
    data = xlsx_bytes(tmp_path, [EN_HEADER.split(","), ["E1", "ticket", "1", "2026-11-28 09:30"]])
    rows, errors = parse_ledger(data, "upload.bin")
    assert errors == [] and rows[0].event_id == "E1"


def test_xlsx_leading_blank_rows_keep_sheet_row_numbers(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A3"], sheet["B3"], sheet["C3"], sheet["D3"] = "event_id", "event_type", "police_ids", "started_at"
    sheet["A5"], sheet["B5"], sheet["C5"], sheet["D5"] = "E1", "ticket", 7, "2026-11-28 09:30"
    path = tmp_path / "l.xlsx"
    book.save(path)
    rows, errors = parse_ledger(path.read_bytes(), "l.xlsx")
    assert errors == [] and rows[0].line == 5


# --- bad rows: one error each, naming the column, with the right line -------------------------

GOOD = "E{n},ticket,10203,2026-11-28 09:30,2026-11-28 09:40,Here,C1,yes"


@pytest.mark.parametrize(
    "bad_row, column, value",
    [
        (",ticket,10203,2026-11-28 09:30,,,,", "event_id", ""),
        ("E" + "x" * 64 + ",ticket,10203,2026-11-28 09:30,,,,", "event_id", "Exxx"),
        ("E\x07,ticket,10203,2026-11-28 09:30,,,,", "event_id", "\\x07"),
        ("Ebad,patrol,10203,2026-11-28 09:30,,,,", "event_type", "patrol"),
        ("Ebad,巡逻,10203,2026-11-28 09:30,,,,", "event_type", "巡逻"),
        ("Ebad,,10203,2026-11-28 09:30,,,,", "event_type", ""),
        ("Ebad,ticket,,2026-11-28 09:30,,,,", "police_ids", ""),
        ('Ebad,ticket,"10203,10204",2026-11-28 09:30,,,,', "police_ids", "10203,10204"),
        ("Ebad,ticket,10203 10204,2026-11-28 09:30,,,,", "police_ids", "10203 10204"),
        ("Ebad,ticket," + "1" * 33 + ",2026-11-28 09:30,,,,", "police_ids", "111"),
        ("Ebad,ticket,10203,,,,,", "started_at", ""),
        ("Ebad,ticket,10203,28.11.2026 09:30,,,,", "started_at", "28.11.2026"),
        ("Ebad,ticket,10203,2026-11-28,,,,", "started_at", "2026-11-28"),
        ("Ebad,ticket,10203,2026-02-30 09:30,,,,", "started_at", "2026-02-30"),
        ("Ebad,ticket,10203,2026-11/28 09:30,,,,", "started_at", "2026-11/28"),
        ("Ebad,ticket,10203,1999-12-31 23:00,,,,", "started_at", "1999"),
        ("Ebad,ticket,10203,2101-01-01 09:00,,,,", "started_at", "2101"),
        ("Ebad,ticket,10203,2026-11-28 09:30,soon,,,", "ended_at", "soon"),
        ("Ebad,ticket,10203,2026-11-28 09:30,2026-11-28 09:30,,,", "ended_at", "09:30"),
        ("Ebad,ticket,10203,2026-11-28 09:30,2026-11-28T01:00:00Z,,,", "ended_at", "01:00"),
        ("Ebad,ticket,10203,2026-11-28 09:30,,," + "C" * 65 + ",", "case_no", "CCC"),
        ("Ebad,ticket,10203,2026-11-28 09:30,," + "L" * 201 + ",,", "location", "LLL"),
        ("Ebad,ticket,10203,2026-11-28 09:30,,,,maybe", "roadside", "maybe"),
    ],
)
def test_each_bad_row_kind_is_one_error_on_its_line(bad_row, column, value):
    text = "\n".join([EN_HEADER, GOOD.format(n=1), bad_row, GOOD.format(n=2)]) + "\n"
    rows, errors = parse_csv(text)
    assert [r.event_id for r in rows] == ["E1", "E2"]
    error = only_error(errors)
    assert error.line == 3
    assert column in error.reason
    assert value in error.reason


def test_bad_type_message_lists_allowed_values():
    _, errors = parse_csv(f"{EN_HEADER}\nE1,patrol,1,2026-11-28 09:30,,,,\n")
    reason = only_error(errors).reason
    for name in EVENT_TYPES + ("接处警", "其他"):
        assert name in reason


def test_error_names_the_chinese_header_as_written():
    _, errors = parse_csv(f"{ZH_HEADER}\nE1,现场处罚,1,明天,,,,\n")
    reason = only_error(errors).reason
    assert "开始时间" in reason and "started_at" in reason and "明天" in reason


def test_row_with_several_problems_yields_one_error():
    _, errors = parse_csv(f"{EN_HEADER}\nE1,patrol,!!,never,,,,maybe\n")
    assert only_error(errors).line == 2


def test_duplicate_event_id_reported_on_later_line():
    text = (
        EN_HEADER + "\n"
        "E1,ticket,1,2026-11-28 09:30,,,,\n"
        "E2,ticket,1,2026-11-28 09:30,,,,\n"
        " E1 ,check,2,2026-11-28 10:30,,,,\n"
    )
    rows, errors = parse_csv(text)
    assert [(r.line, r.event_id, r.event_type) for r in rows] == [(2, "E1", "ticket"), (3, "E2", "ticket")]
    error = only_error(errors)
    assert error.line == 4
    assert "event_id" in error.reason and "'E1'" in error.reason and "line 2" in error.reason


# --- whole-file errors ---------------------------------------------------------------------

def test_missing_required_columns_raise_naming_them():
    with pytest.raises(ValueError) as info:
        parse_csv("event_id,类型,location\nE1,盘查,here\n")
    message = str(info.value)
    assert "police_ids" in message and "started_at" in message
    assert "event_type" not in message.split("Accepted")[0]
    assert "Accepted column names" in message and "警号" in message and "路面执法" in message


def test_duplicate_column_raises():
    with pytest.raises(ValueError, match="twice"):
        parse_csv("event_id,事件编号,event_type,police_ids,started_at\n")


@pytest.mark.parametrize(
    "data, filename",
    [
        (b"\x00\x01garbage\xff\xfe\x80" * 50, "ledger.xlsx"),
        (b"PK\x03\x04 this is not really a zip", "ledger.csv"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "ledger.xls"),
        (b"\xff\xfe" + EN_HEADER.encode("utf-16-le"), "ledger.csv"),
        (EN_HEADER.encode("utf-16-le"), "ledger.csv"),
        (b"\x81\xff\x80\x80", "ledger.csv"),
        (b"", "ledger.csv"),
        (b"\n\n , ,\n", "ledger.csv"),
    ],
)
def test_unreadable_files_raise_value_error(data, filename):
    with pytest.raises(ValueError):
        parse_ledger(data, filename)


def test_unknown_time_zone_raises_value_error():
    with pytest.raises(ValueError, match="time zone"):
        parse_csv(f"{EN_HEADER}\n", tz="Mars/Olympus")


def test_header_only_file_is_fine():
    assert parse_csv(EN_HEADER + "\n") == ([], [])
