"""Moderator terms: elections, rotation, backups and handover"""
