"""txplan: a psychotherapy treatment plan, written once as data, rendered into every document a
practice needs.
"""
