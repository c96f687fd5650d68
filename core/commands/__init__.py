"""The ``txplan`` commands, one module per group; ``txplan.cli`` parses the options and runs them."""
