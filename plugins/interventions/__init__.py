"""Built-in intervention libraries, one module each, their entries in YAML files of the same
shape a practice's own library uses (schemas/library.schema.json)."""
