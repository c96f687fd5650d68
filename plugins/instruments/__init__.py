"""Built-in assessment instruments, one module each. Each fact (keys, bands, codes, thresholds,
licences) carries the published source it comes from; no item text is shipped. The repository's
docs/sources/instrument-scoring.md gathers those facts and sources, instrument by instrument."""
