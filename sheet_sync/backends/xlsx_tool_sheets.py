"""The XML of the sheets the tool owns whole (Aging, Aging Summary, a new Reminder Log) and of the Summary's
chart: a worksheet part with its header styled and frozen, a filter, column widths; a drawing part that
anchors a chart part, a clustered column chart of the bucket totals (ECMA-376 Part 1, §18 and §21)."""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Mapping


from sheet_sync.backends.xlsx_package import MAIN_NS, REL_NS, XML_DECLARATION, quote_sheet, text
from sheet_sync.backends.xlsx_sheet import cell_xml
from sheet_sync.backends.xlsx_styles import Styles
from sheet_sync.layout import Cell, Chart
from sheet_sync.model import column_letter

DRAWING_NS = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
C_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
EMU_PER_CM = 360000
CHART_WIDTH_CM, CHART_HEIGHT_CM = 16, 8  # as the openpyxl writer draws it


def sheet_xml(cells: Iterable[Cell], styles: Styles, *, header_row: int, header_columns: int, widths: Iterable[float],
              filter_ref: str | None, bold: Iterable[tuple[int, int]] = (), drawing_rel: str | None = None,
              tab_selected: bool = False, date1904: bool = False,
              dropdown: tuple[str, tuple[str, ...]] | None = None) -> bytes:
    """A whole worksheet: `cells` (row, column, value, number format), the header row styled and frozen;
    `dropdown`: (cell range, choices) of a list to choose from (blank allowed)."""
    header = styles.header()
    bold_at = set(bold)
    bold_style = styles.bold() if bold_at else 0
    rows: dict[int, dict[int, Cell]] = {}
    for c in cells:
        rows.setdefault(c.row, {})[c.column] = c
    for col in range(1, header_columns + 1):  # a header cell with no text still shows the header's colour
        rows.setdefault(header_row, {}).setdefault(col, Cell(header_row, col, None))
    formats: dict[str, int] = {}
    tails: dict[tuple, str | None] = {}  # a value in a style is written the same way wherever it stands
    heads = {}  # column -> '<c r="B'
    special = {header_row} | {r for r, _ in bold_at}  # rows where a cell's style is not its number format's
    out: list[str] = []
    max_col = 0
    for r in sorted(rows):
        row = rows[r]
        row_cells = []
        last = 0
        for col in sorted(row):
            c = row[col]
            if r in special and r == header_row and col <= header_columns:
                style = header
            elif r in special and (r, col) in bold_at:
                style = bold_style
            elif c.number_format:
                style = formats.get(c.number_format)
                if style is None:
                    style = formats[c.number_format] = styles.with_format(0, c.number_format)
            else:
                style = 0
            value = c.value
            key = (value.__class__, str(value) if isinstance(value, Decimal) else value, style)
            if key not in tails:
                xml = cell_xml("", "\0", value, style, date1904)
                tails[key] = xml.split("\0", 1)[1] if xml is not None else None
            tail = tails[key]
            if tail is not None:
                head = heads.get(col) or heads.setdefault(col, f'<c r="{column_letter(col)}')
                row_cells.append(f"{head}{r}{tail}")
                last = col
        if row_cells:
            out.append(f'<row r="{r}">{"".join(row_cells)}</row>')
            max_col = max(max_col, last)
    last_row = max(rows, default=1)
    dimension = f"A1:{column_letter(max(max_col, 1))}{last_row}" if rows else "A1"
    selected = ' tabSelected="1"' if tab_selected else ""
    first = header_row + 1
    views = (f'<sheetViews><sheetView{selected} workbookViewId="0"><pane ySplit="{header_row}" topLeftCell="A{first}" '
             f'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A{first}" '
             f'sqref="A{first}"/></sheetView></sheetViews>')
    cols = "".join(f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>' for i, w in enumerate(widths, start=1))
    parts = [
        XML_DECLARATION.decode(),
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">',
        f'<dimension ref="{dimension}"/>', views, '<sheetFormatPr defaultRowHeight="15"/>',
        f"<cols>{cols}</cols>" if cols else "",
        "<sheetData>", *out, "</sheetData>",
        f'<autoFilter ref="{filter_ref}"/>' if filter_ref else "",
        validation_xml(*dropdown) if dropdown else "",
        '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>',
        f'<drawing r:id="{drawing_rel}"/>' if drawing_rel else "",
        "</worksheet>",
    ]
    return "".join(parts).encode("utf-8")


def validation_xml(ref: str, choices: tuple[str, ...]) -> str:
    """A list data validation (a dropdown) over `ref`: a blank cell is allowed, anything else not in the list
    is refused with Excel's own message (ECMA-376 Part 1, §18.3.1.32)."""
    listed = text('"' + ",".join(choices) + '"')
    return (f'<dataValidations count="1"><dataValidation type="list" allowBlank="1" showInputMessage="1" '
            f'showErrorMessage="1" sqref="{ref}"><formula1>{listed}</formula1></dataValidation></dataValidations>')


def drawing_xml(chart: Chart, chart_rel: str) -> bytes:
    """A drawing that anchors one chart at column A of `chart.anchor_row`."""
    cx, cy = CHART_WIDTH_CM * EMU_PER_CM, CHART_HEIGHT_CM * EMU_PER_CM
    return (XML_DECLARATION.decode() +
            f'<xdr:wsDr xmlns:xdr="{DRAWING_NS}" xmlns:a="{A_NS}">'
            f'<xdr:oneCellAnchor><xdr:from><xdr:col>0</xdr:col><xdr:colOff>0</xdr:colOff>'
            f'<xdr:row>{chart.anchor_row - 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>'
            f'<xdr:ext cx="{cx}" cy="{cy}"/>'
            f'<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="2" name="Chart 1"/><xdr:cNvGraphicFramePr/>'
            f'</xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
            f'<a:graphic><a:graphicData uri="{C_NS}"><c:chart xmlns:c="{C_NS}" xmlns:r="{REL_NS}" r:id="{chart_rel}"/>'
            f'</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:oneCellAnchor></xdr:wsDr>').encode()


def _title(words: str) -> str:
    return (f'<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr/></a:pPr><a:r><a:t>{text(words)}'
            f'</a:t></a:r></a:p></c:rich></c:tx><c:overlay val="0"/></c:title>')


def chart_xml(chart: Chart, sheet_title: str, values: Mapping[tuple[int, int], object]) -> bytes:
    """A clustered column chart: one series per (row, name) of `chart.series`, the header row as categories.
    `values` are the sheet's cells, written into the chart's cache so that it shows before a recalculation."""
    sheet = quote_sheet(sheet_title)
    first, last = column_letter(chart.first_column), column_letter(chart.last_column)
    columns = range(chart.first_column, chart.last_column + 1)
    categories = "".join(f'<c:pt idx="{i}"><c:v>{text(str(values.get((chart.header_row, c), "")))}</c:v></c:pt>'
                         for i, c in enumerate(columns))
    series = []
    for i, (row, name) in enumerate(chart.series):
        points = "".join(f'<c:pt idx="{k}"><c:v>{values[(row, c)]}</c:v></c:pt>' for k, c in enumerate(columns)
                         if _is_number(values.get((row, c))))
        series.append(
            f'<c:ser><c:idx val="{i}"/><c:order val="{i}"/><c:tx><c:v>{text(name)}</c:v></c:tx>'
            f'<c:invertIfNegative val="0"/>'
            f'<c:cat><c:strRef><c:f>{text(f"{sheet}!${first}${chart.header_row}:${last}${chart.header_row}")}</c:f>'
            f'<c:strCache><c:ptCount val="{len(columns)}"/>{categories}</c:strCache></c:strRef></c:cat>'
            f'<c:val><c:numRef><c:f>{text(f"{sheet}!${first}${row}:${last}${row}")}</c:f>'
            f'<c:numCache><c:formatCode>General</c:formatCode><c:ptCount val="{len(columns)}"/>{points}</c:numCache>'
            f'</c:numRef></c:val></c:ser>')
    axis_common = '<c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
    return (XML_DECLARATION.decode() +
            f'<c:chartSpace xmlns:c="{C_NS}" xmlns:a="{A_NS}" xmlns:r="{REL_NS}"><c:roundedCorners val="0"/>'
            f'<c:chart>{_title(chart.title)}<c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>'
            f'<c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:varyColors val="0"/>{"".join(series)}'
            f'<c:gapWidth val="150"/><c:axId val="10"/><c:axId val="100"/></c:barChart>'
            f'<c:catAx><c:axId val="10"/>{axis_common}<c:axPos val="b"/>{_title(chart.x_title)}'
            f'<c:numFmt formatCode="General" sourceLinked="1"/><c:majorTickMark val="none"/><c:minorTickMark val="none"/>'
            f'<c:tickLblPos val="nextTo"/><c:crossAx val="100"/><c:crosses val="autoZero"/><c:auto val="1"/>'
            f'<c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
            f'<c:valAx><c:axId val="100"/>{axis_common}<c:axPos val="l"/><c:majorGridlines/>{_title(chart.y_title)}'
            f'<c:numFmt formatCode="General" sourceLinked="1"/><c:majorTickMark val="none"/><c:minorTickMark val="none"/>'
            f'<c:tickLblPos val="nextTo"/><c:crossAx val="10"/><c:crosses val="autoZero"/><c:crossBetween val="between"/>'
            f'</c:valAx></c:plotArea><c:legend><c:legendPos val="r"/><c:overlay val="0"/></c:legend>'
            f'<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>').encode("utf-8")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def filter_ref(header_row: int, columns: int, last_row: int) -> str:
    return f"A{header_row}:{column_letter(max(columns, 1))}{max(last_row, header_row)}"
