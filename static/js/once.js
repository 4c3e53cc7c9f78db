// (being written: the one-time form token)
