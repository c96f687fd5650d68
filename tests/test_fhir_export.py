"""`txplan export PLAN --to fhir`: one FHIR R4 Bundle that a maintained R4 model library loads
(fhirclient 4.x, generated from FHIR 4.0.1), that meets txplan's own checks of the US Core
required elements, whose references all resolve inside it, and whose ids stay the same when the
same plan is exported again."""

from __future__ import annotations

import base64
import copy
import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fhirclient.models import fhirelementfactory
from fhirclient.models.bundle import Bundle

from txplan.fhir import systems
from txplan.fhir.uscore import bundle_problems, references

AS_OF = "2026-12-07"


@pytest.fixture
def bundle(run: Callable[..., Any], example_path: Path) -> dict[str, Any]:
    """The example plan exported to standard output."""
    result = run("export", example_path, "--to", "fhir", "--as-of", AS_OF)
    assert result.code == 0, result.err
    return json.loads(result.out)


def resources_of(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The resources of one type, in bundle order."""
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def by_reference(bundle: dict[str, Any], reference: dict[str, str]) -> dict[str, Any]:
    """The resource a reference points to (KeyError if it is not in the bundle)."""
    return {e["fullUrl"]: e["resource"] for e in bundle["entry"]}[reference["reference"]]


def test_every_resource_loads_in_the_r4_model_library(bundle: dict[str, Any]) -> None:
    """fhirclient's strict R4 (4.0.1) models refuse unknown elements, wrong types and missing
    required elements; the whole bundle and each resource on its own must load."""
    loaded = Bundle(copy.deepcopy(bundle), strict=True)
    assert len(loaded.entry) == len(bundle["entry"])
    for entry in bundle["entry"]:
        resource = entry["resource"]
        model = fhirelementfactory.FHIRElementFactory.instantiate(resource["resourceType"], copy.deepcopy(resource))
        assert type(model).__name__ == resource["resourceType"]
        assert model.as_json()["id"] == resource["id"]
    # The library does refuse what R4 does not allow: a missing required element, an unknown one.
    from fhirclient.models.fhirabstractbase import FHIRValidationError

    broken = copy.deepcopy(bundle)
    careplan = resources_of(broken, "CarePlan")[0]
    del careplan["intent"]
    careplan["diagnosis"] = "none"
    with pytest.raises(FHIRValidationError, match="intent"):
        Bundle(broken, strict=True)


def test_the_bundle_holds_what_the_plan_holds(bundle: dict[str, Any], example_text: str) -> None:
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert bundle["type"] == "collection"
    for kind in ("Patient", "Practitioner", "Organization", "CarePlan", "DocumentReference"):
        assert kinds.count(kind) == 1, kind
    assert kinds.count("Condition") == 1  # one diagnosis
    assert kinds.count("Goal") == 3
    # PHQ-9 and GAD-7 three times each have a LOINC form; the ECR-R, RQ and AAI have none.
    assert kinds.count("QuestionnaireResponse") == 6
    # One Observation per score: 6 totals, ECR-R anxiety + avoidance twice, RQ's two models; the AAI has no score.
    assert kinds.count("Observation") == 6 + 4 + 2


def test_txplans_own_us_core_checks_pass_and_can_fail(bundle: dict[str, Any]) -> None:
    assert bundle_problems(bundle) == []
    broken = copy.deepcopy(bundle)
    careplan = resources_of(broken, "CarePlan")[0]
    careplan["category"] = [{"coding": [{"system": systems.CAREPLAN_CATEGORY, "code": "other"}]}]
    del resources_of(broken, "Goal")[0]["lifecycleStatus"]
    resources_of(broken, "Observation")[0]["subject"] = {"reference": "urn:uuid:00000000-0000-0000-0000-000000000000"}
    problems = bundle_problems(broken)
    assert any("category needs assess-plan" in p for p in problems)
    assert any("lifecycleStatus is required" in p for p in problems)
    assert any("does not resolve inside the bundle" in p for p in problems)


def test_every_reference_resolves_and_every_profile_is_declared(bundle: dict[str, Any]) -> None:
    urls = {e["fullUrl"] for e in bundle["entry"]}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        assert resource["meta"]["profile"] == [systems.PROFILES[resource["resourceType"]]]
        for reference in references(resource):
            assert reference in urls


def test_ids_are_stable_for_the_same_plan_and_differ_for_another(run: Callable[..., Any], example_text: str, tmp_path: Path, bundle: dict[str, Any]) -> None:
    edited = tmp_path / "plan.yaml"
    edited.write_text(example_text.replace("Reviewed with Amélie every fourth session", "Reviewed every fourth session"), encoding="utf-8")
    again = json.loads(run("export", edited, "--to", "fhir", "--as-of", AS_OF).out)
    assert [e["fullUrl"] for e in again["entry"]] == [e["fullUrl"] for e in bundle["entry"]]
    other = tmp_path / "other.yaml"
    other.write_text(example_text.replace("identifier: HV-20417", "identifier: HV-99999"), encoding="utf-8")
    different = json.loads(run("export", other, "--to", "fhir", "--as-of", AS_OF).out)
    assert not {e["fullUrl"] for e in different["entry"]} & {e["fullUrl"] for e in bundle["entry"]}


def test_people_carry_their_identifiers(bundle: dict[str, Any]) -> None:
    patient = resources_of(bundle, "Patient")[0]
    assert patient["identifier"][0]["value"] == "HV-20417"
    assert patient["birthDate"] == "1991-04-17"
    assert patient["gender"] == "unknown"  # not recorded in a plan; US Core requires the element
    practitioner = resources_of(bundle, "Practitioner")[0]
    assert practitioner["identifier"] == [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}]
    assert practitioner["qualification"][0]["code"]["text"] == "PhD, Licensed Psychologist"
    assert practitioner["qualification"][0]["identifier"][0]["value"] == "PSY-31852"
    assert practitioner["name"][0]["family"] == "Reyes"
    assert resources_of(bundle, "Organization")[0]["name"] == "Harbour & Vine Counselling"


def test_the_diagnosis_is_icd10cm_and_marked_primary(bundle: dict[str, Any]) -> None:
    condition = resources_of(bundle, "Condition")[0]
    assert condition["code"]["coding"] == [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "F43.23"}]
    assert {"system": systems.TXPLAN_DIAGNOSIS_ROLE, "code": "primary", "display": "Primary diagnosis"} in [
        c for category in condition["category"] for c in category["coding"]
    ]
    careplan = resources_of(bundle, "CarePlan")[0]
    assert by_reference(bundle, careplan["addresses"][0]) is condition


def test_goals_carry_the_clients_words_and_the_measured_targets(bundle: dict[str, Any]) -> None:
    goals = resources_of(bundle, "Goal")
    assert goals[0]["description"]["text"].startswith("I want to stop panicking")
    assert any(n["text"].startswith("Clinical statement: Reduce attachment anxiety") for n in goals[0]["note"])
    gad_target = next(t for t in goals[2]["target"] if t["measure"].get("coding"))
    assert gad_target["measure"]["coding"] == [{"system": "http://loinc.org", "code": "70274-6"}]
    assert gad_target["detailRange"]["high"]["value"] == 9
    assert gad_target["dueDate"] == "2027-01-31"
    ecr_target = next(t for t in goals[0]["target"] if t["measure"].get("coding"))
    assert ecr_target["measure"]["coding"][0]["system"] == systems.TXPLAN_SCORE
    assert ecr_target["measure"]["coding"][0]["code"] == "ecr-r.anxiety"
    # G3.1 is met and the GAD-7 objective is met by the latest administration (8 <= 9): G3 is in progress, not completed (G3.2 is open).
    assert goals[2]["lifecycleStatus"] == "active"
    assert goals[2]["achievementStatus"]["coding"][0]["code"] == "in-progress"
    assert "achievementStatus" not in goals[1]  # nothing started yet: no achievement is claimed


def test_the_careplan_links_goals_interventions_and_author(bundle: dict[str, Any]) -> None:
    careplan = resources_of(bundle, "CarePlan")[0]
    assert careplan["status"] == "active"  # signed by the clinician
    assert careplan["intent"] == "plan"
    assert careplan["period"] == {"start": "2026-09-14", "end": "2027-03-14"}
    assert by_reference(bundle, careplan["author"])["resourceType"] == "Practitioner"
    assert [by_reference(bundle, g)["description"]["text"][:6] for g in careplan["goal"]] == ["I want", "I'd li", "I want"]
    assert len(careplan["activity"]) == 5
    first = careplan["activity"][0]["detail"]
    assert first["scheduledString"] == "Weekly, in every session"
    assert "Planned absences are announced early" in first["description"]
    assert [by_reference(bundle, g)["description"]["text"][:6] for g in first["goal"]] == ["I want", "I'd li"]


def test_questionnaire_responses_use_the_loinc_form_items_and_answers(bundle: dict[str, Any]) -> None:
    phq9 = resources_of(bundle, "QuestionnaireResponse")[0]
    assert phq9["questionnaire"] == "http://loinc.org/q/44249-1"
    assert phq9["authored"] == "2026-08-31"
    links = [item["linkId"] for item in phq9["item"]]
    assert links == ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8", "69722-7"]
    # Answers [2, 1, 2, 2, 1, 2, 1, 1, 0], difficulty 1 -> LL358-3 and LL359-1 answer codes.
    codes = [item["answer"][0]["valueCoding"]["code"] for item in phq9["item"]]
    assert codes == ["LA6570-1", "LA6569-3", "LA6570-1", "LA6570-1", "LA6569-3", "LA6570-1", "LA6569-3", "LA6569-3", "LA6568-5", "LA6573-5"]
    assert all("text" not in item for item in phq9["item"])  # no item text is shipped
    gad7 = resources_of(bundle, "QuestionnaireResponse")[1]
    assert gad7["questionnaire"] == "http://loinc.org/q/69737-5"
    assert [i["linkId"] for i in gad7["item"]] == ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]


def test_each_score_is_an_observation_derived_from_its_answers(bundle: dict[str, Any]) -> None:
    observations = resources_of(bundle, "Observation")
    totals = {(o["code"]["coding"][0]["code"], o["effectiveDateTime"]): o for o in observations if o["code"]["coding"][0]["system"] == "http://loinc.org"}
    assert totals[("44261-6", "2026-08-31")]["valueInteger"] == 12
    assert totals[("70274-6", "2026-08-31")]["valueInteger"] == 13
    assert totals[("44261-6", "2026-11-09")]["valueInteger"] == 6
    source = by_reference(bundle, totals[("44261-6", "2026-08-31")]["derivedFrom"][0])
    assert source["questionnaire"].endswith("44249-1") and source["authored"] == "2026-08-31"
    ecr = [o for o in observations if o["code"]["coding"][0]["code"] == "ecr-r.anxiety"]
    assert [round(o["valueQuantity"]["value"], 2) for o in ecr] == [5.78, 4.78]
    assert all(o["category"][0]["coding"][0]["code"] == "survey" for o in observations)


def test_the_rendered_document_is_attached(bundle: dict[str, Any], run: Callable[..., Any], example_path: Path, tmp_path: Path) -> None:
    document = resources_of(bundle, "DocumentReference")[0]
    assert document["type"]["coding"][0]["code"] == "18776-5"
    markdown, docx = (base64.b64decode(c["attachment"]["data"]) for c in document["content"])
    rendered = tmp_path / "plan.md"
    assert run("render", example_path, "-f", "markdown", "-o", rendered, "--as-of", AS_OF).code == 0
    assert markdown == rendered.read_bytes()
    assert docx[:2] == b"PK"  # a Word package
    assert document["content"][1]["attachment"]["contentType"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_output_file_is_private_and_atomic(run: Callable[..., Any], example_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "bundle.json"
    result = run("export", example_path, "--to", "fhir", "-o", target)
    assert result.code == 0 and result.out == f"wrote {target}\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json.loads(target.read_text(encoding="utf-8"))["resourceType"] == "Bundle"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".txplan-")]
    assert run("export", example_path, "--to", "fhir", "-o", "-").out.startswith("{")


def test_bad_input_writes_nothing(run: Callable[..., Any], example_text: str, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(example_text.replace("start_date: 2026-09-14", "start_date: 2026-13-14"), encoding="utf-8")
    target = tmp_path / "out.json"
    result = run("export", plan, "--to", "fhir", "-o", target)
    assert result.code == 2 and "plan.start_date" in result.err and not target.exists()
    assert "Durand" not in result.err  # no plan content in messages
    assert run("export", plan, "--to", "hl7v2").code == 2
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "elsewhere.json")
    good = tmp_path / "good.yaml"
    good.write_text(example_text, encoding="utf-8")
    assert run("export", good, "--to", "fhir", "-o", link).code == 4
    assert not (tmp_path / "elsewhere.json").exists()
    assert run("export", good, "--to", "fhir", "-o", good).code == 4
    assert good.read_text(encoding="utf-8") == example_text


def test_a_mapping_must_fit_the_instruments_answers(toy_instrument: Any) -> None:
    """A plugin's FhirMapping is checked at registration and by the conformance kit."""
    from dataclasses import replace

    from txplan.contracts import FhirMapping
    from txplan.testing import assert_instrument_conforms

    fits = replace(toy_instrument, fhir=FhirMapping(form="00000-0", items=("a", "b", "c"), high=3))
    assert fits.problems() == []
    assert_instrument_conforms(fits, valid=[{"responses": [0, 3, 2]}], invalid=[{"responses": [4, 0, 0]}])
    too_few = replace(toy_instrument, fhir=FhirMapping(form="00000-0", items=("a", "b"), high=3))
    assert any("fhir.items" in p for p in too_few.problems())
    # Answer codes for 0-2 only, while the scale goes to 3.
    short_scale = replace(toy_instrument, fhir=FhirMapping(form="00000-0", items=("a", "b", "c"), answers=("LA1-1", "LA2-2", "LA3-3")))
    assert any("ratings 0-2, but 'responses' allows 0-3" in p for p in short_scale.problems())
    with pytest.raises(AssertionError, match="ratings 0-2"):
        assert_instrument_conforms(short_scale, valid=[{"responses": [0, 3, 2]}], invalid=[{"responses": [4, 0, 0]}])
    # One answer code given twice: written and read back, rating 1 would come back as 0.
    repeated = replace(toy_instrument, fhir=FhirMapping(form="00000-0", items=("a", "b", "c"), answers=("LA1-1", "LA1-1", "LA3-3", "LA4-4")))
    with pytest.raises(AssertionError, match="FHIR round trip gives other answers"):
        assert_instrument_conforms(repeated, valid=[{"responses": [0, 1, 2]}], invalid=[{"responses": [4, 0, 0]}])


def test_a_diagnosis_code_written_twice_gives_two_conditions(run: Callable[..., Any], example_text: str, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    second = "  - code: F43.23\n    description: The same code, described again\n"
    plan.write_text(example_text.replace("    primary: true\n", "    primary: true\n" + second, 1), encoding="utf-8")
    result = run("export", plan, "--to", "fhir")
    assert result.code == 0, result.err
    bundle = json.loads(result.out)
    assert len({c["id"] for c in resources_of(bundle, "Condition")}) == 2
    assert bundle_problems(bundle) == []


def test_the_python_api_gives_the_same_bundle(bundle: dict[str, Any], example_path: Path) -> None:
    """docs/fhir.md's 'From Python' example."""
    import datetime as dt

    import txplan
    from txplan.fhir.export import plan_bundle

    engine = txplan.Engine()
    assert plan_bundle(engine, engine.load(example_path), as_of=dt.date.fromisoformat(AS_OF)) == bundle


def test_the_same_plan_gives_the_same_bytes(run: Callable[..., Any], example_path: Path) -> None:
    first = run("export", example_path, "--to", "fhir", "--as-of", AS_OF).out
    assert first == run("export", example_path, "--to", "fhir", "--as-of", AS_OF).out
