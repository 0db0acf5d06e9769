package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/helpcenter"
)

// HelpStore is the help centre's store (help_* tables of migration
// 0016); it implements helpcenter.Store with the same SQL on both engines.
type HelpStore struct{ db *DB }

var _ helpcenter.Store = (*HelpStore)(nil)

// Help returns the help centre's store.
func (db *DB) Help() *HelpStore { return &HelpStore{db} }

// InTx implements helpcenter.Store.
func (s *HelpStore) InTx(ctx context.Context, fn func(helpcenter.Tx) error) error {
	return s.db.InTx(ctx, func(tx Tx) error { return fn(helpTx{q: tx, db: s.db}) })
}

// View implements helpcenter.Store.
func (s *HelpStore) View(ctx context.Context, fn func(helpcenter.Tx) error) error {
	return fn(helpTx{q: s.db.Read(), db: s.db})
}

type helpTx struct {
	q  Querier
	db *DB
}

var _ helpcenter.Tx = helpTx{}

func (t helpTx) Audit() audit.Appender { return t.db.AuditTx(t.q) }

const helpArticleCols = `id, slug, category, position, live, seeded, created_at, updated_at`

func scanHelpArticle(r scanner) (helpcenter.Article, error) {
	var (
		a                helpcenter.Article
		cat              string
		live, seeded     int64
		created, updated int64
	)
	if err := r.Scan(&a.ID, &a.Slug, &cat, &a.Position, &live, &seeded, &created, &updated); err != nil {
		return a, err
	}
	a.Category, a.Live, a.Seeded = helpcenter.Category(cat), live == 1, seeded == 1
	a.CreatedAt, a.UpdatedAt = fromNanos(created), fromNanos(updated)
	return a, nil
}

func (t helpTx) InsertArticle(ctx context.Context, a helpcenter.Article) (int64, bool, error) {
	var id int64
	err := t.q.QueryRow(ctx, `INSERT INTO help_articles (slug, category, position, live, seeded, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (slug) DO NOTHING RETURNING id`,
		a.Slug, string(a.Category), a.Position, b2i(a.Live), b2i(a.Seeded), nanos(a.CreatedAt), nanos(a.UpdatedAt)).Scan(&id)
	if errors.Is(err, ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("sqlstore: insert help article: %w", err)
	}
	return id, true, nil
}

func (t helpTx) UpdateArticle(ctx context.Context, a helpcenter.Article) error {
	n, err := t.q.Exec(ctx, `UPDATE help_articles SET category = $1, position = $2, live = $3, updated_at = $4 WHERE id = $5`,
		string(a.Category), a.Position, b2i(a.Live), nanos(a.UpdatedAt), a.ID)
	if err != nil {
		return fmt.Errorf("sqlstore: update help article %d: %w", a.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: update help article %d: %w", a.ID, helpcenter.ErrNotFound)
	}
	return nil
}

func (t helpTx) articleWhere(ctx context.Context, where string, arg any) (helpcenter.Article, error) {
	a, err := scanHelpArticle(t.q.QueryRow(ctx, `SELECT `+helpArticleCols+` FROM help_articles WHERE `+where, arg))
	if errors.Is(err, ErrNoRows) {
		return a, helpcenter.ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("sqlstore: help article: %w", err)
	}
	return a, nil
}

func (t helpTx) Article(ctx context.Context, id int64) (helpcenter.Article, error) {
	return t.articleWhere(ctx, "id = $1", id)
}

func (t helpTx) ArticleBySlug(ctx context.Context, slug string) (helpcenter.Article, error) {
	return t.articleWhere(ctx, "slug = $1", slug)
}

// helpCategoryOrder sorts by the categories' display order in SQL.
func helpCategoryOrder() string {
	var b strings.Builder
	b.WriteString("CASE category")
	for i, c := range helpcenter.Categories {
		// Category ids are the package's constants, never input.
		b.WriteString(" WHEN '" + string(c) + "' THEN " + strconv.Itoa(i))
	}
	b.WriteString(" ELSE 99 END")
	return b.String()
}

func (t helpTx) Articles(ctx context.Context, live bool) ([]helpcenter.Article, error) {
	q := `SELECT ` + helpArticleCols + ` FROM help_articles`
	if live {
		q += ` WHERE live = 1`
	}
	rows, err := t.q.Query(ctx, q+` ORDER BY `+helpCategoryOrder()+`, position, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: help articles: %w", err)
	}
	defer rows.Close()
	var out []helpcenter.Article
	for rows.Next() {
		a, err := scanHelpArticle(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: help articles: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

const helpTextCols = `id, article_id, lang, version, title, body, status, author_id, created_at, updated_at, published_at`

func (t helpTx) Texts(ctx context.Context, ids []int64) ([]helpcenter.Text, error) {
	q := `SELECT ` + helpTextCols + ` FROM help_texts WHERE status <> 'retired'`
	var args []any
	if ids != nil {
		if len(ids) == 0 {
			return nil, nil
		}
		ph := make([]string, len(ids))
		for i, id := range ids {
			ph[i] = "$" + strconv.Itoa(i+1)
			args = append(args, id)
		}
		q += ` AND article_id IN (` + strings.Join(ph, ", ") + `)`
	}
	rows, err := t.q.Query(ctx, q+` ORDER BY article_id, lang, version`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: help texts: %w", err)
	}
	defer rows.Close()
	var out []helpcenter.Text
	for rows.Next() {
		var (
			x                           helpcenter.Text
			status                      string
			created, updated, published int64
		)
		if err := rows.Scan(&x.ID, &x.ArticleID, &x.Lang, &x.Version, &x.Title, &x.Body, &status, &x.AuthorID,
			&created, &updated, &published); err != nil {
			return nil, fmt.Errorf("sqlstore: help texts: %w", err)
		}
		x.Status = helpcenter.Status(status)
		x.CreatedAt, x.UpdatedAt, x.PublishedAt = fromNanos(created), fromNanos(updated), fromNanos(published)
		out = append(out, x)
	}
	return out, rows.Err()
}

func (t helpTx) InsertText(ctx context.Context, x helpcenter.Text) (int64, error) {
	var id int64
	err := t.q.QueryRow(ctx, `INSERT INTO help_texts (article_id, lang, version, title, body, status, author_id, created_at, updated_at, published_at)
		VALUES ($1, $2, (SELECT COALESCE(MAX(version), 0) + 1 FROM help_texts WHERE article_id = $1 AND lang = $2),
		$3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		x.ArticleID, x.Lang, x.Title, x.Body, string(x.Status), x.AuthorID, nanos(x.CreatedAt), nanos(x.UpdatedAt), nanos(x.PublishedAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: insert help text: %w", err)
	}
	return id, nil
}

func (t helpTx) UpdateText(ctx context.Context, x helpcenter.Text) error {
	n, err := t.q.Exec(ctx, `UPDATE help_texts SET title = $1, body = $2, author_id = $3, updated_at = $4 WHERE id = $5`,
		x.Title, x.Body, x.AuthorID, nanos(x.UpdatedAt), x.ID)
	if err != nil {
		return fmt.Errorf("sqlstore: update help text %d: %w", x.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: update help text %d: %w", x.ID, helpcenter.ErrNotFound)
	}
	return nil
}

func (t helpTx) SetStatus(ctx context.Context, id int64, status helpcenter.Status, at time.Time) error {
	q := `UPDATE help_texts SET status = $1, updated_at = $2 WHERE id = $3`
	if status == helpcenter.StatusPublished {
		q = `UPDATE help_texts SET status = $1, updated_at = $2, published_at = $2 WHERE id = $3`
	}
	n, err := t.q.Exec(ctx, q, string(status), nanos(at), id)
	if err != nil {
		return fmt.Errorf("sqlstore: help text %d to %s: %w", id, status, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: help text %d: %w", id, helpcenter.ErrNotFound)
	}
	return nil
}

// IndexText writes a text's terms; a text has a few hundred, so one
// statement per hundred rows.
func (t helpTx) IndexText(ctx context.Context, textID int64, terms []helpcenter.Term) error {
	if err := t.UnindexText(ctx, textID); err != nil {
		return err
	}
	const per = 100
	for start := 0; start < len(terms); start += per {
		chunk := terms[start:min(start+per, len(terms))]
		var b strings.Builder
		b.WriteString(`INSERT INTO help_terms (term, text_id, field, tf) VALUES `)
		args := make([]any, 0, 4*len(chunk))
		for i, tm := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			n := 4 * i
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4)
			args = append(args, tm.Term, textID, int(tm.Field), tm.TF)
		}
		if _, err := t.q.Exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("sqlstore: index help text %d: %w", textID, err)
		}
	}
	return nil
}

func (t helpTx) UnindexText(ctx context.Context, textID int64) error {
	if _, err := t.q.Exec(ctx, `DELETE FROM help_terms WHERE text_id = $1`, textID); err != nil {
		return fmt.Errorf("sqlstore: unindex help text %d: %w", textID, err)
	}
	return nil
}

// prefixEnd is the smallest string greater than every string starting
// with p, in byte order (which is code point order for UTF-8): the upper
// bound of a prefix range. A range rather than LIKE, because SQLite's
// LIKE ignores case and so cannot use the index; the terms column is
// byte-ordered on both engines (COLLATE "C" on PostgreSQL).
func prefixEnd(p string) string {
	rs := []rune(p)
	rs[len(rs)-1]++
	return string(rs)
}

// Search implements helpcenter.Tx: one sub-select per query term, tagged
// with the term's number, so that grouping per text counts how many
// distinct terms it matched (in all, and in its title) and weighs the
// occurrences; the same text runs on both engines. The grouping is
// materialized first and only its rows are joined to the texts and
// articles: a planner misled by fresh tables (no statistics yet) would
// otherwise run the term look-ups once per article.
func (t helpTx) Search(ctx context.Context, terms []helpcenter.QueryTerm, limit int) ([]helpcenter.Hit, error) {
	if len(terms) == 0 {
		return nil, nil
	}
	var parts []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	for i, qt := range terms {
		var cond string
		if qt.Prefix && qt.Term != "" {
			cond = "term >= " + arg(qt.Term) + " AND term < " + arg(prefixEnd(qt.Term))
		} else {
			cond = "term = " + arg(qt.Term)
		}
		parts = append(parts, `SELECT text_id, field, tf, `+strconv.Itoa(i)+` AS qi FROM help_terms WHERE `+cond)
	}
	q := `WITH h AS MATERIALIZED (
		SELECT m.text_id,
			COUNT(DISTINCT m.qi) AS matched,
			COUNT(DISTINCT CASE WHEN m.field = 1 THEN m.qi END) AS in_title,
			SUM(CASE WHEN m.field = 1 THEN 5 * m.tf ELSE m.tf END) AS weight
		FROM (` + strings.Join(parts, " UNION ALL ") + `) m
		GROUP BY m.text_id)
		SELECT h.text_id, x.article_id, x.lang, h.matched, h.in_title, h.weight
		FROM h
		JOIN help_texts x ON x.id = h.text_id
		JOIN help_articles a ON a.id = x.article_id
		WHERE x.status = 'published' AND a.live = 1
		ORDER BY h.matched DESC, h.in_title DESC, h.weight DESC, x.article_id, x.lang
		LIMIT ` + arg(limit)
	rows, err := t.q.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: help search: %w", err)
	}
	defer rows.Close()
	var out []helpcenter.Hit
	for rows.Next() {
		var h helpcenter.Hit
		if err := rows.Scan(&h.TextID, &h.ArticleID, &h.Lang, &h.Matched, &h.InTitle, &h.Weight); err != nil {
			return nil, fmt.Errorf("sqlstore: help search: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func (t helpTx) Vote(ctx context.Context, v helpcenter.Vote) error {
	_, err := t.q.Exec(ctx, `INSERT INTO help_votes (article_id, voter, helpful, ip, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (article_id, voter) DO UPDATE SET helpful = excluded.helpful, ip = excluded.ip, created_at = excluded.created_at`,
		v.ArticleID, v.Voter, b2i(v.Helpful), v.IP, nanos(v.At))
	if err != nil {
		return fmt.Errorf("sqlstore: help vote: %w", err)
	}
	return nil
}

func (t helpTx) VotesFrom(ctx context.Context, ip string, since time.Time) (int, error) {
	var n int
	if err := t.q.QueryRow(ctx, `SELECT count(*) FROM help_votes WHERE ip = $1 AND created_at >= $2`, ip, nanos(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlstore: help votes from: %w", err)
	}
	return n, nil
}

func (t helpTx) Feedback(ctx context.Context) (map[int64]helpcenter.Counts, error) {
	rows, err := t.q.Query(ctx, `SELECT article_id, SUM(helpful), SUM(1 - helpful) FROM help_votes GROUP BY article_id`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: help feedback: %w", err)
	}
	defer rows.Close()
	out := map[int64]helpcenter.Counts{}
	for rows.Next() {
		var id int64
		var c helpcenter.Counts
		if err := rows.Scan(&id, &c.Helpful, &c.NotHelpful); err != nil {
			return nil, fmt.Errorf("sqlstore: help feedback: %w", err)
		}
		out[id] = c
	}
	return out, rows.Err()
}
