"""Teams, their structure (parent teams and subteams), memberships and roles."""
