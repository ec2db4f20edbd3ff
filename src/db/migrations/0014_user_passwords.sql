-- Passwords for Galaxy's HTTP Basic login (GET /api/authenticate/baseauth). Only a salted scrypt
-- hash is kept (`scrypt$N$r$p$<salt>$<hash>`, base64), never the password; NULL: the user has no
-- password and cannot log in with one (API keys still work).
ALTER TABLE users ADD COLUMN password_hash text;
