"""Full-text search across minutes, decisions and proposals"""
