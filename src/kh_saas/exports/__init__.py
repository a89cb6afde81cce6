"""Exports of registers and listings as spreadsheets (xuất Excel), streamed in constant memory.

``xlsx_stream`` writes an Office Open XML workbook row by row into a zip stream that is sent
as it grows: no temporary file, no whole sheet in memory, a million rows in one request.
"""
