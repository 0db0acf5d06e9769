package inbound_test

import (
	"testing"

	"github.com/okpay/okpay/internal/inbound"
)

func TestTicketNumber(t *testing.T) {
	tests := []struct {
		subject string
		want    int64
		ok      bool
	}{
		{"[#10023] 提现失败", 10023, true},
		{"Re: [#10023] withdrawal failed", 10023, true},
		{"RE: Fwd: FW: 回复：回复:答复: 转发: 转发：[#10023] x", 10023, true},
		{"Re:Re:[#7]", 7, true},
		{"回复： [#10023] 您的工单已受理", 10023, true},
		{"[EXTERNAL] Re: [#10023] refund", 10023, true},
		{"Re: 提现失败 [#10023]", 10023, true},
		{"［＃１００２３］ 全角", 10023, true},
		{"[# 42 ] spaced", 42, true},
		{"[#0] zero", 0, false},
		{"[#99999999999999999999] too long", 0, false},
		{"#10023 without brackets", 0, false},
		{"[10023] without hash", 0, false},
		{"Order 10023", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		got, ok := inbound.TicketNumber(tc.subject)
		if got != tc.want || ok != tc.ok {
			t.Errorf("TicketNumber(%q) = %d, %v; want %d, %v", tc.subject, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCleanSubject(t *testing.T) {
	tests := map[string]string{
		"Re: 提现失败":               "提现失败",
		"RE: Re: re: withdrawal": "withdrawal",
		"Fwd: FW: Fw: invoice":   "invoice",
		"回复：回复: 答复: 转发: 转发：账户被锁":          "账户被锁",
		"回复 ： 密码重置":                       "密码重置",
		"Re: [#10023] Re: refund":         "refund",
		"[#10023] 提现失败":                   "提现失败",
		"Re[2]: AW: WG: report":           "report",
		"  Re:   spaced \t  out  ":        "spaced out",
		"Regarding my account":            "Regarding my account",
		"Refund: not received":            "Refund: not received",
		"提现失败 [#10023]":                   "提现失败 [#10023]",
		"":                                "",
		"Re: ":                            "",
		"Forward: is not a prefix we eat": "Forward: is not a prefix we eat",
	}
	for in, want := range tests {
		if got := inbound.CleanSubject(in); got != want {
			t.Errorf("CleanSubject(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUrgent(t *testing.T) {
	tests := map[string]bool{
		"紧急：账户被盗":                      true,
		"【紧急】提现失败":                     true,
		"緊急：帳戶被鎖":                      true,
		"请加急处理":                        true,
		"Re: 回复：紧急 提现":                 true,
		"URGENT: account locked":       true,
		"[URGENT] refund":              true,
		"Urgent help needed":           true,
		"please handle urgently":       true,
		"not urgent: question on fees": false,
		"non-urgent question":          false,
		"不紧急，有空回复":                     false,
		"提现失败":                         false,
		"insurgents":                   false,
		"":                             false,
	}
	for in, want := range tests {
		if got := inbound.Urgent(in); got != want {
			t.Errorf("Urgent(%q) = %v, want %v", in, got, want)
		}
	}
}
