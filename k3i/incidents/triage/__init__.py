"""Triage of Indonesian free-text reports into incident categories and priorities.

    from k3i.incidents.triage import classify
    result = classify("tlg pak sy dibegal di jl pemuda, pelaku bawa celurit")
    result.category, result.priority, result.confidence, result.explanation

Pure Python (numpy); no Django models. See data/LABELLING.md for the categories and priority rules.
"""

from .model import MAX_CHARS, TriageResult, classify, get_model

__all__ = ["MAX_CHARS", "TriageResult", "classify", "get_model"]
