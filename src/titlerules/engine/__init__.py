"""Engine layer: compile checked IR into closures; evaluate records into decisions."""
