"""Views read step records and node graphs; they never drive the engine."""
