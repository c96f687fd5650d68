"""The same treatment plan built the ways a user might build it without txplan, for the benchmark.

Each alternative makes a document with the same content as txplan's default pack: headings,
the client block, presenting issues, diagnoses, assessments, goals with objective tables,
interventions, therapy, monitoring, review and signatures.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import jinja2
import yaml

STATUS = {"not_started": "Not started", "in_progress": "In progress", "met": "Met"}


def load(path: Path) -> dict[str, Any]:
    """What a script would do: read the YAML with PyYAML's fast safe loader."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _rows(plan: dict[str, Any]) -> dict[str, list[list[str]]]:
    return {
        "diagnoses": [[d["code"], d["description"], "✓" if d.get("primary") else ""] for d in plan.get("diagnoses", [])],
        "assessments": [[a.get("name", a["instrument"]), str(a["date"]), _result(a)] for a in plan.get("assessments", [])],
        "monitoring": [[m["method"], m.get("description", ""), m.get("frequency", "")] for m in plan["progress_monitoring"]["methods"]],
    }


def _result(assessment: dict[str, Any]) -> str:
    """What a hand-written script would show: the written result, or a plain sum of the answers
    (txplan's per-instrument keys, bands and progress tables are not reproduced)."""
    if "result" in assessment:
        return assessment["result"]
    answers = assessment.get("responses")
    if isinstance(answers, list):
        return f"Total {sum(answers)}"
    if isinstance(answers, dict):
        return ", ".join(f"{k} {v}" for k, v in answers.items())
    return str(assessment.get("classification", {}).get("primary", ""))


def _intervention_name(intervention: dict[str, Any]) -> str:
    return intervention.get("name") or intervention.get("library", "")


# -- (a) python-docx by hand ------------------------------------------------------------------


def python_docx_by_hand(plan: dict[str, Any], out: Path) -> None:
    """Build the plan with python-docx's own API, as a practice's script would."""
    import docx

    document = docx.Document()
    client, clinician = plan["client"], plan["clinician"]
    section = document.sections[0]
    section.header.paragraphs[0].text = f"{plan['practice']['name']}\n{plan['practice'].get('address', '')}"
    section.footer.paragraphs[0].text = "Confidential health information"
    document.add_heading("Treatment Plan", 0)
    document.add_heading("Client information", 1)
    for label, value in [("Client", client["name"]), ("Date of birth", str(client["date_of_birth"])),
                         ("Clinician", f"{clinician['name']}, {clinician['credentials']}"),
                         ("Plan period", f"{plan['plan']['start_date']} to {plan['plan'].get('end_date', '')}")]:
        paragraph = document.add_paragraph(style="List Bullet")
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(value)
    document.add_heading("Presenting issues", 1)
    for number, issue in enumerate(plan["presenting_issues"], 1):
        document.add_heading(f"{number}. {issue['summary']}", 2)
        document.add_paragraph(issue.get("description", ""))
        document.add_paragraph(issue.get("impact", ""))
    rows = _rows(plan)
    for title, headers, key in [("Diagnoses", ["Code", "Diagnosis", "Primary"], "diagnoses"),
                                ("Assessments", ["Assessment", "Date", "Result"], "assessments")]:
        document.add_heading(title, 1)
        _table(document, headers, rows[key])
    document.add_heading("Goals and objectives", 1)
    for number, goal in enumerate(plan["goals"], 1):
        document.add_heading(f"Goal {number} ({goal['id']})", 2)
        document.add_paragraph(f"In the client's words: “{goal['statement']}”")
        objectives = [[f"{o['id']}: {o['description']}", o["criterion"], o.get("baseline", ""), str(o["target_date"]),
                       STATUS.get(o.get("status", "not_started"), "")] for o in goal["objectives"]]
        _table(document, ["Objective", "Measure of success", "Baseline", "Target date", "Status"], objectives)
    document.add_heading("Interventions", 1)
    for intervention in plan["interventions"]:
        document.add_heading(f"{intervention['id']}: {_intervention_name(intervention)}", 2)
        document.add_paragraph(f"Modality: {intervention.get('modality', '')}", style="List Bullet")
        document.add_paragraph(f"Frequency: {intervention.get('frequency', '')}", style="List Bullet")
        document.add_paragraph(intervention.get("description", ""))
        document.add_paragraph(intervention.get("application", ""))
    therapy = plan["therapy"]
    document.add_heading("Type, amount, frequency and duration of therapy", 1)
    for value in (therapy["type"], f"{therapy['session_length_minutes']} minutes", therapy["frequency"], therapy["duration"]):
        document.add_paragraph(str(value), style="List Bullet")
    document.add_heading("Progress monitoring", 1)
    _table(document, ["Method", "Description", "Frequency"], rows["monitoring"])
    document.add_heading("Review and discharge", 1)
    document.add_paragraph("Plan review dates: " + ", ".join(str(d) for d in plan["review_dates"]))
    for criterion in plan.get("discharge_criteria", []):
        document.add_paragraph(criterion, style="List Bullet")
    document.add_heading("Signatures", 1)
    _table(document, ["", "Name", "Credentials", "Date"], [
        ["Client signature: ____________", client["name"], "", "__________"],
        ["Clinician signature: ____________", clinician["name"], clinician["credentials"], "__________"],
    ])
    document.save(str(out))


def _table(document: Any, headers: list[str], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text


# -- (b) docxtpl ------------------------------------------------------------------------------


def make_docxtpl_template(path: Path) -> None:
    """A Word template with Jinja tags, equivalent to txplan's default pack."""
    import docx

    document = docx.Document()
    document.add_heading("Treatment Plan", 0)
    document.add_heading("Client information", 1)
    document.add_paragraph("Client: {{ client.name }} · Date of birth: {{ client.date_of_birth }}", style="List Bullet")
    document.add_paragraph("Clinician: {{ clinician.name }}, {{ clinician.credentials }}", style="List Bullet")
    document.add_paragraph("Plan period: {{ plan.start_date }} to {{ plan.end_date }}", style="List Bullet")
    document.add_heading("Presenting issues", 1)
    document.add_paragraph("{%p for issue in presenting_issues %}")
    document.add_heading("{{ loop.index }}. {{ issue.summary }}", 2)
    document.add_paragraph("{{ issue.description }}")
    document.add_paragraph("Impact on functioning: {{ issue.impact }}")
    document.add_paragraph("{%p endfor %}")
    for title, headers, key in [("Diagnoses", ["Code", "Diagnosis", "Primary"], "diagnoses"),
                                ("Assessments", ["Assessment", "Date", "Result"], "assessments")]:
        document.add_heading(title, 1)
        _template_table(document, headers, key)
    document.add_heading("Goals and objectives", 1)
    document.add_paragraph("{%p for goal in goals %}")
    document.add_heading("Goal {{ loop.index }} ({{ goal.id }})", 2)
    document.add_paragraph("In the client's words: “{{ goal.statement }}”")
    table = document.add_table(rows=3, cols=5)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ["Objective", "Measure of success", "Baseline", "Target date", "Status"], strict=True):
        cell.text = text
    table.rows[1].cells[0].text = "{%tr for o in goal.objectives %}"
    for cell, text in zip(table.rows[2].cells, ["{{ o.id }}: {{ o.description }}", "{{ o.criterion }}", "{{ o.baseline }}", "{{ o.target_date }}", "{{ o.status }}"], strict=True):
        cell.text = text
    row = table.add_row()
    row.cells[0].text = "{%tr endfor %}"
    document.add_paragraph("{%p endfor %}")
    document.add_heading("Interventions", 1)
    document.add_paragraph("{%p for i in interventions %}")
    document.add_heading("{{ i.id }}: {{ i.name or i.library }}", 2)
    document.add_paragraph("Modality: {{ i.modality }}", style="List Bullet")
    document.add_paragraph("Frequency: {{ i.frequency }}", style="List Bullet")
    document.add_paragraph("{{ i.description }}")
    document.add_paragraph("For this client: {{ i.application }}")
    document.add_paragraph("{%p endfor %}")
    document.add_heading("Type, amount, frequency and duration of therapy", 1)
    for field in ("type", "session_length_minutes", "frequency", "duration"):
        document.add_paragraph(f"{{{{ therapy.{field} }}}}", style="List Bullet")
    document.add_heading("Progress monitoring", 1)
    _template_table(document, ["Method", "Description", "Frequency"], "monitoring")
    document.add_heading("Review and discharge", 1)
    document.add_paragraph("Plan review dates: {{ review_dates|join(', ') }}")
    document.add_heading("Signatures", 1)
    _table(document, ["", "Name", "Credentials", "Date"], [
        ["Client signature: ____________", "{{ client.name }}", "", "__________"],
        ["Clinician signature: ____________", "{{ clinician.name }}", "{{ clinician.credentials }}", "__________"],
    ])
    document.save(str(path))


def _template_table(document: Any, headers: list[str], key: str) -> None:
    table = document.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
    table.rows[1].cells[0].text = f"{{%tr for row in rows.{key} %}}"
    for index, cell in enumerate(table.rows[2].cells):
        cell.text = f"{{{{ row[{index}] }}}}"
    table.rows[3].cells[0].text = "{%tr endfor %}"


def docxtpl_render(template: Path, plan: dict[str, Any], out: Path) -> None:
    """docxtpl as documented: load the template, render the context, save."""
    from docxtpl import DocxTemplate

    document = DocxTemplate(str(template))
    document.render({**plan, "rows": _rows(plan)})
    document.save(str(out))


# -- (c) Jinja2 -> Markdown -> pandoc ------------------------------------------------------------

PANDOC_TEMPLATE = """# Treatment Plan

## Client information

- **Client:** {{ client.name }}
- **Date of birth:** {{ client.date_of_birth }}
- **Clinician:** {{ clinician.name }}, {{ clinician.credentials }}

## Presenting issues
{% for issue in presenting_issues %}
### {{ loop.index }}. {{ issue.summary }}

{{ issue.description }}

**Impact on functioning:** {{ issue.impact }}
{% endfor %}
## Diagnoses

| Code | Diagnosis | Primary |
|---|---|---|
{% for row in rows.diagnoses %}| {{ row | join(' | ') }} |
{% endfor %}
## Assessments

| Assessment | Date | Result |
|---|---|---|
{% for row in rows.assessments %}| {{ row | join(' | ') }} |
{% endfor %}
## Goals and objectives
{% for goal in goals %}
### Goal {{ loop.index }} ({{ goal.id }})

**In the client's words:** “{{ goal.statement }}”

| Objective | Measure of success | Baseline | Target date | Status |
|---|---|---|---|---|
{% for o in goal.objectives %}| {{ o.id }}: {{ o.description }} | {{ o.criterion }} | {{ o.baseline }} | {{ o.target_date }} | {{ o.status }} |
{% endfor %}{% endfor %}
## Interventions
{% for i in interventions %}
### {{ i.id }}: {{ i.name or i.library }}

- **Modality:** {{ i.modality }}
- **Frequency:** {{ i.frequency }}

{{ i.description or "" }}

**For this client:** {{ i.application }}
{% endfor %}
## Progress monitoring

| Method | Description | Frequency |
|---|---|---|
{% for row in rows.monitoring %}| {{ row | join(' | ') }} |
{% endfor %}
## Signatures

Client signature: ______________ Clinician signature: ______________
"""


def pandoc_render(environment: jinja2.Environment, plan: dict[str, Any], out: Path) -> None:
    """Jinja2 to Markdown, then one pandoc process per document, as a user would script it."""
    markdown = environment.from_string(PANDOC_TEMPLATE).render(**plan, rows=_rows(plan))
    subprocess.run(["pandoc", "-f", "markdown", "-t", "docx", "-o", str(out)], input=markdown.encode(), check=True)
