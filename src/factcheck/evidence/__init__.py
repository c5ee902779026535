"""What executed notebooks show: evidence cells, recorded values, and checks that asserts ran and could fail."""
