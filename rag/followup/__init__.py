"""Follow-up questions: the earlier turns a client sends (checked), what they offer as referents (spaCy), and the
rules that rewrite "What job did Trump pick him for?" into a standalone question.

Imports only the base modules of rag/.
"""
