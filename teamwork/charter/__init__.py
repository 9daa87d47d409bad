"""The team charter: mission, vision and goals, versioned and adopted by consensus; the
decision rule, changed by consensus."""
