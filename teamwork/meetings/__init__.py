"""Meetings: schedule, agendas, minutes, attendance and the meeting summary"""
