"""Built-in assessment instruments, one module each. Facts (keys, bands, codes, thresholds,
licences) come from reference/instruments.md and carry their citation; no item text is shipped."""
