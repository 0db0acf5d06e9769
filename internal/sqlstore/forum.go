package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/forum"
	"github.com/okpay/okpay/internal/redact"
)

// ForumStore is the community forum's store (forum_* tables); it
// implements forum.Store.
type ForumStore struct{ db *DB }

var _ forum.Store = (*ForumStore)(nil)

// Forum returns the forum's store.
func (db *DB) Forum() *ForumStore { return &ForumStore{db} }

// InTx implements forum.Store.
func (s *ForumStore) InTx(ctx context.Context, fn func(forum.Tx) error) error {
	return s.db.InTx(ctx, func(tx Tx) error { return fn(forumTx{q: tx, db: s.db}) })
}

// View implements forum.Store.
func (s *ForumStore) View(ctx context.Context, fn func(forum.Tx) error) error {
	return fn(forumTx{q: s.db.Read(), db: s.db})
}

type forumTx struct {
	q  Querier
	db *DB
}

func (t forumTx) Audit() audit.Appender { return t.db.AuditTx(t.q) }

func (t forumTx) LockMember(ctx context.Context, userID int64) (forum.Member, error) {
	m := forum.Member{UserID: userID}
	var (
		role   string
		joined int64
	)
	err := t.q.QueryRow(ctx, "SELECT role, created_at FROM users WHERE id = $1", userID).Scan(&role, &joined)
	if errors.Is(err, ErrNoRows) {
		return m, forum.ErrNotFound
	}
	if err != nil {
		return m, fmt.Errorf("sqlstore: forum member: %w", err)
	}
	// The upsert takes the row's lock on PostgreSQL until commit; SQLite
	// has one writer, which serialises everything anyway.
	err = t.q.QueryRow(ctx, `INSERT INTO forum_members (user_id, posts, touched_at) VALUES ($1, 0, $2)
		ON CONFLICT (user_id) DO UPDATE SET touched_at = excluded.touched_at RETURNING posts`, userID, t.db.now().UnixNano()).Scan(&m.Posts)
	if err != nil {
		return m, fmt.Errorf("sqlstore: lock forum member: %w", err)
	}
	m.Role, m.JoinedAt = auth.Role(role), fromNanos(joined)
	return m, nil
}

func (t forumTx) PostTimes(ctx context.Context, userID int64, opening bool, since time.Time) ([]time.Time, error) {
	rows, err := t.q.Query(ctx, `SELECT created_at FROM forum_posts WHERE author_id = $1 AND opening = $2 AND created_at > $3
		ORDER BY created_at LIMIT 1000`, userID, b2i(opening), since.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("sqlstore: forum post times: %w", err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var at int64
		if err := rows.Scan(&at); err != nil {
			return nil, fmt.Errorf("sqlstore: forum post times: %w", err)
		}
		out = append(out, fromNanos(at))
	}
	return out, rows.Err()
}

func (t forumTx) AddMemberPosts(ctx context.Context, userID int64, delta int) error {
	if _, err := t.q.Exec(ctx, "UPDATE forum_members SET posts = posts + $1 WHERE user_id = $2", delta, userID); err != nil {
		return fmt.Errorf("sqlstore: forum member posts: %w", err)
	}
	return nil
}

const topicColumns = `t.id, t.category, t.title, t.author_id, t.first_post_id, t.accepted_post_id, t.replies, t.locked, t.hidden,
	t.hidden_reason, t.findings, t.created_at, t.last_activity_at`

func (t forumTx) InsertTopic(ctx context.Context, tp forum.Topic) (int64, error) {
	var id int64
	err := t.q.QueryRow(ctx, `INSERT INTO forum_topics (category, title, author_id, first_post_id, accepted_post_id, replies, locked, hidden,
		hidden_reason, findings, created_at, last_activity_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING id`,
		string(tp.Category), tp.Title, tp.AuthorID, tp.FirstPostID, tp.AcceptedPostID, tp.Replies, b2i(tp.Locked), b2i(tp.Hidden),
		tp.HiddenReason, int64(tp.Findings), nanos(tp.CreatedAt), nanos(tp.LastActivityAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: insert forum topic: %w", err)
	}
	return id, nil
}

func (t forumTx) UpdateTopic(ctx context.Context, tp forum.Topic) error {
	n, err := t.q.Exec(ctx, `UPDATE forum_topics SET category = $1, title = $2, first_post_id = $3, accepted_post_id = $4, locked = $5,
		hidden = $6, hidden_reason = $7, findings = $8 WHERE id = $9`,
		string(tp.Category), tp.Title, tp.FirstPostID, tp.AcceptedPostID, b2i(tp.Locked), b2i(tp.Hidden), tp.HiddenReason, int64(tp.Findings), tp.ID)
	if err != nil {
		return fmt.Errorf("sqlstore: update forum topic %d: %w", tp.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: update forum topic %d: %w", tp.ID, forum.ErrNotFound)
	}
	return nil
}

// scanTopics reads topic rows; with total set, each row also carries an
// excerpt and the listing's total, which goes there.
func scanTopics(rows Rows, total *int) ([]forum.Topic, error) {
	defer rows.Close()
	var out []forum.Topic
	for rows.Next() {
		var (
			tp                                  forum.Topic
			cat                                 string
			locked, hidden, findings, cre, last int64
		)
		dest := []any{&tp.ID, &cat, &tp.Title, &tp.AuthorID, &tp.FirstPostID, &tp.AcceptedPostID, &tp.Replies, &locked, &hidden,
			&tp.HiddenReason, &findings, &cre, &last}
		if total != nil {
			dest = append(dest, &tp.Excerpt, total)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		tp.Category, tp.Locked, tp.Hidden, tp.Findings = forum.Category(cat), locked == 1, hidden == 1, redact.Findings(findings)
		tp.CreatedAt, tp.LastActivityAt = fromNanos(cre), fromNanos(last)
		out = append(out, tp)
	}
	return out, rows.Err()
}

func (t forumTx) Topic(ctx context.Context, id int64) (forum.Topic, error) {
	rows, err := t.q.Query(ctx, "SELECT "+topicColumns+" FROM forum_topics t WHERE t.id = $1", id)
	if err != nil {
		return forum.Topic{}, fmt.Errorf("sqlstore: forum topic: %w", err)
	}
	ts, err := scanTopics(rows, nil)
	if err != nil {
		return forum.Topic{}, fmt.Errorf("sqlstore: forum topic: %w", err)
	}
	if len(ts) == 0 {
		return forum.Topic{}, forum.ErrNotFound
	}
	return ts[0], nil
}

func distinct(ss []string) int {
	seen := map[string]bool{}
	for _, s := range ss {
		seen[s] = true
	}
	return len(seen)
}

// excerptChars is how much of an opening post a listing reads.
const excerptChars = 200

func (t forumTx) Topics(ctx context.Context, f forum.TopicFilter) ([]forum.Topic, int, error) {
	var (
		conds []string
		args  []any
	)
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if !f.IncludeHidden {
		conds = append(conds, "t.hidden = 0")
	}
	if f.Category != "" {
		conds = append(conds, "t.category = "+arg(string(f.Category)))
	}
	if len(f.Terms) > 0 {
		// Driven by the terms (the primary key's first column): the
		// topics whose visible posts hold every distinct term.
		var in []string
		for _, term := range f.Terms {
			in = append(in, arg(term))
		}
		visible := " AND fp.hidden = 0"
		if f.IncludeHidden {
			visible = ""
		}
		conds = append(conds, `t.id IN (SELECT ft.topic_id FROM forum_terms ft JOIN forum_posts fp ON fp.id = ft.post_id
			WHERE ft.term IN (`+strings.Join(in, ",")+`)`+visible+`
			GROUP BY ft.topic_id HAVING COUNT(DISTINCT ft.term) = `+strconv.Itoa(distinct(f.Terms))+`)`)
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	whereArgs := slices.Clone(args)
	count := func() (int, error) {
		var total int
		if err := t.q.QueryRow(ctx, "SELECT COUNT(*) FROM forum_topics t"+where, whereArgs...).Scan(&total); err != nil {
			return 0, fmt.Errorf("sqlstore: count forum topics: %w", err)
		}
		return total, nil
	}
	if f.Limit <= 0 {
		total, err := count()
		return nil, total, err
	}
	// The page and the total in one pass (a search's conditions are the
	// expensive part); only a page past the end needs a second query.
	q := "SELECT " + topicColumns + ", COALESCE(SUBSTR(p.body, 1, " + strconv.Itoa(excerptChars) + "), ''), COUNT(*) OVER ()" +
		" FROM forum_topics t LEFT JOIN forum_posts p ON p.id = t.first_post_id" + where +
		" ORDER BY t.last_activity_at DESC, t.id DESC LIMIT " + arg(f.Limit) + " OFFSET " + arg(f.Offset)
	rows, err := t.q.Query(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: forum topics: %w", err)
	}
	var total int
	ts, err := scanTopics(rows, &total)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: forum topics: %w", err)
	}
	if len(ts) == 0 {
		total, err = count()
	}
	return ts, total, err
}

func (t forumTx) CategoryCounts(ctx context.Context) (map[forum.Category]int, error) {
	rows, err := t.q.Query(ctx, "SELECT category, COUNT(*) FROM forum_topics WHERE hidden = 0 GROUP BY category")
	if err != nil {
		return nil, fmt.Errorf("sqlstore: forum category counts: %w", err)
	}
	defer rows.Close()
	out := map[forum.Category]int{}
	for rows.Next() {
		var (
			c string
			n int
		)
		if err := rows.Scan(&c, &n); err != nil {
			return nil, fmt.Errorf("sqlstore: forum category counts: %w", err)
		}
		out[forum.Category(c)] = n
	}
	return out, rows.Err()
}

func (t forumTx) Activity(ctx context.Context, topicID int64) error {
	_, err := t.q.Exec(ctx, `UPDATE forum_topics SET
		replies = (SELECT COUNT(*) FROM forum_posts WHERE topic_id = $1 AND hidden = 0 AND opening = 0),
		last_activity_at = COALESCE((SELECT MAX(created_at) FROM forum_posts WHERE topic_id = $1 AND hidden = 0), created_at)
		WHERE id = $1`, topicID)
	if err != nil {
		return fmt.Errorf("sqlstore: forum topic activity: %w", err)
	}
	return nil
}

func (t forumTx) InsertPost(ctx context.Context, p forum.Post) (int64, error) {
	var id int64
	err := t.q.QueryRow(ctx, `INSERT INTO forum_posts (topic_id, author_id, opening, body, findings, hidden, hidden_reason, created_at, edited_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id`,
		p.TopicID, p.AuthorID, b2i(p.Opening), p.Body, int64(p.Findings), b2i(p.Hidden), p.HiddenReason, nanos(p.CreatedAt), nanos(p.EditedAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: insert forum post: %w", err)
	}
	return id, nil
}

func (t forumTx) UpdatePost(ctx context.Context, p forum.Post) error {
	n, err := t.q.Exec(ctx, "UPDATE forum_posts SET body = $1, findings = $2, hidden = $3, hidden_reason = $4, edited_at = $5 WHERE id = $6",
		p.Body, int64(p.Findings), b2i(p.Hidden), p.HiddenReason, nanos(p.EditedAt), p.ID)
	if err != nil {
		return fmt.Errorf("sqlstore: update forum post %d: %w", p.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: update forum post %d: %w", p.ID, forum.ErrNotFound)
	}
	return nil
}

const postSelect = `SELECT p.id, p.topic_id, p.author_id, p.opening, p.body, p.findings, p.hidden, p.hidden_reason, p.created_at, p.edited_at,
	u.role, COALESCE(m.posts, 0)
	FROM forum_posts p JOIN users u ON u.id = p.author_id LEFT JOIN forum_members m ON m.user_id = p.author_id`

func scanPosts(rows Rows) ([]forum.Post, error) {
	defer rows.Close()
	var out []forum.Post
	for rows.Next() {
		var (
			p                                     forum.Post
			opening, findings, hidden, cre, edite int64
			role                                  string
		)
		if err := rows.Scan(&p.ID, &p.TopicID, &p.AuthorID, &opening, &p.Body, &findings, &hidden, &p.HiddenReason, &cre, &edite,
			&role, &p.AuthorPosts); err != nil {
			return nil, err
		}
		p.Opening, p.Findings, p.Hidden = opening == 1, redact.Findings(findings), hidden == 1
		p.CreatedAt, p.EditedAt, p.AuthorRole = fromNanos(cre), fromNanos(edite), auth.Role(role)
		out = append(out, p)
	}
	return out, rows.Err()
}

func (t forumTx) Post(ctx context.Context, id int64) (forum.Post, error) {
	rows, err := t.q.Query(ctx, postSelect+" WHERE p.id = $1", id)
	if err != nil {
		return forum.Post{}, fmt.Errorf("sqlstore: forum post: %w", err)
	}
	ps, err := scanPosts(rows)
	if err != nil {
		return forum.Post{}, fmt.Errorf("sqlstore: forum post: %w", err)
	}
	if len(ps) == 0 {
		return forum.Post{}, forum.ErrNotFound
	}
	return ps[0], nil
}

func (t forumTx) Posts(ctx context.Context, topicID int64, includeHidden bool, offset, limit int) ([]forum.Post, int, error) {
	where := " WHERE p.topic_id = $1"
	if !includeHidden {
		where += " AND p.hidden = 0"
	}
	var total int
	if err := t.q.QueryRow(ctx, "SELECT COUNT(*) FROM forum_posts p"+where, topicID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlstore: count forum posts: %w", err)
	}
	if limit <= 0 {
		return nil, total, nil
	}
	rows, err := t.q.Query(ctx, postSelect+where+" ORDER BY p.id LIMIT $2 OFFSET $3", topicID, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: forum posts: %w", err)
	}
	ps, err := scanPosts(rows)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: forum posts: %w", err)
	}
	return ps, total, nil
}

// termsPerInsert bounds one multi-row insert of terms (three parameters
// a row), well below where SQLite's parameter lookup starts to cost.
const termsPerInsert = 100

func (t forumTx) IndexPost(ctx context.Context, postID, topicID int64, terms []string) error {
	if _, err := t.q.Exec(ctx, "DELETE FROM forum_terms WHERE post_id = $1", postID); err != nil {
		return fmt.Errorf("sqlstore: forum index: %w", err)
	}
	for len(terms) > 0 {
		chunk := terms[:min(len(terms), termsPerInsert)]
		terms = terms[len(chunk):]
		var (
			b    strings.Builder
			args []any
		)
		b.WriteString("INSERT INTO forum_terms (term, post_id, topic_id) VALUES ")
		for i, term := range chunk {
			if i > 0 {
				b.WriteByte(',')
			}
			n := len(args)
			fmt.Fprintf(&b, "($%d,$%d,$%d)", n+1, n+2, n+3)
			args = append(args, term, postID, topicID)
		}
		if _, err := t.q.Exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("sqlstore: forum index: %w", err)
		}
	}
	return nil
}

func (t forumTx) InsertReport(ctx context.Context, r forum.Report) (int64, error) {
	var id int64
	// ON CONFLICT rather than catching the unique violation: on
	// PostgreSQL a failed statement would end the transaction.
	err := t.q.QueryRow(ctx, `INSERT INTO forum_reports (post_id, topic_id, reporter_id, reason, created_at) VALUES ($1,$2,$3,$4,$5)
		ON CONFLICT (post_id, reporter_id) WHERE resolved_at = 0 DO NOTHING RETURNING id`,
		r.PostID, r.TopicID, r.ReporterID, r.Reason, nanos(r.CreatedAt)).Scan(&id)
	if errors.Is(err, ErrNoRows) {
		return 0, forum.ErrDuplicate
	}
	if err != nil {
		return 0, fmt.Errorf("sqlstore: insert forum report: %w", err)
	}
	return id, nil
}

func (t forumTx) ReportsSince(ctx context.Context, userID int64, since time.Time) (int, error) {
	var n int
	if err := t.q.QueryRow(ctx, "SELECT COUNT(*) FROM forum_reports WHERE reporter_id = $1 AND created_at > $2", userID, since.UnixNano()).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlstore: forum reports: %w", err)
	}
	return n, nil
}

func (t forumTx) OpenReports(ctx context.Context, limit int) ([]forum.Report, error) {
	rows, err := t.q.Query(ctx, `SELECT id, post_id, topic_id, reporter_id, reason, created_at FROM forum_reports
		WHERE resolved_at = 0 ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: forum open reports: %w", err)
	}
	defer rows.Close()
	var out []forum.Report
	for rows.Next() {
		var (
			r   forum.Report
			cre int64
		)
		if err := rows.Scan(&r.ID, &r.PostID, &r.TopicID, &r.ReporterID, &r.Reason, &cre); err != nil {
			return nil, fmt.Errorf("sqlstore: forum open reports: %w", err)
		}
		r.CreatedAt = fromNanos(cre)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (t forumTx) ResolveReports(ctx context.Context, postID, by int64, outcome string, at time.Time) (int, error) {
	n, err := t.q.Exec(ctx, "UPDATE forum_reports SET resolved_at = $1, resolved_by = $2, outcome = $3 WHERE post_id = $4 AND resolved_at = 0",
		at.UnixNano(), by, outcome, postID)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: resolve forum reports: %w", err)
	}
	return int(n), nil
}

func (t forumTx) Ban(ctx context.Context, userID int64) (forum.Ban, error) {
	b := forum.Ban{UserID: userID}
	var until, cre int64
	err := t.q.QueryRow(ctx, "SELECT reason, until_at, by_id, created_at FROM forum_bans WHERE user_id = $1", userID).Scan(&b.Reason, &until, &b.By, &cre)
	if errors.Is(err, ErrNoRows) {
		return b, forum.ErrNotFound
	}
	if err != nil {
		return b, fmt.Errorf("sqlstore: forum ban: %w", err)
	}
	b.Until, b.CreatedAt = fromNanos(until), fromNanos(cre)
	return b, nil
}

func (t forumTx) PutBan(ctx context.Context, b forum.Ban) error {
	_, err := t.q.Exec(ctx, `INSERT INTO forum_bans (user_id, reason, until_at, by_id, created_at) VALUES ($1,$2,$3,$4,$5)
		ON CONFLICT (user_id) DO UPDATE SET reason = excluded.reason, until_at = excluded.until_at, by_id = excluded.by_id, created_at = excluded.created_at`,
		b.UserID, b.Reason, nanos(b.Until), b.By, nanos(b.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: put forum ban: %w", err)
	}
	return nil
}

func (t forumTx) DeleteBan(ctx context.Context, userID int64) error {
	n, err := t.q.Exec(ctx, "DELETE FROM forum_bans WHERE user_id = $1", userID)
	if err != nil {
		return fmt.Errorf("sqlstore: delete forum ban: %w", err)
	}
	if n == 0 {
		return forum.ErrNotFound
	}
	return nil
}

func (t forumTx) Bans(ctx context.Context, now time.Time) ([]forum.Ban, error) {
	rows, err := t.q.Query(ctx, `SELECT user_id, reason, until_at, by_id, created_at FROM forum_bans
		WHERE until_at = 0 OR until_at > $1 ORDER BY created_at DESC, user_id`, now.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("sqlstore: forum bans: %w", err)
	}
	defer rows.Close()
	var out []forum.Ban
	for rows.Next() {
		var (
			b          forum.Ban
			until, cre int64
		)
		if err := rows.Scan(&b.UserID, &b.Reason, &until, &b.By, &cre); err != nil {
			return nil, fmt.Errorf("sqlstore: forum bans: %w", err)
		}
		b.Until, b.CreatedAt = fromNanos(until), fromNanos(cre)
		out = append(out, b)
	}
	return out, rows.Err()
}
