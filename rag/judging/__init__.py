"""Is the reader's span right? The question's specific terms looked up in the answer's article (grounding), the
shape the question asks for (answer types), and the calibrated confidence that decides answer or abstain.

Imports, besides the base modules of rag/: reading, followup.
"""
