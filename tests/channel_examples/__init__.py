"""Channel types mimctl does not ship, to show what adding one takes."""
