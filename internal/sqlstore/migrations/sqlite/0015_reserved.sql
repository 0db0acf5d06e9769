-- Reserved: the number another change of this release uses; this file
-- keeps the sequence whole until that change is merged, then goes away.
SELECT 1;
