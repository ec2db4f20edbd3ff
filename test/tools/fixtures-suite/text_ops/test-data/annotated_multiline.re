1\tc\t3\tz\t-\n2\ta.*\n3\tb\t2\ty\t-
