"""Tutoring helpers: quizzes graded exactly, subject detection."""
