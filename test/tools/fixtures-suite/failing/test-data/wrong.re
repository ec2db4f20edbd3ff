h.llo
\d+
