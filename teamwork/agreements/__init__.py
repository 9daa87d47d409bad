"""Signed agreements (institutionalized collaboration): a team's memorandum of understanding and
other agreements, in versions, each version signed by every member agency's representative."""
