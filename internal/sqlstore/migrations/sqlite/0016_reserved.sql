-- Empty: keeps the numbering contiguous until the migration numbered 0016 lands;
-- delete this file then.
SELECT 1;
