"""Generate the default template pack's reference.docx from scratch.

The reference document supplies the styles, page setup, header and footer of every Word document
txplan writes (its body is ignored), like pandoc's --reference-doc. Writing it from plain XML
here keeps it small (a few kilobytes, only the styles txplan uses), reviewable and reproducible:
running this script twice gives the same bytes.

    python scripts/make_reference_docx.py [OUTPUT]     (default: template_packs/default/reference.docx)

Header and footer text may hold placeholders, each typed in one go so that Word keeps it in one
run: {practice.logo} (the pack's logo image), {practice.name}, {practice.address}, {practice.phone}, {practice.fax}, {practice.email},
{practice.contact}, {client.name}, {client.date_of_birth}, {client.identifier} and
{labels.KEY} for any text label of the template pack. A paragraph whose placeholders are all
empty is left out.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL = "http://schemas.openxmlformats.org/package/2006/relationships"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)

ACCENT = "1F4E5F"  # deep teal for headings
MUTED = "5A6B70"  # grey-teal for header and footer text
RULE = "9DB7BF"  # light rule under headings and the letterhead
SHADE = "E3EEF1"  # table header shading

FONT = '<w:rFonts w:ascii="Arial" w:hAnsi="Arial" w:eastAsia="Arial" w:cs="Arial"/>'


def paragraph_style(style_id, name, based_on="Normal", ppr="", rpr="", next_style=None, extra=""):
    """A paragraph style element."""
    nxt = f'<w:next w:val="{next_style}"/>' if next_style else ""
    based = f'<w:basedOn w:val="{based_on}"/>' if based_on else ""
    return (
        f'<w:style w:type="paragraph" w:customStyle="0" w:styleId="{style_id}"><w:name w:val="{name}"/>{based}{nxt}'
        f'<w:qFormat/>{extra}<w:pPr>{ppr}</w:pPr><w:rPr>{rpr}</w:rPr></w:style>'
    )


def character_style(style_id, name, rpr):
    """A character style element."""
    return (
        f'<w:style w:type="character" w:styleId="{style_id}"><w:name w:val="{name}"/>'
        f'<w:basedOn w:val="DefaultParagraphFont"/><w:qFormat/><w:rPr>{rpr}</w:rPr></w:style>'
    )


def styles_xml():
    """Only the styles txplan writes (see the style list in README), plus Word's defaults."""
    border = f'<w:pBdr><w:bottom w:val="single" w:sz="6" w:space="2" w:color="{RULE}"/></w:pBdr>'
    box = lambda colour, fill: (  # noqa: E731 - a small local helper
        f'<w:pBdr><w:top w:val="single" w:sz="8" w:space="4" w:color="{colour}"/>'
        f'<w:left w:val="single" w:sz="8" w:space="4" w:color="{colour}"/>'
        f'<w:bottom w:val="single" w:sz="8" w:space="4" w:color="{colour}"/>'
        f'<w:right w:val="single" w:sz="8" w:space="4" w:color="{colour}"/></w:pBdr>'
        f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/><w:spacing w:before="120" w:after="120"/><w:ind w:left="113" w:right="113"/>'
    )
    styles = [
        '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/>'
        '<w:pPr><w:spacing w:after="100" w:line="264" w:lineRule="auto"/></w:pPr></w:style>',
        '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont"><w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/></w:style>',
        '<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:semiHidden/>'
        '<w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/>'
        '<w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>',
        '<w:style w:type="numbering" w:default="1" w:styleId="NoList"><w:name w:val="No List"/><w:semiHidden/></w:style>',
        paragraph_style("Title", "Title", ppr='<w:keepNext/><w:spacing w:before="120" w:after="200"/>',
                        rpr=f'<w:b/><w:color w:val="{ACCENT}"/><w:sz w:val="40"/><w:szCs w:val="40"/>', next_style="BodyText"),
        paragraph_style("Heading1", "heading 1", ppr=f'<w:keepNext/><w:keepLines/>{border}<w:spacing w:before="320" w:after="120"/><w:outlineLvl w:val="0"/>',
                        rpr=f'<w:b/><w:color w:val="{ACCENT}"/><w:sz w:val="28"/><w:szCs w:val="28"/>', next_style="BodyText"),
        paragraph_style("Heading2", "heading 2", ppr='<w:keepNext/><w:keepLines/><w:spacing w:before="240" w:after="80"/><w:outlineLvl w:val="1"/>',
                        rpr=f'<w:b/><w:color w:val="{ACCENT}"/><w:sz w:val="23"/><w:szCs w:val="23"/>', next_style="BodyText"),
        paragraph_style("Heading3", "heading 3", ppr='<w:keepNext/><w:keepLines/><w:spacing w:before="160" w:after="60"/><w:outlineLvl w:val="2"/>',
                        rpr=f'<w:b/><w:i/><w:color w:val="{ACCENT}"/>', next_style="BodyText"),
        paragraph_style("BodyText", "Body Text"),
        paragraph_style("BlockText", "Block Text", ppr='<w:ind w:left="567" w:right="567"/>', rpr=f'<w:i/><w:color w:val="{MUTED}"/>'),
        # Contextual spacing: no gap between the items of a list, the usual gap after it.
        paragraph_style("ListBullet", "List Bullet", ppr='<w:spacing w:after="100"/><w:contextualSpacing/>'),
        paragraph_style("ListNumber", "List Number", ppr='<w:spacing w:after="100"/><w:contextualSpacing/>'),
        paragraph_style("TableText", "Table Text", ppr='<w:spacing w:before="20" w:after="20" w:line="240" w:lineRule="auto"/>',
                        rpr='<w:sz w:val="18"/><w:szCs w:val="18"/>'),
        paragraph_style("TableHeading", "Table Heading", based_on="TableText", ppr='<w:keepNext/>', rpr=f'<w:b/><w:color w:val="{ACCENT}"/>'),
        paragraph_style("Note", "Note", ppr=box(RULE, "F2F7F8")),
        paragraph_style("Alert", "Alert", ppr=box("B3261E", "FCEDEC"), rpr='<w:b/><w:color w:val="8C1D18"/>'),
        paragraph_style("SignatureText", "Signature Text", ppr='<w:keepNext/><w:keepLines/>'),
        paragraph_style("Separator", "Separator", ppr=border + '<w:spacing w:after="200"/>', rpr='<w:sz w:val="8"/>'),
        paragraph_style("LetterheadName", "Letterhead Name", ppr='<w:spacing w:after="0"/>',
                        rpr=f'<w:b/><w:color w:val="{ACCENT}"/><w:sz w:val="28"/><w:szCs w:val="28"/>'),
        paragraph_style("LetterheadDetails", "Letterhead Details", ppr='<w:spacing w:after="0"/>', rpr=f'<w:color w:val="{MUTED}"/><w:sz w:val="17"/><w:szCs w:val="17"/>'),
        paragraph_style("Header", "header", ppr='<w:tabs><w:tab w:val="center" w:pos="4680"/><w:tab w:val="right" w:pos="9360"/></w:tabs><w:spacing w:after="0"/>'),
        paragraph_style("Footer", "footer", ppr='<w:tabs><w:tab w:val="right" w:pos="9360"/></w:tabs><w:spacing w:after="0"/>',
                        rpr=f'<w:color w:val="{MUTED}"/><w:sz w:val="16"/><w:szCs w:val="16"/>'),
        character_style("Strong", "Strong", "<w:b/><w:bCs/>"),
        character_style("Emphasis", "Emphasis", "<w:i/><w:iCs/>"),
        character_style("Hyperlink", "Hyperlink", '<w:color w:val="0563C1"/><w:u w:val="single"/>'),
        '<w:style w:type="table" w:styleId="PlanTable"><w:name w:val="Plan Table"/><w:basedOn w:val="TableNormal"/><w:qFormat/>'
        '<w:pPr><w:spacing w:after="0"/></w:pPr>'
        '<w:tblPr><w:tblBorders>'
        f'<w:top w:val="single" w:sz="4" w:space="0" w:color="{RULE}"/><w:left w:val="single" w:sz="4" w:space="0" w:color="{RULE}"/>'
        f'<w:bottom w:val="single" w:sz="4" w:space="0" w:color="{RULE}"/><w:right w:val="single" w:sz="4" w:space="0" w:color="{RULE}"/>'
        f'<w:insideH w:val="single" w:sz="4" w:space="0" w:color="{RULE}"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="{RULE}"/>'
        '</w:tblBorders><w:tblCellMar><w:top w:w="40" w:type="dxa"/><w:left w:w="80" w:type="dxa"/><w:bottom w:w="40" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar></w:tblPr>'
        f'<w:tblStylePr w:type="firstRow"><w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="{SHADE}"/></w:tcPr></w:tblStylePr>'
        '</w:style>',
    ]
    defaults = (
        f'<w:docDefaults><w:rPrDefault><w:rPr>{FONT}<w:sz w:val="20"/><w:szCs w:val="20"/><w:lang w:val="en-US" w:eastAsia="en-US" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>'
        '<w:pPrDefault><w:pPr><w:spacing w:after="100" w:line="264" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>'
    )
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:styles xmlns:w="{W}">{defaults}{"".join(styles)}</w:styles>'


def header_xml():
    """The letterhead: practice name, address and contact line, with a rule beneath."""
    rule = f'<w:pBdr><w:bottom w:val="single" w:sz="6" w:space="6" w:color="{RULE}"/></w:pBdr>'
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:hdr xmlns:w="{W}" xmlns:r="{R}">'
        '<w:p><w:pPr><w:pStyle w:val="LetterheadName"/></w:pPr><w:r><w:t>{practice.logo}</w:t></w:r></w:p>'
        '<w:p><w:pPr><w:pStyle w:val="LetterheadName"/></w:pPr><w:r><w:t>{practice.name}</w:t></w:r></w:p>'
        '<w:p><w:pPr><w:pStyle w:val="LetterheadDetails"/></w:pPr><w:r><w:t>{practice.address}</w:t></w:r></w:p>'
        f'<w:p><w:pPr><w:pStyle w:val="LetterheadDetails"/>{rule}<w:spacing w:after="240"/></w:pPr><w:r><w:t>{{practice.contact}}</w:t></w:r></w:p>'
        '</w:hdr>'
    )


def footer_xml():
    """Who the document is about, the confidentiality line and "Page X of Y"."""
    rule = f'<w:pBdr><w:top w:val="single" w:sz="4" w:space="4" w:color="{RULE}"/></w:pBdr>'
    field = lambda instr: f'<w:fldSimple w:instr=" {instr} \\* MERGEFORMAT "><w:r><w:t>1</w:t></w:r></w:fldSimple>'  # noqa: E731
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:ftr xmlns:w="{W}" xmlns:r="{R}">'
        f'<w:p><w:pPr><w:pStyle w:val="Footer"/>{rule}</w:pPr>'
        '<w:r><w:t xml:space="preserve">{client.name}</w:t></w:r><w:r><w:t xml:space="preserve"> · {labels.date_of_birth} </w:t></w:r>'
        '<w:r><w:t>{client.date_of_birth}</w:t></w:r>'
        '<w:r><w:tab/></w:r><w:r><w:t xml:space="preserve">{labels.page} </w:t></w:r>'
        + field("PAGE")
        + '<w:r><w:t xml:space="preserve"> {labels.page_of} </w:t></w:r>'
        + field("NUMPAGES")
        + '</w:p>'
        '<w:p><w:pPr><w:pStyle w:val="Footer"/></w:pPr><w:r><w:t>{labels.confidential}</w:t></w:r></w:p>'
        '</w:ftr>'
    )


def document_xml():
    """An empty body with the page setup: US Letter, one-inch margins, header and footer."""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="{W}" xmlns:r="{R}"><w:body><w:p/>'
        '<w:sectPr><w:headerReference w:type="default" r:id="rIdHeader"/><w:footerReference w:type="default" r:id="rIdFooter"/>'
        '<w:pgSz w:w="12240" w:h="15840"/><w:pgMar w:top="1296" w:right="1440" w:bottom="1296" w:left="1440" w:header="576" w:footer="576" w:gutter="0"/>'
        '</w:sectPr></w:body></w:document>'
    )


def package_parts():
    """(name, content) of every part, in the order they are written."""
    ct = "application/vnd.openxmlformats-officedocument"
    return [
        ("[Content_Types].xml",
         '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
         '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
         f'<Override PartName="/word/document.xml" ContentType="{ct}.wordprocessingml.document.main+xml"/>'
         f'<Override PartName="/word/styles.xml" ContentType="{ct}.wordprocessingml.styles+xml"/>'
         f'<Override PartName="/word/settings.xml" ContentType="{ct}.wordprocessingml.settings+xml"/>'
         f'<Override PartName="/word/numbering.xml" ContentType="{ct}.wordprocessingml.numbering+xml"/>'
         f'<Override PartName="/word/header1.xml" ContentType="{ct}.wordprocessingml.header+xml"/>'
         f'<Override PartName="/word/footer1.xml" ContentType="{ct}.wordprocessingml.footer+xml"/>'
         '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
         f'<Override PartName="/docProps/app.xml" ContentType="{ct}.extended-properties+xml"/></Types>'),
        ("_rels/.rels",
         f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{REL}">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
         '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
         '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>'
         '</Relationships>'),
        ("docProps/core.xml",
         '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
         'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
         '<dc:title>Treatment plan</dc:title><cp:revision>1</cp:revision></cp:coreProperties>'),
        ("docProps/app.xml",
         '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
         '<Application>txplan</Application></Properties>'),
        ("word/_rels/document.xml.rels",
         f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{REL}">'
         '<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
         '<Relationship Id="rIdSettings" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/>'
         '<Relationship Id="rIdNumbering" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/>'
         '<Relationship Id="rIdHeader" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/>'
         '<Relationship Id="rIdFooter" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer1.xml"/>'
         '</Relationships>'),
        ("word/document.xml", document_xml()),
        ("word/styles.xml", styles_xml()),
        ("word/settings.xml",
         f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:settings xmlns:w="{W}"><w:defaultTabStop w:val="720"/>'
         '<w:characterSpacingControl w:val="doNotCompress"/><w:compat><w:compatSetting w:name="compatibilityMode" '
         'w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat></w:settings>'),
        ("word/numbering.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:numbering xmlns:w="{W}"/>'),
        ("word/header1.xml", header_xml()),
        ("word/footer1.xml", footer_xml()),
    ]


def write(path: Path) -> None:
    """Write the reference document to ``path``, byte-identical on every run."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in package_parts():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content.encode("utf-8"))


if __name__ == "__main__":
    default = Path(__file__).resolve().parent.parent / "template_packs" / "default" / "reference.docx"
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    write(target)
    print(f"wrote {target}")
