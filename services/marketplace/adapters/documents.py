"""Rendering of the documents resellers download: the e-contract PDF and settlement statements (PDF, XLSX).

Chinese text uses reportlab's built-in CID font STSong-Light (no font file to ship); identifiers are
also printed in Helvetica so that any PDF text extractor finds them. Files are rendered with
reportlab's invariant mode and fixed workbook dates, so the same data gives the same bytes.
"""
from __future__ import annotations

import io
import zipfile
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.xml.constants import ARC_CORE as CORE_PROPERTIES
from openpyxl.xml.functions import tostring
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.marketplace.domain.capital_amounts import capital_amount

CJK_FONT = "STSong-Light"
SUPPLIER = {"name": "上海蓝云网络科技有限公司", "bank": "工商银行北京朝阳国航大厦支行", "account": "0200227919200053244"}
PAYMENT_METHODS = {"online": "在线即时支付 (online)", "offline": "线下银行转账 (bank transfer)", "credit": "账期支付 (credit line)"}


def _styles() -> tuple[ParagraphStyle, ParagraphStyle, ParagraphStyle]:
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    body = ParagraphStyle("body", fontName=CJK_FONT, fontSize=9.5, leading=14)
    title = ParagraphStyle("title", parent=body, fontSize=15, leading=22, alignment=1)
    latin = ParagraphStyle("latin", fontName="Helvetica", fontSize=9, leading=13)
    return title, body, latin


def money(amount_minor: int) -> str:
    return f"{amount_minor // 100:,}.{amount_minor % 100:02d}"


def _table(rows: list[list[Any]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), CJK_FONT, 8.5),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    return table


def _pdf(story: list[Any], title: str) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, title=title, leftMargin=18 * mm, rightMargin=18 * mm,
                                 topMargin=16 * mm, bottomMargin=16 * mm, invariant=1)
    document.build(story)
    return buffer.getvalue()


def contract_pdf(order: Any, lines: list[Any], reseller_name: str) -> bytes:
    """电子订单合同: parties, the end customer, lines with tax rates, totals in figures and capitals."""
    title, body, latin = _styles()
    customer = order.customer
    rows = [["序号", "服务/解决方案 (SKU)", "数量", "单价", "税率%", "总金额"]]
    for index, line in enumerate(lines, start=1):
        rows.append([str(index), Paragraph(f"{line.solution_name} / {line.sku_name} ({line.sku_code})", body),
                     str(line.quantity), money(line.unit_price_minor), f"{line.tax_rate_bp / 100:g}", money(line.amount_minor)])
    story = [
        Paragraph("电子订单合同", title),
        Paragraph(f"Contract No. {order.contract_no} &nbsp; Order No. {order.order_no}", latin),
        Paragraph(f"合同编号：{order.contract_no}　订单编号：{order.order_no}　日期：{order.created_at:%Y-%m-%d}", body),
        Spacer(1, 4 * mm),
        Paragraph(f"经销商（甲方）名称：{reseller_name}", body),
        Paragraph(f"经销商联系人：{order.buyer_email or ''}", body),
        Paragraph(f"乙方名称：{SUPPLIER['name']}", body),
        Paragraph(f"最终用户（服务开通信息）：{customer.get('company')}，{customer.get('name')}，{customer.get('email')}，"
                  f"{customer.get('phone')}", body),
        Paragraph(f"定价方式为按产品/服务计价，货币为 {order.currency}。本订单支付方式：{PAYMENT_METHODS[order.payment_method]}。", body),
        Spacer(1, 4 * mm),
        _table(rows, [12 * mm, 78 * mm, 14 * mm, 24 * mm, 16 * mm, 28 * mm]),
        Spacer(1, 4 * mm),
        Paragraph(f"总计（含税总金额）：{money(order.subtotal_minor)}　大写（{capital_amount(order.subtotal_minor)}）", body),
        Paragraph(f"优惠券抵扣：{money(order.coupon_minor)}　可抵扣优惠金额：{money(order.rebate_minor)}　"
                  f"其中税额：{money(order.tax_minor)}", body),
        Paragraph(f"应付总额：{money(order.total_minor)} {order.currency}　大写（{capital_amount(order.total_minor)}）", body),
        Spacer(1, 4 * mm),
        Paragraph("如果国家税率发生变动，致本订单税率与国家的税率发生冲突，应以国家规定的税率为准。"
                  "本订单表、合作伙伴协议（经销商）及附件共同组成完整的渠道销售合同。本订单一经甲方点击确认，即发生法律效力。", body),
        Paragraph(f"乙方账户信息：开户银行：{SUPPLIER['bank']}　账号：{SUPPLIER['account']}", body),
    ]
    return _pdf(story, f"Contract {order.contract_no}")


STATEMENT_HEADERS = ["订单编号 order_no", "订单总金额 total", "币种 currency", "关联商品 solutions", "订单状态 status",
                     "数量 quantity", "交易时间 ordered_at"]


class _TextSheet:
    """Appends rows whose strings stay text: openpyxl takes a string that begins with `=` for a formula,
    so a reseller or solution name like `=HYPERLINK(…)` would run in the reader's spreadsheet (CSV /
    formula injection, `shared/exports.py`); each such cell is typed as a string instead."""

    def __init__(self, sheet: Any) -> None:
        self.sheet = sheet

    def append(self, values: list[Any]) -> None:
        self.sheet.append(values)
        for cell in self.sheet[self.sheet.max_row]:
            if isinstance(cell.value, str) and cell.data_type != "s":
                cell.data_type = "s"


def statement_xlsx(statement: Any, reseller_name: str) -> bytes:
    workbook = Workbook()
    sheet = _TextSheet(workbook.active)
    workbook.active.title = "statement"
    sheet.append(["账单编号 statement_no", statement.statement_no])
    sheet.append(["方案提供商 reseller", reseller_name])
    sheet.append(["账单周期 period", statement.period])
    sheet.append(["订单总数 orders", statement.order_count])
    sheet.append(["产品总数 solutions", statement.solution_count])
    for currency, amount in statement.sales["amounts"].items():
        sheet.append([f"销售额 sales {currency}", amount / 100])
    sheet.append([])
    sheet.append(STATEMENT_HEADERS)
    for line in statement.lines:
        sheet.append([line["order_no"], line["total_minor"] / 100, line["currency"], line["solutions"], line["status"],
                      line["quantity"], line["ordered_at"]])
    fixed = statement.created_at.replace(tzinfo=None, microsecond=0) if isinstance(statement.created_at, datetime) else None
    at = fixed or datetime(2000, 1, 1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    workbook.properties.created = at
    workbook.properties.modified = at
    return _with_fixed_times(buffer.getvalue(), at, tostring(workbook.properties.to_tree()))


def _with_fixed_times(xlsx: bytes, at: datetime, core_properties: bytes) -> bytes:
    """openpyxl stamps each zip entry and the document's `modified` property with the wall clock at save;
    a reproducible download needs both fixed (the core properties are written again after the save)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=at.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            content = core_properties if entry.filename == CORE_PROPERTIES else source.read(entry.filename)
            target.writestr(info, content)
    return out.getvalue()


def statement_pdf(statement: Any, reseller_name: str) -> bytes:
    title, body, latin = _styles()
    sales = "　".join(f"{currency} {money(amount)}" for currency, amount in statement.sales["amounts"].items()) or "0.00"
    rows = [["订单编号", "订单总金额", "关联商品", "订单状态", "数量", "交易时间"]]
    for line in statement.lines:
        rows.append([line["order_no"], f"{line['currency']} {money(line['total_minor'])}", Paragraph(line["solutions"], body),
                     line["status"], str(line["quantity"]), line["ordered_at"][:16].replace("T", " ")])
    story = [
        Paragraph("AggreSmart 账单", title),
        Paragraph(f"Statement No. {statement.statement_no} &nbsp; Period {statement.period}", latin),
        Paragraph(f"方案提供商：{reseller_name}　等级：{statement.sales['tier']}　付款方：{SUPPLIER['name']}", body),
        Paragraph(f"账单周期：{statement.period}　订单总数：{statement.order_count}　产品总数：{statement.solution_count}　"
                  f"销售额：{sales}", body),
        Spacer(1, 4 * mm),
        _table(rows, [36 * mm, 28 * mm, 48 * mm, 22 * mm, 12 * mm, 28 * mm]),
    ]
    return _pdf(story, f"Statement {statement.statement_no}")
