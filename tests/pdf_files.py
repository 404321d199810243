"""Small PDFs written byte by byte, as a scanner or a hostile student would hand them in (tests of dgmlab pdf's
merge and scrub)."""


def pdf_file(objects: list) -> bytes:
    """A PDF of ``objects`` (each an object's body; object 1 the catalog), with its cross-reference table."""
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for k, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def one_page_pdf(words: str, page_extra: bytes = b"", catalog_extra: bytes = b"", more: list = ()) -> bytes:
    """A one-page PDF showing ``words``; ``page_extra``/``catalog_extra`` go into the page's and the catalog's
    dictionaries, ``more`` are objects 6 on."""
    content = f"BT /F1 24 Tf 72 700 Td ({words}) Tj ET".encode()
    return pdf_file([b"<</Type/Catalog/Pages 2 0 R" + catalog_extra + b">>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
                     b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Resources<</Font<</F1 4 0 R>>>>/Contents 5 0 R"
                     + page_extra + b">>",
                     b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
                     b"<</Length %d>>stream\n" % len(content) + content + b"\nendstream", *more])
