1	c	3	z	alpha,beta
\d	a	1	x	(alpha|beta),beta
3	[a-z]	\d	\w	.*
