"""The live thumbs up / sideways / down consensus process."""
