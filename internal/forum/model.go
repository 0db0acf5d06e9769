package forum

import (
	"context"
	"time"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/redact"
)

// Category is a topic's section of the forum.
type Category string

// The categories, in the order the forum lists them.
const (
	CatAccount     Category = "account"
	CatPayments    Category = "payments"
	CatWithdrawals Category = "withdrawals"
	CatSecurity    Category = "security"
	CatMerchants   Category = "merchants"
	CatOther       Category = "other"
)

// Categories lists every category in display order.
var Categories = []Category{CatAccount, CatPayments, CatWithdrawals, CatSecurity, CatMerchants, CatOther}

// Valid reports whether c is one of Categories.
func (c Category) Valid() bool {
	for _, k := range Categories {
		if c == k {
			return true
		}
	}
	return false
}

// Topic is a question or discussion: a title and its opening post.
type Topic struct {
	ID             int64
	Category       Category
	Title          string
	AuthorID       int64
	FirstPostID    int64
	AcceptedPostID int64 // 0: none
	Replies        int   // visible replies (the opening post not counted)
	Locked         bool
	Hidden         bool
	HiddenReason   string
	CreatedAt      time.Time
	LastActivityAt time.Time // the newest visible post
	Findings       redact.Findings
	// Excerpt is the start of the opening post, for listings (set by
	// Topics, empty from Topic).
	Excerpt string
}

// Post is the opening post of a topic or a reply.
type Post struct {
	ID           int64
	TopicID      int64
	AuthorID     int64
	Opening      bool // the topic's first post
	Body         string
	Findings     redact.Findings
	Hidden       bool
	HiddenReason string
	CreatedAt    time.Time
	EditedAt     time.Time // zero: never edited
	// Author as the forum shows them, filled in by the store's reads.
	AuthorRole  auth.Role
	AuthorPosts int64 // posts the author has made in the forum
}

// Staff reports whether the post's author is OKPay staff (the badge).
func (p Post) Staff() bool { return IsStaff(p.AuthorRole) }

// Member is what the forum knows of a user who posts.
type Member struct {
	UserID   int64
	Role     auth.Role
	JoinedAt time.Time // the account's creation
	Posts    int64
}

// Ban keeps a member from posting.
type Ban struct {
	UserID    int64
	Reason    string
	Until     time.Time // zero: until lifted
	By        int64
	CreatedAt time.Time
}

// Active reports whether the ban is in force at now.
func (b Ban) Active(now time.Time) bool { return b.Until.IsZero() || now.Before(b.Until) }

// Report is a reader's report of a post.
type Report struct {
	ID         int64
	PostID     int64
	TopicID    int64
	ReporterID int64
	Reason     string
	CreatedAt  time.Time
	ResolvedAt time.Time
	ResolvedBy int64
	Outcome    string // "hidden", "dismissed"
}

// Report outcomes.
const (
	OutcomeHidden    = "hidden"
	OutcomeDismissed = "dismissed"
)

// TopicFilter selects topics for a listing.
type TopicFilter struct {
	Category      Category // "": every category
	IncludeHidden bool     // staff see hidden topics too
	// Terms, when set, keep topics whose visible posts hold every term
	// (see QueryTerms and Terms).
	Terms  []string
	Offset int
	Limit  int
}

// Store runs the forum's transactions; sqlstore implements it (DB.Forum).
type Store interface {
	// InTx runs fn in one read-write transaction.
	InTx(ctx context.Context, fn func(Tx) error) error
	// View runs fn on a read-only view.
	View(ctx context.Context, fn func(Tx) error) error
}

// Tx is the forum's view of one transaction.
type Tx interface {
	// LockMember takes the member's row lock (creating the row), so that
	// one member's posts are counted one at a time on every node, and
	// returns the member. Errors: ErrNotFound (no such user).
	LockMember(ctx context.Context, userID int64) (Member, error)
	// PostTimes returns the creation times of the member's posts (opening
	// posts when opening, else replies) since since, oldest first.
	PostTimes(ctx context.Context, userID int64, opening bool, since time.Time) ([]time.Time, error)
	// AddMemberPosts adds delta to the member's post count.
	AddMemberPosts(ctx context.Context, userID int64, delta int) error

	// InsertTopic stores t (ID ignored) and returns its id.
	InsertTopic(ctx context.Context, t Topic) (int64, error)
	// UpdateTopic writes every mutable field of t. Errors: ErrNotFound.
	UpdateTopic(ctx context.Context, t Topic) error
	// Topic returns one topic. Errors: ErrNotFound.
	Topic(ctx context.Context, id int64) (Topic, error)
	// Topics lists topics matching f, most recent activity first, and
	// how many match in all.
	Topics(ctx context.Context, f TopicFilter) ([]Topic, int, error)
	// CategoryCounts counts visible topics per category.
	CategoryCounts(ctx context.Context) (map[Category]int, error)
	// Activity recomputes the topic's visible reply count and last
	// activity from its posts and stores them.
	Activity(ctx context.Context, topicID int64) error

	// InsertPost stores p (ID ignored) and returns its id.
	InsertPost(ctx context.Context, p Post) (int64, error)
	// UpdatePost writes p's body, findings, hidden state and edit time.
	// Errors: ErrNotFound.
	UpdatePost(ctx context.Context, p Post) error
	// Post returns one post with its author. Errors: ErrNotFound.
	Post(ctx context.Context, id int64) (Post, error)
	// Posts lists a topic's posts, oldest first, with their authors, and
	// how many there are in all.
	Posts(ctx context.Context, topicID int64, includeHidden bool, offset, limit int) ([]Post, int, error)
	// IndexPost replaces the post's search terms.
	IndexPost(ctx context.Context, postID, topicID int64, terms []string) error

	// InsertReport stores an open report. A second open report of the
	// post by the same member returns ErrDuplicate.
	InsertReport(ctx context.Context, r Report) (int64, error)
	// ReportsSince counts the member's reports since since.
	ReportsSince(ctx context.Context, userID int64, since time.Time) (int, error)
	// OpenReports lists open reports, oldest first, at most limit.
	OpenReports(ctx context.Context, limit int) ([]Report, error)
	// ResolveReports closes the post's open reports with outcome and
	// says how many it closed.
	ResolveReports(ctx context.Context, postID, by int64, outcome string, at time.Time) (int, error)

	// Ban returns the member's ban. Errors: ErrNotFound.
	Ban(ctx context.Context, userID int64) (Ban, error)
	// PutBan stores b, replacing the member's ban.
	PutBan(ctx context.Context, b Ban) error
	// DeleteBan removes the member's ban. Errors: ErrNotFound.
	DeleteBan(ctx context.Context, userID int64) error
	// Bans lists bans in force at now, newest first.
	Bans(ctx context.Context, now time.Time) ([]Ban, error)

	// Audit writes audit records in this transaction.
	Audit() audit.Appender
}
