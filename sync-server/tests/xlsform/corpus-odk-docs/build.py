"""Turns the XLSForm examples of ODK's documentation (examples.rst, copied
verbatim from getodk/docs) into workbooks, one per `.. from` line, as an
author would type the tables into a spreadsheet: each `csv-table:: <sheet>`
becomes that sheet, its `:header:` the header row. Cells are read as docutils
reads a csv-table (comma separated, `"` quotes, `:escape:` if given, spaces
after a comma skipped) and then trimmed, as a spreadsheet keeps what is typed.

Run from anywhere: python3 build.py  (needs openpyxl, which pyxform brings).
The workbooks are committed; rerunning rewrites them byte for byte the same.
"""

import csv
import datetime
import io
import pathlib
import re
import textwrap
import zipfile

import openpyxl

HERE = pathlib.Path(__file__).parent
FIXED_TIME = datetime.datetime(2026, 12, 3)


def rows(text, escape=None):
    reader = csv.reader(
        text.splitlines(keepends=True),
        delimiter=",",
        quotechar='"',
        escapechar=escape,
        doublequote=escape is None,
        skipinitialspace=True,
    )
    return [[cell.strip() for cell in row] for row in reader if any(c.strip() for c in row)]


def tables(block):
    """The csv-tables of one example: (sheet, header, data rows)."""
    found = []
    for match in re.finditer(r"^\.\. csv-table:: (\w+)\n((?:[ \t]+.*\n|\n)*)", block, re.M):
        sheet, body = match.group(1), textwrap.dedent(match.group(2))
        options, content = {}, []
        for line in body.splitlines():
            option = re.match(r"^:(\w+): ?(.*)$", line)
            # An option is read before the first row, past a blank line too
            # (form-language's first choices table has one there).
            if option and not any(l.strip() for l in content):
                options[option.group(1)] = option.group(2)
            else:
                content.append(line)
        escape = options.get("escape")
        header = rows(options["header"], escape)[0]
        found.append((sheet, header, rows("\n".join(content) + "\n", escape)))
    return found


def main():
    source = (HERE / "examples.rst").read_text(encoding="utf-8")
    parts = re.split(r"^\.\. from (form-[a-z-]+) (\S+).*\n", source, flags=re.M)
    for old in HERE.glob("*.xlsx"):
        old.unlink()
    for number, (page, anchor, block) in enumerate(zip(parts[1::3], parts[2::3], parts[3::3]), 1):
        workbook = openpyxl.Workbook()
        workbook.remove(workbook.active)
        workbook.properties.created = workbook.properties.modified = FIXED_TIME
        for sheet, header, data in tables(block):
            worksheet = workbook.create_sheet(sheet)
            worksheet.append(header)
            for row in data:
                worksheet.append(row)
        name = f"odk-docs__{page}__{number:02}_{anchor}.xlsx"
        (HERE / name).write_bytes(fixed_in_time(workbook))
        print(name)


def fixed_in_time(workbook):
    """The workbook's bytes with no clock in them (zip entry times and the
    saved-at property), so a rebuild writes the same bytes."""
    saved = io.BytesIO()
    workbook.save(saved)
    out = io.BytesIO()
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for entry in src.infolist():
            data = src.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            dst.writestr(zipfile.ZipInfo(entry.filename, FIXED_TIME.timetuple()[:6]), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


main()
