"""Engine layer: compile checked IR into generated functions and closures; evaluate records
into decisions."""
