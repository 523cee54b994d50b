"""The e-policy certificate: an HTML page and a PDF, with the policy number and a
verification code that staff can check.

The PDF is written by hand (one A4 page of text): Chinese text uses the standard Adobe
CJK font STSong-Light with the UniGB-UCS2-H encoding, which every PDF reader provides,
so nothing is embedded and no third-party library is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.money import fen_to_yuan_str


@dataclass(frozen=True)
class CertificateData:
    policy_number: str
    verification_code: str
    plan_name_zh: str
    plan_name_en: str
    insured_name_masked: str
    insured_id_masked: str
    tier_zh: str
    tier_en: str
    premium_fen: int
    coverage_start: str
    coverage_end: str
    status_zh: str
    status_en: str
    issued_at: str

    def lines(self) -> list[tuple[str, str]]:
        """(Chinese, English) lines, in order."""
        return [
            ("惠民保电子保单", "Huimin Bao e-policy certificate"),
            (f"保单号：{self.policy_number}", f"Policy number: {self.policy_number}"),
            (f"验真码：{self.verification_code}", f"Verification code: {self.verification_code}"),
            (f"保障计划：{self.plan_name_zh}", f"Plan: {self.plan_name_en}"),
            (
                f"被保险人：{self.insured_name_masked}  {self.insured_id_masked}",
                f"Insured: {self.insured_name_masked}  {self.insured_id_masked}",
            ),
            (f"保障人群：{self.tier_zh}", f"Tier: {self.tier_en}"),
            (
                f"保费：{fen_to_yuan_str(self.premium_fen, always_decimals=True)} 元",
                f"Premium: {fen_to_yuan_str(self.premium_fen, always_decimals=True)} yuan",
            ),
            (
                f"保障期间：{self.coverage_start} 至 {self.coverage_end}",
                f"Cover: {self.coverage_start} to {self.coverage_end}",
            ),
            (f"保单状态：{self.status_zh}", f"Status: {self.status_en}"),
            (f"出单时间：{self.issued_at}", f"Issued: {self.issued_at}"),
        ]


def _utf16_hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


def render_pdf(data: CertificateData) -> bytes:
    content_lines = ["BT", "/F1 20 Tf", "72 770 Td", "24 TL"]
    first = True
    for zh, en in data.lines():
        if not first:
            content_lines.append("T*")
        content_lines.append(f"<{_utf16_hex(zh)}> Tj")
        content_lines.append("/F2 10 Tf T*")
        content_lines.append(f"({_pdf_escape(en)}) Tj")
        content_lines.append("/F1 13 Tf")
        first = False
    content_lines.append("ET")
    stream = "\n".join(content_lines).encode("ascii")

    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 7 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> "
        b"/FontDescriptor 8 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def _pdf_escape(text: str) -> str:
    safe = text.encode("latin-1", "replace").decode("latin-1")
    return safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>电子保单 {policy_number}</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/css/app.css"></head>
<body><main class="main"><section class="card certificate" data-testid="certificate">
{rows}
<p><a class="btn" href="{pdf_url}" data-testid="certificate-pdf">下载 PDF / Download PDF</a>
<a class="btn" href="/#/policies">返回我的保单 / Back</a></p>
</section></main></body></html>"""


def render_html(data: CertificateData, pdf_url: str) -> str:
    from markupsafe import escape

    rows = []
    for index, (zh, en) in enumerate(data.lines()):
        tag = "h1" if index == 0 else "p"
        rows.append(f'<{tag}>{escape(zh)}<br><small lang="en">{escape(en)}</small></{tag}>')
    return _PAGE.format(
        policy_number=escape(data.policy_number), rows="\n".join(rows), pdf_url=escape(pdf_url)
    )
