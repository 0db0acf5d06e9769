package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/forum"
)

// staffForumData is what staff_forum.html shows: the report queue, the
// bans in force and the ban form.
type staffForumData struct {
	forumView
	Queue  []forum.QueueItem
	Bans   []forum.Ban
	Form   *form
	Notice string
	Error  string
}

// staffForumNoticeKeys confirm a moderator's action on the queue page.
var staffForumNoticeKeys = map[string]string{
	"hidden":    "forum.notice.hidden",
	"dismissed": "forum.notice.dismissed",
	"banned":    "forum.notice.banned",
	"lifted":    "forum.notice.lifted",
	"restored":  "forum.notice.restored",
	"locked":    "forum.notice.locked",
	"unlocked":  "forum.notice.unlocked",
}

func (s *Site) staffForum(w http.ResponseWriter, r *http.Request, si *signedIn) {
	if !forum.IsStaff(si.user.Role) {
		s.Forbidden(w, r)
		return
	}
	d := staffForumData{Form: newForm()}
	if key := staffForumNoticeKeys[r.URL.Query().Get("done")]; key != "" {
		d.Notice = s.Locale(r).T(key)
	}
	if u := r.URL.Query().Get("ban"); u != "" {
		d.Form.keep("user", u)
	}
	s.renderStaffForum(w, r, si, http.StatusOK, d)
}

func (s *Site) renderStaffForum(w http.ResponseWriter, r *http.Request, si *signedIn, status int, d staffForumData) {
	var err error
	d.forumView = forumView{s.Locale(r), s.tz}
	if d.Queue, err = s.forum.Queue(r.Context(), actor(si)); err != nil {
		s.ServerError(w, r, err)
		return
	}
	if d.Bans, err = s.forum.Bans(r.Context(), actor(si)); err != nil {
		s.ServerError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, status, "staff_forum", d)
}

func (s *Site) mod(r *http.Request, si *signedIn) forum.Mod {
	return forum.Mod{Actor: actor(si), IP: clientIP(r), UserAgent: r.UserAgent()}
}

// staffForumAct runs one moderation action and returns to where the
// moderator came from (the queue or the topic), or shows the queue with
// the error.
func (s *Site) staffForumAct(w http.ResponseWriter, r *http.Request, si *signedIn, done string, do func(vals map[string][]string) error) {
	vals := s.postForm(w, r)
	if !forum.IsStaff(si.user.Role) {
		s.Forbidden(w, r)
		return
	}
	err := do(vals)
	switch {
	case err == nil:
		back := localPath(vals.Get("next"))
		if back == "/" {
			back = "/staff/community"
		}
		sep := "?"
		if strings.Contains(back, "?") {
			sep = "&"
		}
		http.Redirect(w, r, back+sep+"done="+done, http.StatusSeeOther)
		return
	case errors.Is(err, forum.ErrForbidden):
		s.Forbidden(w, r)
		return
	case errors.Is(err, forum.ErrNotFound):
		s.NotFound(w, r)
		return
	}
	loc := s.Locale(r)
	field, msg, _, ok := s.forumError(loc, err)
	if !ok {
		s.ServerError(w, r, err)
		return
	}
	f := newForm()
	for _, k := range []string{"user", "days"} {
		f.keep(k, vals.Get(k))
	}
	keepPost(f, "reason", vals.Get("reason"))
	if field != "" {
		f.Errors[field] = msg
	}
	s.renderStaffForum(w, r, si, http.StatusUnprocessableEntity, staffForumData{Form: f, Error: msg})
}

func (s *Site) staffForumHidePost(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.staffForumAct(w, r, si, "hidden", func(vals map[string][]string) error {
		return s.forum.HidePost(r.Context(), s.mod(r, si), pathID(r, "id"), first(vals["reason"]))
	})
}

func (s *Site) staffForumRestorePost(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.staffForumAct(w, r, si, "restored", func(map[string][]string) error {
		return s.forum.RestorePost(r.Context(), s.mod(r, si), pathID(r, "id"))
	})
}

func (s *Site) staffForumDismiss(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.staffForumAct(w, r, si, "dismissed", func(map[string][]string) error {
		return s.forum.DismissReports(r.Context(), s.mod(r, si), pathID(r, "id"))
	})
}

func (s *Site) staffForumHideTopic(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.staffForumAct(w, r, si, "hidden", func(vals map[string][]string) error {
		return s.forum.HideTopic(r.Context(), s.mod(r, si), pathID(r, "id"), first(vals["reason"]))
	})
}

func (s *Site) staffForumRestoreTopic(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.staffForumAct(w, r, si, "restored", func(map[string][]string) error {
		return s.forum.RestoreTopic(r.Context(), s.mod(r, si), pathID(r, "id"))
	})
}

func (s *Site) staffForumLock(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.staffForumAct(w, r, si, "locked", func(map[string][]string) error {
		return s.forum.SetLocked(r.Context(), s.mod(r, si), pathID(r, "id"), true)
	})
}

func (s *Site) staffForumUnlock(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.staffForumAct(w, r, si, "unlocked", func(map[string][]string) error {
		return s.forum.SetLocked(r.Context(), s.mod(r, si), pathID(r, "id"), false)
	})
}

// maxBanDays bounds a ban with an end; longer is a ban until lifted.
const maxBanDays = 3650

func (s *Site) staffForumBan(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.staffForumAct(w, r, si, "banned", func(vals map[string][]string) error {
		user, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(first(vals["user"])), "#"), 10, 64)
		if err != nil || user <= 0 {
			return &forum.FieldError{Field: "user", Code: "invalid"}
		}
		var until time.Time
		if d := strings.TrimSpace(first(vals["days"])); d != "" {
			days, err := strconv.Atoi(d)
			if err != nil || days < 1 || days > maxBanDays {
				return &forum.FieldError{Field: "until", Code: "invalid"}
			}
			until = s.now().Add(time.Duration(days) * 24 * time.Hour)
		}
		return s.forum.BanUser(r.Context(), s.mod(r, si), user, first(vals["reason"]), until)
	})
}

func (s *Site) staffForumLift(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.staffForumAct(w, r, si, "lifted", func(map[string][]string) error {
		return s.forum.LiftBan(r.Context(), s.mod(r, si), pathID(r, "user"))
	})
}
