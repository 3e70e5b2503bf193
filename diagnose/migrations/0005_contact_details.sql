-- how a firm reaches its center and consultant (the report's 'whom to call')
ALTER TABLE centers ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE centers ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE centers ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '';
