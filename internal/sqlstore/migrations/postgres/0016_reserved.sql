-- Reserved: keeps the numbering contiguous until the migration with this
-- number lands on main (delete this file then).
SELECT 1;
