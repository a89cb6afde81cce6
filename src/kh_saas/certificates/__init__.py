"""Printable certificates (Giấy công nhận, Giấy khen, Bằng khen) and their public verification.

``wording`` says what a certificate reads in Vietnamese (pure); ``sources`` reads what it is
printed from (the registers projection); ``render`` draws the pages with the bundled Liberation
Serif (OFL, Vietnamese coverage, Times New Roman's metrics as Decree 30/2020 asks) and a QR
code of the public verification URL; ``verification`` answers ``/verify/{slug}/{id}``.
"""
