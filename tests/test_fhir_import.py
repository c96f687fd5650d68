"""`txplan import PLAN FROM.json [--write]`: instrument answers from FHIR R4 into a plan.

The round trip (export the example, import its responses into the plan without assessments,
same scores), the file kept as it was around the new entries, no duplicate administrations, and
a hostile test for each refusal: unknown codes, missing items, answers out of range, another
patient, not R4, not FHIR JSON, oversized and deeply nested input."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from txplan.fhir.read import MAX_DEPTH, MAX_FHIR_BYTES

PHQ9_ITEMS = ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"]
ANSWERS = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]


def plan_without_assessments(example_text: str) -> str:
    """The example plan with its assessments block removed."""
    start = example_text.index("assessments:\n")
    return example_text[:start] + example_text[example_text.index("\ngoals:") + 1 :]


def phq9_response(ratings: list[int], *, patient: str = "HV-20417", authored: str = "2026-12-01T10:30:00-08:00") -> dict[str, Any]:
    """A PHQ-9 QuestionnaireResponse as a portal might send it (LHC-Forms style linkIds)."""
    return {
        "resourceType": "QuestionnaireResponse",
        "id": "portal-1",
        "questionnaire": "http://loinc.org/q/44249-1",
        "status": "completed",
        "subject": {"identifier": {"system": "urn:example:mrn", "value": patient}},
        "authored": authored,
        "item": [{"linkId": f"/{code}", "answer": [{"valueCoding": {"system": "http://loinc.org", "code": ANSWERS[r]}}]} for code, r in zip(PHQ9_ITEMS, ratings, strict=True)],
    }


@pytest.fixture
def plan(tmp_path: Path, example_text: str) -> Path:
    """A copy of the example plan."""
    path = tmp_path / "plan.yaml"
    path.write_text(example_text, encoding="utf-8")
    return path


def dump(tmp_path: Path, value: Any, name: str = "from.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def test_round_trip_gives_the_same_scores(run: Callable[..., Any], example_path: Path, example_text: str, tmp_path: Path) -> None:
    import txplan

    bundle = tmp_path / "bundle.json"
    assert run("export", example_path, "--to", "fhir", "-o", bundle).code == 0
    empty = tmp_path / "empty.yaml"
    empty.write_text(plan_without_assessments(example_text), encoding="utf-8")
    result = run("import", empty, bundle, "--write")
    assert result.code == 0, result.err
    assert "added 6 assessment entries" in result.out
    assert "skipped 6 Observations" in result.err  # ECR-R and RQ scores alone: no answers in FHIR

    def scores(path: Path) -> list[tuple[str, str, dict[str, Any]]]:
        data = txplan.load_plan(path).data
        host = txplan.Engine().host
        return sorted(
            (a["instrument"], a["date"], dict(host.instruments[a["instrument"]].score(a).scores))
            for a in data["assessments"]
            if a["instrument"] in ("phq-9", "gad-7")
        )

    assert scores(empty) == scores(example_path)
    assert len(scores(empty)) == 6
    assert run("validate", empty).code == 0


def test_dry_run_prints_and_changes_nothing(run: Callable[..., Any], plan: Path, tmp_path: Path) -> None:
    before = plan.read_bytes()
    source = dump(tmp_path, phq9_response([3, 2, 1, 0, 0, 1, 2, 3, 1]))
    result = run("import", plan, source)
    assert result.code == 0, result.err
    assert result.out == "  - instrument: phq-9\n    date: 2026-12-01\n    responses: [3, 2, 1, 0, 0, 1, 2, 3, 1]\n"
    assert "run with --write" in result.err
    assert plan.read_bytes() == before


def test_write_keeps_every_other_byte_and_never_duplicates(run: Callable[..., Any], plan: Path, tmp_path: Path) -> None:
    before = plan.read_text(encoding="utf-8")
    source = dump(tmp_path, phq9_response([3, 2, 1, 0, 0, 1, 2, 3, 1]))
    assert run("import", plan, source, "--write").code == 0
    after = plan.read_text(encoding="utf-8")
    added = "  - instrument: phq-9\n    date: 2026-12-01\n    responses: [3, 2, 1, 0, 0, 1, 2, 3, 1]\n"
    assert after.count(added) == 1
    assert after.replace(added, "", 1) == before  # comments, wrapped lists, order: all as they were
    assert after.index(added) < after.index("\ngoals:")
    assert oct(plan.stat().st_mode & 0o777) == "0o600"
    again = run("import", plan, source, "--write")
    assert again.code == 0 and "nothing to add (1 already in the plan)" in again.err
    assert plan.read_text(encoding="utf-8") == after


def test_a_json_plan_is_updated_too(run: Callable[..., Any], example_path: Path, tmp_path: Path) -> None:
    import txplan

    data = txplan.load_plan(example_path).data
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert run("import", path, dump(tmp_path, phq9_response([1] * 9)), "--write").code == 0
    assert json.loads(path.read_text(encoding="utf-8"))["assessments"][-1] == {"instrument": "phq-9", "date": "2026-12-01", "responses": [1] * 9}


def test_observation_panels_with_components_or_members(run: Callable[..., Any], plan: Path, tmp_path: Path) -> None:
    def item(code: str, rating: int) -> dict[str, Any]:
        return {"code": {"coding": [{"system": "http://loinc.org", "code": code}]}, "valueCodeableConcept": {"coding": [{"system": "http://loinc.org", "code": ANSWERS[rating]}]}}

    panel = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "44249-1"}]},
        "subject": {"identifier": {"value": "HV-20417"}},
        "effectiveDateTime": "2026-12-02",
        "component": [item(code, 2) for code in PHQ9_ITEMS],
    }
    result = run("import", plan, dump(tmp_path, panel))
    assert result.code == 0, result.err
    assert "responses: [2, 2, 2, 2, 2, 2, 2, 2, 2]" in result.out
    members = [{"fullUrl": f"urn:uuid:0000000{n}-0000-4000-8000-000000000000", "resource": {"resourceType": "Observation", "status": "final", "subject": {"identifier": {"value": "HV-20417"}}, **item(code, 1)}} for n, code in enumerate(PHQ9_ITEMS)]
    gad_panel = {**panel, "component": [], "hasMember": [{"reference": m["fullUrl"]} for m in members]}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": "urn:uuid:10000000-0000-4000-8000-000000000000", "resource": gad_panel}, *members]}
    result = run("import", plan, dump(tmp_path, bundle, "bundle.json"))
    assert result.code == 0, result.err
    assert "responses: [1, 1, 1, 1, 1, 1, 1, 1, 1]" in result.out


def test_a_patient_in_the_bundle_identifies_the_client(run: Callable[..., Any], plan: Path, tmp_path: Path) -> None:
    response = phq9_response([0] * 9)
    response["subject"] = {"reference": "Patient/p1"}
    patient = {"resourceType": "Patient", "id": "p1", "identifier": [{"system": "urn:example:mrn", "value": "HV-20417"}]}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}, {"resource": response}]}
    assert run("import", plan, dump(tmp_path, bundle)).code == 0
    patient["identifier"][0]["value"] = "HV-11111"
    result = run("import", plan, dump(tmp_path, bundle))
    assert result.code == 2 and "is for another patient" in result.err and "Bundle.entry[1].resource.subject" in result.err


def refusal(run: Callable[..., Any], plan: Path, tmp_path: Path, value: Any, *expected: str) -> str:
    """Import ``value`` with --write: refused (exit 2) with ``expected`` in the message, the plan unchanged."""
    before = plan.read_bytes()
    source = dump(tmp_path, value) if not isinstance(value, (bytes, str)) else tmp_path / "raw.json"
    if isinstance(value, (bytes, str)):
        source.write_bytes(value if isinstance(value, bytes) else value.encode("utf-8"))
    result = run("import", plan, source, "--write")
    assert result.code == 2, result.err
    for text in expected:
        assert text in result.err, result.err
    assert "Traceback" not in result.err
    assert plan.read_bytes() == before
    return result.err


def test_unknown_form_codes_and_answers_are_refused(run: Callable[..., Any], plan: Path, tmp_path: Path) -> None:
    response = phq9_response([1] * 9)
    response["questionnaire"] = "http://loinc.org/q/99999-9"
    response["item"][0]["linkId"] = "/12345-6"  # and not recognisable by its items either
    refusal(run, plan, tmp_path, response, "QuestionnaireResponse/portal-1", "QuestionnaireResponse.questionnaire", "is not a form txplan knows")
    response = phq9_response([1] * 9)
    response["item"][4]["answer"][0]["valueCoding"]["code"] = "LA9999-9"
    refusal(run, plan, tmp_path, response, "item[4].answer[0].valueCoding", "expected one of LA6568-5, LA6569-3, LA6570-1, LA6571-9")
    response = phq9_response([1] * 9)
    response["item"].append({"linkId": "/55555-5", "answer": [{"valueInteger": 1}]})
    refusal(run, plan, tmp_path, response, "item[9].linkId", "is not an item of the PHQ-9")
    observation = {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "12345-6"}]}, "subject": {"identifier": {"value": "HV-20417"}}, "effectiveDateTime": "2026-12-01", "valueInteger": 3}
    refusal(run, plan, tmp_path, observation, "Observation.code", "is not a panel or score txplan knows")


def test_missing_items_and_out_of_range_answers_are_refused(run: Callable[..., Any], plan: Path, tmp_path: Path) -> None:
    response = phq9_response([1] * 9)
    del response["item"][8]
    refusal(run, plan, tmp_path, response, "QuestionnaireResponse.item", "missing 1 of the PHQ-9's 9 items: 44260-8 (item 9)")
    response = phq9_response([1] * 9)
    response["item"][2]["answer"] = [{"valueInteger": 4}]
    refusal(run, plan, tmp_path, response, "item[2].answer[0].valueInteger", "out of range; expected a whole number from 0 to 3")
    response["item"][2]["answer"] = [{"valueInteger": True}]
    refusal(run, plan, tmp_path, response, "item[2].answer[0].valueInteger")
    response["item"][2]["answer"] = [{"valueDecimal": 1.0}]
    refusal(run, plan, tmp_path, response, "item[2].answer[0]", "expected valueCoding")
    response["item"][2]["answer"] = [{"valueInteger": 1}, {"valueInteger": 2}]
    refusal(run, plan, tmp_path, response, "item[2].answer", "exactly one answer")
    response = phq9_response([1] * 9)
    response["item"].append(copy.deepcopy(response["item"][0]))
    refusal(run, plan, tmp_path, response, "item[9].linkId", "answers the same item twice")
    response = phq9_response([1] * 9)
    response["status"] = "in-progress"
    refusal(run, plan, tmp_path, response, "QuestionnaireResponse.status", "expected 'completed' or 'amended'")
    response = phq9_response([1] * 9, authored="yesterday")
    refusal(run, plan, tmp_path, response, "QuestionnaireResponse.authored")


def test_scores_sent_with_the_answers_must_match(run: Callable[..., Any], plan: Path, tmp_path: Path) -> None:
    response = phq9_response([1] * 9)
    response["id"] = "qr1"
    score = {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "44261-6"}]}, "subject": {"identifier": {"value": "HV-20417"}}, "effectiveDateTime": "2026-12-01", "valueInteger": 9, "derivedFrom": [{"reference": "QuestionnaireResponse/qr1"}]}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": response}, {"resource": score}]}
    assert run("import", plan, dump(tmp_path, bundle)).code == 0
    score["valueInteger"] = 14
    refusal(run, plan, tmp_path, bundle, "Bundle.entry[1].resource.value[x]", "the total score sent differs from the one computed from its answers")
    del score["derivedFrom"]
    refusal(run, plan, tmp_path, {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": score}]}, "score alone")


def test_another_patient_or_no_identity_is_refused(run: Callable[..., Any], plan: Path, tmp_path: Path, example_text: str) -> None:
    err = refusal(run, plan, tmp_path, phq9_response([1] * 9, patient="HV-99999"), "QuestionnaireResponse.subject", "is for another patient")
    assert "HV-20417" not in err and "HV-99999" not in err  # identifiers are not quoted
    response = phq9_response([1] * 9)
    response["subject"] = {"reference": "Patient/123"}
    refusal(run, plan, tmp_path, response, "QuestionnaireResponse.subject", "expected the patient's identifier")
    anonymous = tmp_path / "anonymous.yaml"
    anonymous.write_text(example_text.replace("  identifier: HV-20417\n", ""), encoding="utf-8")
    refusal(run, anonymous, tmp_path, phq9_response([1] * 9), "the plan has no client.identifier")


def test_fhir_that_is_not_r4_is_refused(run: Callable[..., Any], plan: Path, tmp_path: Path) -> None:
    stu3 = phq9_response([1] * 9)
    stu3["questionnaire"] = {"reference": "Questionnaire/phq9"}
    refusal(run, plan, tmp_path, stu3, "QuestionnaireResponse.questionnaire", "is not FHIR R4")
    tagged = {**phq9_response([1] * 9), "meta": {"tag": [{"system": "http://hl7.org/fhir/FHIR-version", "code": "5.0.0"}]}}
    refusal(run, plan, tmp_path, tagged, "QuestionnaireResponse.meta.tag[0]", "is not FHIR R4")
    r5 = {**phq9_response([1] * 9), "meta": {"profile": ["http://hl7.org/fhir/5.0/StructureDefinition/QuestionnaireResponse"]}}
    refusal(run, plan, tmp_path, r5, "meta.profile[0]", "FHIR 5.0 core profile")
    declared = {"resourceType": "Bundle", "fhirVersion": "3.0.2", "type": "collection", "entry": []}
    refusal(run, plan, tmp_path, declared, "Bundle.fhirVersion", "expected 4.0.1")
    inside = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": phq9_response([1] * 9)}, {"resource": tagged}]}
    refusal(run, plan, tmp_path, inside, "Bundle.entry[1].resource.meta.tag[0]", "is not FHIR R4")


def test_json_that_is_not_fhir_is_refused(run: Callable[..., Any], plan: Path, tmp_path: Path) -> None:
    refusal(run, plan, tmp_path, [1, 2, 3], "is not FHIR JSON: expected an object with a 'resourceType'")
    refusal(run, plan, tmp_path, {"answers": [1, 2]}, "expected an object with a 'resourceType'")
    refusal(run, plan, tmp_path, "{not json", "is not FHIR JSON")
    refusal(run, plan, tmp_path, '{"resourceType": "Bundle", "resourceType": "Bundle"}', "appears twice")
    refusal(run, plan, tmp_path, '{"resourceType": "Observation", "valueDecimal": NaN}', "NaN is not a JSON number")
    refusal(run, plan, tmp_path, '{"resourceType": "Observation", "valueInteger": ' + "9" * 5000 + "}", "a number of 5000 digits")
    refusal(run, plan, tmp_path, b"\xff\xfe{", "is not UTF-8")
    refusal(run, plan, tmp_path, {"resourceType": "Bundle", "entry": [{"resource": {"no": "type"}}]}, "Bundle.entry[0].resource")
    refusal(run, plan, tmp_path, {"resourceType": "Bundle", "entry": []}, "holds no QuestionnaireResponse or Observation")


def test_oversized_and_deeply_nested_input_is_refused_unparsed(run: Callable[..., Any], plan: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as handle:
        handle.truncate(MAX_FHIR_BYTES + 1)  # sparse: nothing is read
    before = plan.read_bytes()
    result = run("import", plan, big, "--write")
    assert result.code == 2 and f"at most {MAX_FHIR_BYTES:,} bytes" in result.err
    deep = '{"resourceType": "Bundle", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    refusal(run, plan, tmp_path, deep, f"nests deeper than {MAX_DEPTH} levels")
    assert plan.read_bytes() == before
    result = run("import", plan, tmp_path / "missing.json")
    assert result.code == 2 and "does not exist" in result.err


def test_an_invalid_result_is_never_written(run: Callable[..., Any], plan: Path, tmp_path: Path, example_text: str) -> None:
    plan.write_text(example_text.replace("start_date: 2026-09-14", "start_date: 2026-02-30"), encoding="utf-8")
    refusal(run, plan, tmp_path, phq9_response([1] * 9), "not changed", "plan.start_date")


def test_a_symbolic_link_plan_is_not_replaced(run: Callable[..., Any], plan: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.yaml"
    link.symlink_to(plan)
    before = plan.read_bytes()
    result = run("import", link, dump(tmp_path, phq9_response([1] * 9)), "--write")
    assert result.code == 4 and "symbolic link" in result.err
    assert plan.read_bytes() == before and link.is_symlink()


pcl5 = pytest.importorskip("txplan_pcl5", reason="examples/plugins/txplan-pcl5 is not installed") if not os.environ.get("CI") else __import__("txplan_pcl5")


def test_a_third_party_instrument_exports_and_imports(run: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, example_text: str, tmp_path: Path) -> None:
    """The example PCL-5 plugin declares its FHIR mapping: its LOINC panel and score, numbered items."""
    from txplan.plugin_host import LOAD_PLUGINS_ENV

    monkeypatch.delenv(LOAD_PLUGINS_ENV)
    answers = [2, 1, 3, 2, 2, 1, 2, 1, 2, 2, 3, 2, 2, 1, 2, 1, 2, 2, 3, 2]
    plan = tmp_path / "plan.yaml"
    plan.write_text(example_text.replace("assessments:\n", f"assessments:\n  - instrument: pcl-5\n    date: 2026-10-01\n    responses: {answers}\n", 1), encoding="utf-8")
    result = run("export", plan, "--to", "fhir")
    assert result.code == 0, result.err
    bundle = json.loads(result.out)
    response = next(e["resource"] for e in bundle["entry"] if e["resource"].get("questionnaire") == "http://loinc.org/q/101697-1")
    assert [i["answer"][0]["valueInteger"] for i in response["item"]] == answers
    total = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation" and e["resource"]["code"]["coding"][0]["code"] == "101698-9")
    assert total["valueInteger"] == sum(answers)
    clusters = {e["resource"]["code"]["coding"][0]["code"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"}
    assert {"pcl-5.intrusion", "pcl-5.avoidance", "pcl-5.cognition_mood", "pcl-5.arousal"} <= clusters
    empty = tmp_path / "empty.yaml"
    empty.write_text(plan_without_assessments(example_text), encoding="utf-8")
    source = dump(tmp_path, bundle, "bundle.json")
    imported = run("import", empty, source)
    assert imported.code == 0, imported.err
    assert f"  - instrument: pcl-5\n    date: 2026-10-01\n    responses: {answers}\n" in imported.out


def test_windows_line_endings_are_kept(run: Callable[..., Any], plan: Path, tmp_path: Path) -> None:
    before = plan.read_bytes().replace(b"\n", b"\r\n")
    plan.write_bytes(before)
    assert run("import", plan, dump(tmp_path, phq9_response([1] * 9)), "--write").code == 0
    after = plan.read_bytes()
    added = b"  - instrument: phq-9\r\n    date: 2026-12-01\r\n    responses: [1, 1, 1, 1, 1, 1, 1, 1, 1]\r\n"
    assert after.replace(added, b"", 1) == before


def test_a_failed_write_leaves_the_plan_as_it_was(run: Callable[..., Any], plan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan is replaced in one rename; when that fails (a full disk, a locked file) the old
    plan stays whole and no temporary file is left."""
    before = plan.read_bytes()

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    result = run("import", plan, dump(tmp_path, phq9_response([1] * 9)), "--write")
    assert result.code == 4 and "the disk is full" in result.err
    assert plan.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".txplan-")]


def test_a_forms_app_response_with_groups_and_a_total_is_read(run: Callable[..., Any], plan: Path, tmp_path: Path) -> None:
    """The shape a forms app writes: items nested in a group, linkIds as LOINC paths, a total
    item with a decimal, a questionnaire URL that is not LOINC's (recognised by its items)."""
    response = phq9_response([0, 1, 2, 3, 0, 1, 2, 3, 0])
    items = response.pop("item")
    for item in items:
        item["linkId"] = "/44249-1" + item["linkId"]
        del item["answer"][0]["valueCoding"]["system"]
    total = {"linkId": "/44249-1/44261-6", "answer": [{"valueDecimal": 12}]}
    response["item"] = [{"linkId": "/44249-1", "item": [*items, total]}]
    response["questionnaire"] = "https://forms.example/Questionnaire/phq9|2.1"
    result = run("import", plan, dump(tmp_path, response))
    assert result.code == 0, result.err
    assert "responses: [0, 1, 2, 3, 0, 1, 2, 3, 0]" in result.out
    total["answer"] = [{"valueDecimal": 13}]
    refusal(run, plan, tmp_path, response, "QuestionnaireResponse.item[0].item[9]", "the total score sent differs")
