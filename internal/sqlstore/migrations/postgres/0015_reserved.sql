-- Empty: keeps the numbering contiguous until the migration numbered 0015 lands;
-- delete this file then.
SELECT 1;
