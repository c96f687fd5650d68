"""HL7 FHIR R4 (4.0.1) exchange: a whole plan out as one Bundle (:mod:`.export`), instrument
answers in from QuestionnaireResponses and Observations (:mod:`.importer`), and txplan's own
checks of the US Core required elements (:mod:`.uscore`)."""
