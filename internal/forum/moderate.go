package forum

import (
	"context"
	"errors"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/redact"
)

// Mod is who takes a moderation action and from where, for the audit log.
type Mod struct {
	Actor     auth.Actor
	IP        string
	UserAgent string
}

// Audit actions of the forum's moderation.
const (
	ActionPostHidden      = "forum_post_hidden"
	ActionPostRestored    = "forum_post_restored"
	ActionTopicHidden     = "forum_topic_hidden"
	ActionTopicRestored   = "forum_topic_restored"
	ActionTopicLocked     = "forum_topic_locked"
	ActionTopicUnlocked   = "forum_topic_unlocked"
	ActionUserBanned      = "forum_user_banned"
	ActionBanLifted       = "forum_ban_lifted"
	ActionReportDismissed = "forum_reports_dismissed"
	ActionAnswerAccepted  = "forum_answer_accepted"
)

// Report files a reader's report of a post for the moderators; a second
// report of the same post by the same member while the first is open is
// accepted and changes nothing. Errors: ErrForbidden (not signed in),
// ErrNotFound, *FieldError (reason too long), *RateLimitError.
func (s *Service) Report(ctx context.Context, a auth.Actor, postID int64, reason string) (redact.Findings, error) {
	if a.UserID <= 0 {
		return 0, ErrForbidden
	}
	var f redact.Findings
	if reason != "" {
		var err error
		reason, f, err = clean("reason", reason, 0, MaxReasonLen, true)
		if err != nil && !isRequired(err) {
			return 0, err
		}
	}
	now := s.nowUTC()
	err := s.store.InTx(ctx, func(tx Tx) error {
		p, err := tx.Post(ctx, postID)
		if err != nil {
			return err
		}
		t, err := tx.Topic(ctx, p.TopicID)
		if err != nil {
			return err
		}
		if p.Hidden || t.Hidden {
			return ErrNotFound
		}
		if _, err := tx.LockMember(ctx, a.UserID); err != nil {
			return err
		}
		n, err := tx.ReportsSince(ctx, a.UserID, now.Add(-time.Hour))
		if err != nil {
			return err
		}
		if n >= s.limits.ReportsPerHour && !staff(a) {
			return &RateLimitError{RetryAt: now.Add(time.Hour)}
		}
		_, err = tx.InsertReport(ctx, Report{PostID: p.ID, TopicID: t.ID, ReporterID: a.UserID, Reason: reason, CreatedAt: now})
		if errors.Is(err, ErrDuplicate) {
			return nil
		}
		return err
	})
	return f, err
}

func isRequired(err error) bool {
	var fe *FieldError
	return errors.As(err, &fe) && fe.Code == "required"
}

// QueueItem is a reported post with its open reports.
type QueueItem struct {
	Post    Post
	Topic   Topic
	Reports []Report
}

// Queue lists the reported posts with open reports, the longest waiting
// first. Staff only. Errors: ErrForbidden.
func (s *Service) Queue(ctx context.Context, a auth.Actor) ([]QueueItem, error) {
	if !staff(a) {
		return nil, ErrForbidden
	}
	var out []QueueItem
	err := s.store.View(ctx, func(tx Tx) error {
		rs, err := tx.OpenReports(ctx, s.limits.MaxReportsPerQueue)
		if err != nil {
			return err
		}
		at := map[int64]int{}
		for _, r := range rs {
			i, ok := at[r.PostID]
			if !ok {
				p, err := tx.Post(ctx, r.PostID)
				if err != nil {
					return err
				}
				t, err := tx.Topic(ctx, p.TopicID)
				if err != nil {
					return err
				}
				i = len(out)
				at[r.PostID] = i
				out = append(out, QueueItem{Post: p, Topic: t})
			}
			out[i].Reports = append(out[i].Reports, r)
		}
		return nil
	})
	return out, err
}

// moderate runs fn for staff in a transaction. Errors: ErrForbidden.
func (s *Service) moderate(ctx context.Context, m Mod, fn func(Tx) error) error {
	if !staff(m.Actor) {
		return ErrForbidden
	}
	return s.store.InTx(ctx, fn)
}

// modReason checks a moderator's reason (required for hiding and bans:
// the member and later staff must be able to read why).
func modReason(reason string) (string, error) {
	r, _, err := clean("reason", reason, 1, MaxReasonLen, true)
	return r, err
}

// HidePost hides a post from everyone but staff and closes its open
// reports as handled. Hiding a topic's opening post hides the topic.
// Errors: ErrForbidden, ErrNotFound, *FieldError (reason).
func (s *Service) HidePost(ctx context.Context, m Mod, postID int64, reason string) error {
	reason, err := modReason(reason)
	if err != nil {
		return err
	}
	return s.moderate(ctx, m, func(tx Tx) error {
		p, err := tx.Post(ctx, postID)
		if err != nil {
			return err
		}
		t, err := tx.Topic(ctx, p.TopicID)
		if err != nil {
			return err
		}
		p.Hidden, p.HiddenReason = true, reason
		if err := tx.UpdatePost(ctx, p); err != nil {
			return err
		}
		if t.AcceptedPostID == p.ID {
			t.AcceptedPostID = 0
		}
		if p.Opening {
			t.Hidden, t.HiddenReason = true, reason
		}
		if err := tx.UpdateTopic(ctx, t); err != nil {
			return err
		}
		if err := tx.Activity(ctx, t.ID); err != nil {
			return err
		}
		if _, err := tx.ResolveReports(ctx, p.ID, m.Actor.UserID, OutcomeHidden, s.nowUTC()); err != nil {
			return err
		}
		return s.record(ctx, tx, m, ActionPostHidden, "forum_post", p.ID, map[string]string{"reason": reason, "topic": itoa(t.ID), "author": itoa(p.AuthorID)})
	})
}

// RestorePost shows a hidden post again (and its topic, for an opening
// post). Errors: ErrForbidden, ErrNotFound.
func (s *Service) RestorePost(ctx context.Context, m Mod, postID int64) error {
	return s.moderate(ctx, m, func(tx Tx) error {
		p, err := tx.Post(ctx, postID)
		if err != nil {
			return err
		}
		t, err := tx.Topic(ctx, p.TopicID)
		if err != nil {
			return err
		}
		p.Hidden, p.HiddenReason = false, ""
		if err := tx.UpdatePost(ctx, p); err != nil {
			return err
		}
		if p.Opening {
			t.Hidden, t.HiddenReason = false, ""
			if err := tx.UpdateTopic(ctx, t); err != nil {
				return err
			}
		}
		if err := tx.Activity(ctx, t.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, m, ActionPostRestored, "forum_post", p.ID, map[string]string{"topic": itoa(t.ID)})
	})
}

// HideTopic hides a whole topic from everyone but staff, and closes the
// open reports of its opening post. Errors: ErrForbidden, ErrNotFound,
// *FieldError (reason).
func (s *Service) HideTopic(ctx context.Context, m Mod, topicID int64, reason string) error {
	reason, err := modReason(reason)
	if err != nil {
		return err
	}
	return s.moderate(ctx, m, func(tx Tx) error {
		t, err := tx.Topic(ctx, topicID)
		if err != nil {
			return err
		}
		t.Hidden, t.HiddenReason = true, reason
		if err := tx.UpdateTopic(ctx, t); err != nil {
			return err
		}
		if _, err := tx.ResolveReports(ctx, t.FirstPostID, m.Actor.UserID, OutcomeHidden, s.nowUTC()); err != nil {
			return err
		}
		return s.record(ctx, tx, m, ActionTopicHidden, "forum_topic", t.ID, map[string]string{"reason": reason, "author": itoa(t.AuthorID)})
	})
}

// RestoreTopic shows a hidden topic again (its opening post too).
// Errors: ErrForbidden, ErrNotFound.
func (s *Service) RestoreTopic(ctx context.Context, m Mod, topicID int64) error {
	return s.moderate(ctx, m, func(tx Tx) error {
		t, err := tx.Topic(ctx, topicID)
		if err != nil {
			return err
		}
		t.Hidden, t.HiddenReason = false, ""
		if err := tx.UpdateTopic(ctx, t); err != nil {
			return err
		}
		p, err := tx.Post(ctx, t.FirstPostID)
		if err != nil {
			return err
		}
		if p.Hidden {
			p.Hidden, p.HiddenReason = false, ""
			if err := tx.UpdatePost(ctx, p); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, m, ActionTopicRestored, "forum_topic", t.ID, nil)
	})
}

// SetLocked locks a topic (no more replies or edits) or unlocks it.
// Errors: ErrForbidden, ErrNotFound.
func (s *Service) SetLocked(ctx context.Context, m Mod, topicID int64, locked bool) error {
	return s.moderate(ctx, m, func(tx Tx) error {
		t, err := tx.Topic(ctx, topicID)
		if err != nil {
			return err
		}
		if t.Locked == locked {
			return nil
		}
		t.Locked = locked
		if err := tx.UpdateTopic(ctx, t); err != nil {
			return err
		}
		action := ActionTopicUnlocked
		if locked {
			action = ActionTopicLocked
		}
		return s.record(ctx, tx, m, action, "forum_topic", t.ID, nil)
	})
}

// DismissReports closes a post's open reports without hiding it.
// Errors: ErrForbidden, ErrNotFound.
func (s *Service) DismissReports(ctx context.Context, m Mod, postID int64) error {
	return s.moderate(ctx, m, func(tx Tx) error {
		if _, err := tx.Post(ctx, postID); err != nil {
			return err
		}
		n, err := tx.ResolveReports(ctx, postID, m.Actor.UserID, OutcomeDismissed, s.nowUTC())
		if err != nil {
			return err
		}
		return s.record(ctx, tx, m, ActionReportDismissed, "forum_post", postID, map[string]string{"reports": itoa(int64(n))})
	})
}

// BanUser keeps a member from posting, for reason, until until (zero:
// until lifted), replacing an earlier ban. Staff cannot be banned.
// Errors: ErrForbidden, *FieldError (user unknown or staff, reason
// missing, until not in the future).
func (s *Service) BanUser(ctx context.Context, m Mod, userID int64, reason string, until time.Time) error {
	reason, err := modReason(reason)
	if err != nil {
		return err
	}
	now := s.nowUTC()
	if !until.IsZero() && !until.After(now) {
		return invalid("until", "invalid")
	}
	if userID <= 0 {
		return invalid("user", "invalid")
	}
	return s.moderate(ctx, m, func(tx Tx) error {
		mem, err := tx.LockMember(ctx, userID)
		if errors.Is(err, ErrNotFound) {
			return invalid("user", "invalid")
		}
		if err != nil {
			return err
		}
		if IsStaff(mem.Role) {
			return invalid("user", "staff")
		}
		b := Ban{UserID: userID, Reason: reason, Until: until.UTC(), By: m.Actor.UserID, CreatedAt: now}
		if until.IsZero() {
			b.Until = time.Time{}
		}
		if err := tx.PutBan(ctx, b); err != nil {
			return err
		}
		d := map[string]string{"reason": reason, "until": "lifted"}
		if !b.Until.IsZero() {
			d["until"] = b.Until.Format(time.RFC3339)
		}
		return s.record(ctx, tx, m, ActionUserBanned, "user", userID, d)
	})
}

// LiftBan lets a banned member post again. Errors: ErrForbidden,
// ErrNotFound.
func (s *Service) LiftBan(ctx context.Context, m Mod, userID int64) error {
	return s.moderate(ctx, m, func(tx Tx) error {
		if err := tx.DeleteBan(ctx, userID); err != nil {
			return err
		}
		return s.record(ctx, tx, m, ActionBanLifted, "user", userID, nil)
	})
}

// Bans lists the bans in force. Staff only. Errors: ErrForbidden.
func (s *Service) Bans(ctx context.Context, a auth.Actor) ([]Ban, error) {
	if !staff(a) {
		return nil, ErrForbidden
	}
	var out []Ban
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.Bans(ctx, s.nowUTC())
		return err
	})
	return out, err
}
