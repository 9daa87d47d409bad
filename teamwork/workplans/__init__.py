"""Workplans: activities with deliverables, owners and dates"""
