"""Targets (chỉ tiêu): plans and statistics as read, attainment per commune, its chart."""
