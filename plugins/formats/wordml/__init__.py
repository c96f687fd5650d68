"""Building blocks of the Word (DOCX) output format: the reference-document contract and its
safety checks (:mod:`.reference`), the Markdown-to-WordprocessingML writer (:mod:`.writer`) and
the deterministic package (:mod:`.package`)."""
