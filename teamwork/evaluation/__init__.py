"""Evaluation: measures, the collaboration self-assessment and the health dashboard"""
