"""Built-in insurer-readiness checks and payer profiles (``txplan check``)."""
