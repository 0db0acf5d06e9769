-- Reserved: this number belongs to another branch's migration. This
-- stand-in keeps the numbering contiguous until that branch is merged;
-- delete it then.
SELECT 1;
