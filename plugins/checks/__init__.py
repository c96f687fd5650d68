"""Built-in insurer-readiness checks and payer profiles (``txplan check``). The rules they rest
on are gathered in the repository's docs/sources/payer-rules.md and docs/sources/codes.md; every
check and profile is listed in docs/checks.md."""
