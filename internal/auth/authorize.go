package auth

// Actor is who acts: a signed-in user (by session or API key) or nobody.
type Actor struct {
	UserID int64 // 0: not signed in
	Role   Role
}

// Action is something an actor may do. Policy says who may.
type Action string

// Actions. Later issues add theirs to Policy.
const (
	// Owner-or-staff actions on a user-owned object.
	ActionView Action = "view" // read one's own object; agents and up may read any (support)
	ActionEdit Action = "edit" // change one's own object; staff may not
	// Staff actions.
	ActionCreateStaff  Action = "user.create_staff"
	ActionChangeRole   Action = "user.change_role"
	ActionViewAudit    Action = "audit.view"
	ActionViewUser     Action = "user.view"
	ActionRevokeOthers Action = "session.revoke_others"
	// Money that reached the bank with no matching reference: staff
	// see it; supervisors assign it to a wallet or return it.
	ActionBankView    Action = "bank.unmatched.view"
	ActionBankResolve Action = "bank.unmatched.resolve"
	// Payments held for review and "not my transaction" reports (ACC-8):
	// staff see them; supervisors release or refuse a hold and lift a
	// freeze.
	ActionRiskView   Action = "risk.view"
	ActionRiskDecide Action = "risk.decide"
	// The support desk: agents work tickets (read any, reply, note,
	// assign, merge, send a reset link); supervisors also unlock
	// accounts, record complaint outcomes and manage canned replies.
	ActionSupportWork      Action = "support.work"
	ActionSupportSupervise Action = "support.supervise"
	// Identity documents: agents and up review them (read, approve,
	// reject); every decision is audited.
	ActionKYCReview Action = "kyc.review"
	// Manual ledger corrections, four-eyes: a supervisor proposes, a
	// different supervisor (or admin) approves.
	ActionCorrectionPropose Action = "correction.propose"
	ActionCorrectionApprove Action = "correction.approve"
	// Exchange rates: staff see the rates in force and their history;
	// supervisors set a rate (audited).
	ActionFXRatesView Action = "fx.rates.view"
	ActionFXRateSet   Action = "fx.rates.set"
	// Help centre articles: staff write, publish and unpublish them
	// (audited) and see the "was this helpful?" counts.
	ActionHelpEdit Action = "help.edit"
	// Announcements (maintenance windows, support-hours changes):
	// supervisors and admins publish and end them (audited).
	ActionAnnounce Action = "announce.manage"
)

// Rule says who may take an action: the owner of the resource (when
// Owner), or anyone whose role is at least MinRole (when set).
type Rule struct {
	Owner   bool
	MinRole Role
}

// Policy is the one table of who may do what. An action not in it is
// refused to everyone.
var Policy = map[Action]Rule{
	ActionView:         {Owner: true, MinRole: RoleAgent},
	ActionEdit:         {Owner: true},
	ActionCreateStaff:  {MinRole: RoleAdmin},
	ActionChangeRole:   {MinRole: RoleAdmin},
	ActionViewAudit:    {MinRole: RoleSupervisor},
	ActionViewUser:     {MinRole: RoleAgent},
	ActionRevokeOthers: {MinRole: RoleAdmin},
	ActionBankView:     {MinRole: RoleAgent},
	ActionBankResolve:  {MinRole: RoleSupervisor},
	ActionRiskView:     {MinRole: RoleAgent},
	ActionRiskDecide:   {MinRole: RoleSupervisor},

	ActionSupportWork:      {MinRole: RoleAgent},
	ActionSupportSupervise: {MinRole: RoleSupervisor},

	ActionKYCReview:         {MinRole: RoleAgent},
	ActionCorrectionPropose: {MinRole: RoleSupervisor},
	ActionCorrectionApprove: {MinRole: RoleSupervisor},
	ActionFXRatesView:       {MinRole: RoleAgent},
	ActionFXRateSet:         {MinRole: RoleSupervisor},
	ActionHelpEdit:          {MinRole: RoleAgent},
	ActionAnnounce:          {MinRole: RoleSupervisor},
}

// Resource is what an action is on: its owner (0 for none, such as the
// audit log).
type Resource struct {
	Kind    string
	OwnerID int64
}

// Authorize is the one check every handler makes, for sessions and API
// keys alike. Errors: ErrUnauthenticated, ErrForbidden.
func Authorize(a Actor, act Action, res Resource) error {
	if a.UserID <= 0 {
		return ErrUnauthenticated
	}
	rule, ok := Policy[act]
	if !ok {
		return ErrForbidden
	}
	if rule.Owner && res.OwnerID > 0 && res.OwnerID == a.UserID {
		return nil
	}
	if rule.MinRole != "" && a.Role.AtLeast(rule.MinRole) {
		return nil
	}
	return ErrForbidden
}
