-- Reserved: number taken by a migration on another branch; replaced when it is merged.
SELECT 1;
