"""Operating norms and stakeholder incentives: how the team works together, what each agency
brings and hopes to gain, the reminders of incentive reviews, and the team's composition."""
