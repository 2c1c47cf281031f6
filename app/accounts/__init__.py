"""accounts blueprint."""
