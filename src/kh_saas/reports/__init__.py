"""Báo cáo kết quả: the yearly and phase reports of a province, in JSON, XLSX and PDF.

:mod:`.build` reads the registers (projections) as they stood at the report's deadline,
:mod:`.model` is what a report holds, :mod:`.workbook` and :mod:`.document` print it (the
latter as an administrative document laid out as Decree 30/2020/NĐ-CP prescribes).
"""
