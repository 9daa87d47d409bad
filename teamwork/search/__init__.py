"""Full-text search across minutes, decisions, proposals and comments"""
