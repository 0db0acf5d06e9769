package connector

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/money"
)

// camt053Namespace is the namespace of a camt.053 message without its
// two-digit version.
const camt053Namespace = "urn:iso:std:iso:20022:tech:xsd:camt.053.001."

// camt053Versions are the versions read. 02, 03, 04 and 08 are the ones
// banks send most and the ones tested against sample files; 05 to 07 use
// the same elements, in the shapes this reader accepts for 04 and 08.
var camt053Versions = map[string]bool{"02": true, "03": true, "04": true, "05": true, "06": true, "07": true, "08": true}

// maxXMLDepth bounds element nesting; camt.053 needs about fifteen levels.
const maxXMLDepth = 64

// maxXMLElements bounds the tree built of a file (some 300 MB at most); a
// day's statement of even a busy account has a small fraction of it.
const maxXMLElements = 2_000_000

// xmlNode is an element of the parsed document. The reader builds a small
// tree first so that errors can name both the element path and its line.
type xmlNode struct {
	name  string
	space string
	attrs []xml.Attr
	text  []byte
	kids  []*xmlNode
	line  int
}

// child returns the first child named name, or nil.
func (n *xmlNode) child(name string) *xmlNode {
	if n == nil {
		return nil
	}
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

// children returns every child named name.
func (n *xmlNode) children(name string) []*xmlNode {
	if n == nil {
		return nil
	}
	var out []*xmlNode
	for _, k := range n.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

// at follows a path of child names; nil if any step is missing.
func (n *xmlNode) at(path ...string) *xmlNode {
	for _, p := range path {
		n = n.child(p)
	}
	return n
}

// textAt returns the trimmed text at a path, or "".
func (n *xmlNode) textAt(path ...string) string {
	if m := n.at(path...); m != nil {
		return m.str()
	}
	return ""
}

// str returns the element's own text, trimmed.
func (n *xmlNode) str() string { return strings.TrimSpace(string(n.text)) }

func (n *xmlNode) attr(name string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// readXML parses data into a tree.
func readXML(name string, data []byte) (*xmlNode, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = charsetReader
	var (
		root     *xmlNode
		stack    []*xmlNode
		elements int
	)
	for {
		// The position before a token is where it starts, as the white
		// space before an element is a token of its own.
		line, _ := d.InputPos()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			if se, ok := errors.AsType[*xml.SyntaxError](err); ok {
				return nil, &StatementError{File: name, Line: se.Line,
					Err: fmt.Errorf("%w: not well-formed XML: %s", ErrStatementFormat, se.Msg)}
			}
			l, _ := d.InputPos()
			return nil, &StatementError{File: name, Line: l, Err: fmt.Errorf("%w: %w", ErrStatementFormat, err)}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == maxXMLDepth {
				return nil, &StatementError{File: name, Line: line,
					Err: fmt.Errorf("%w: elements nested more than %d deep", ErrStatementFormat, maxXMLDepth)}
			}
			if elements++; elements > maxXMLElements {
				return nil, &StatementError{File: name, Line: line,
					Err: fmt.Errorf("%w: more than %d elements", ErrStatementFormat, maxXMLElements)}
			}
			n := &xmlNode{name: t.Name.Local, space: t.Name.Space, attrs: t.Attr, line: max(line, 1)}
			if len(stack) == 0 {
				if root != nil {
					return nil, &StatementError{File: name, Line: line,
						Err: fmt.Errorf("%w: more than one root element", ErrStatementFormat)}
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.text = append(top.text, t...)
			}
		}
	}
	if root == nil {
		return nil, &StatementError{File: name, Err: fmt.Errorf("%w: no XML element", ErrStatementFormat)}
	}
	return root, nil
}

// charsetReader lets the decoder read the ISO-8859-1 that some banks still
// declare; UTF-8 needs none.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1":
		b, err := io.ReadAll(in)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(b)*2)
		for _, c := range b {
			out = utf8.AppendRune(out, rune(c))
		}
		return bytes.NewReader(out), nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", label)
}

// camtDecoder carries the file name for errors.
type camtDecoder struct {
	file    string
	version string
}

func (c *camtDecoder) errf(n *xmlNode, path, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.line
	}
	return &StatementError{File: c.file, Line: line, Path: path,
		Err: fmt.Errorf("%w: "+format, append([]any{ErrStatementFormat}, args...)...)}
}

func (c *camtDecoder) wrap(n *xmlNode, path string, err error) error {
	return &StatementError{File: c.file, Line: n.line, Path: path, Err: err}
}

// decodeCamt053 reads a camt.053 BankToCustomerStatement.
func decodeCamt053(name string, data []byte) ([]Statement, []position, error) {
	root, err := readXML(name, data)
	if err != nil {
		return nil, nil, err
	}
	c := &camtDecoder{file: name}
	if root.name != "Document" || !strings.HasPrefix(root.space, camt053Namespace) {
		return nil, nil, c.errf(root, root.name,
			"not an ISO 20022 camt.053 statement (root element %s in namespace %q)", root.name, root.space)
	}
	c.version = strings.TrimPrefix(root.space, camt053Namespace)
	if !camt053Versions[c.version] {
		return nil, nil, c.errf(root, root.name, "camt.053 version 001.%s is not supported (001.02 to 001.08 are)", c.version)
	}
	msg := root.child("BkToCstmrStmt")
	if msg == nil {
		return nil, nil, c.errf(root, "Document", "no BkToCstmrStmt element")
	}
	stmtNodes := msg.children("Stmt")
	if len(stmtNodes) == 0 {
		return nil, nil, c.errf(msg, "BkToCstmrStmt", "no Stmt element: a camt.053 message holds at least one statement")
	}
	msgID := msg.textAt("GrpHdr", "MsgId")
	stmts := make([]Statement, 0, len(stmtNodes))
	pos := make([]position, 0, len(stmtNodes))
	for i, sn := range stmtNodes {
		s, p, err := c.statement(sn, fmt.Sprintf("Stmt[%d]", i))
		if err != nil {
			return nil, nil, err
		}
		s.MessageID = msgID
		stmts = append(stmts, s)
		pos = append(pos, p)
	}
	return stmts, pos, nil
}

func (c *camtDecoder) statement(sn *xmlNode, path string) (Statement, position, error) {
	s := Statement{Format: "camt.053.001." + c.version}
	pos := position{line: sn.line, path: path}
	if s.ID = sn.textAt("Id"); s.ID == "" {
		return s, pos, c.errf(sn, path+"/Id", "the statement has no id")
	}
	if t := sn.child("CreDtTm"); t != nil {
		var err error
		if s.Created, err = parseISODateTime(t.str()); err != nil {
			return s, pos, c.errf(t, path+"/CreDtTm", "%v", err)
		}
	}
	acct := sn.child("Acct")
	s.Account = acct.textAt("Id", "IBAN")
	if s.Account == "" {
		s.Account = acct.textAt("Id", "Othr", "Id")
	}
	if s.Account == "" {
		return s, pos, c.errf(orNode(acct, sn), path+"/Acct/Id", "the statement names no account (IBAN or Othr/Id)")
	}
	if ccy := acct.child("Ccy"); ccy != nil {
		cur, err := money.Lookup(ccy.str())
		if err != nil {
			return s, pos, c.wrap(ccy, path+"/Acct/Ccy", err)
		}
		s.Currency = cur
	}

	balNodes := sn.children("Bal")
	if len(balNodes) == 0 {
		return s, pos, c.errf(sn, path, "no Bal element: a camt.053 statement has at least one balance")
	}
	var prcd money.Amount
	for i, bn := range balNodes {
		bpath := fmt.Sprintf("%s/Bal[%d]", path, i)
		b, err := c.balance(bn, bpath)
		if err != nil {
			return s, pos, err
		}
		s.Balances = append(s.Balances, b)
		var slot *money.Amount
		switch b.Type {
		case "OPBD":
			slot = &s.Opening
		case "PRCD":
			slot = &prcd
		case "CLBD":
			slot = &s.Closing
		default:
			continue
		}
		if slot.Currency.Code != "" {
			return s, pos, c.errf(bn, bpath, "a second %s balance", b.Type)
		}
		*slot = b.Amount
	}
	if s.Opening.Currency.Code == "" {
		s.Opening = prcd
	}

	for j, en := range sn.children("Ntry") {
		epath := fmt.Sprintf("%s/Ntry[%d]", path, j)
		e, err := c.entry(en, epath)
		if err != nil {
			return s, pos, err
		}
		if e.Ref == "" {
			e.Ref = fmt.Sprintf("%s#%d", s.ID, j+1)
		}
		s.Entries = append(s.Entries, e)
		pos.entries = append(pos.entries, position{line: en.line, path: epath})
	}

	if s.Currency.Code == "" {
		switch {
		case s.Opening.Currency.Code != "":
			s.Currency = s.Opening.Currency
		case s.Closing.Currency.Code != "":
			s.Currency = s.Closing.Currency
		case len(s.Entries) > 0:
			s.Currency = s.Entries[0].Amount.Currency
		}
	}
	return s, pos, nil
}

func orNode(n, fallback *xmlNode) *xmlNode {
	if n != nil {
		return n
	}
	return fallback
}

func (c *camtDecoder) balance(bn *xmlNode, path string) (Balance, error) {
	var b Balance
	b.Type = bn.textAt("Tp", "CdOrPrtry", "Cd")
	if b.Type == "" {
		b.Type = bn.textAt("Tp", "CdOrPrtry", "Prtry")
	}
	if b.Type == "" {
		return b, c.errf(bn, path+"/Tp", "the balance has no type code")
	}
	amt, err := c.amount(bn, path)
	if err != nil {
		return b, err
	}
	credit, err := c.creditDebit(bn, path)
	if err != nil {
		return b, err
	}
	if !credit {
		amt.Minor = -amt.Minor
	}
	b.Amount = amt
	if b.Date, err = c.dateChoice(bn, "Dt", path); err != nil {
		return b, err
	}
	return b, nil
}

func (c *camtDecoder) entry(en *xmlNode, path string) (Entry, error) {
	var e Entry
	var err error
	if e.Amount, err = c.amount(en, path); err != nil {
		return e, err
	}
	if e.Credit, err = c.creditDebit(en, path); err != nil {
		return e, err
	}
	if rv := en.child("RvslInd"); rv != nil {
		switch rv.str() {
		case "true", "1":
			e.Reversal = true
		case "false", "0":
		default:
			return e, c.errf(rv, path+"/RvslInd", "%q is not a boolean", rv.str())
		}
	}
	sts := en.child("Sts")
	if sts == nil {
		return e, c.errf(en, path+"/Sts", "the entry has no status")
	}
	// Up to version 06 the status is a code; from 07 on a choice of Cd
	// or Prtry.
	e.Status = sts.str()
	if e.Status == "" {
		e.Status = sts.textAt("Cd")
	}
	if e.Status == "" {
		e.Status = sts.textAt("Prtry")
	}
	switch e.Status {
	case StatusBooked, StatusPending, StatusInfo, StatusFuture:
	default:
		return e, c.errf(sts, path+"/Sts", "unknown entry status %q (want BOOK, PDNG, INFO or FUTR)", e.Status)
	}
	if e.BookingDate, err = c.dateChoice(en, "BookgDt", path); err != nil {
		return e, err
	}
	if e.ValueDate, err = c.dateChoice(en, "ValDt", path); err != nil {
		return e, err
	}
	e.Ref = en.textAt("AcctSvcrRef")
	if e.Ref == "" {
		e.Ref = en.textAt("NtryRef")
	}

	var remittance, info []string
	if s := en.textAt("AddtlNtryInf"); s != "" {
		info = append(info, s)
	}
	for _, dn := range en.children("NtryDtls") {
		for _, tx := range dn.children("TxDtls") {
			e.Transactions++
			first := e.Transactions == 1
			if first {
				e.EndToEndID = tx.textAt("Refs", "EndToEndId")
				e.CounterpartyName, e.CounterpartyIBAN = counterparty(tx.child("RltdPties"), e.Credit)
			}
			rmt := tx.child("RmtInf")
			for _, u := range rmt.children("Ustrd") {
				if s := u.str(); s != "" {
					remittance = append(remittance, s)
				}
			}
			if e.CreditorRef == "" {
				for _, st := range rmt.children("Strd") {
					if r := st.textAt("CdtrRefInf", "Ref"); r != "" {
						e.CreditorRef = r
						break
					}
				}
			}
			if s := tx.textAt("AddtlTxInf"); s != "" {
				info = append(info, s)
			}
		}
	}
	e.Remittance = strings.Join(remittance, " ")
	e.AdditionalInfo = strings.Join(info, " ")
	return e, nil
}

// counterparty returns the name and account of the other side of a
// transaction: the debtor of a credit, the creditor of a debit, falling
// back to the ultimate party's name. From version 08 a party sits inside
// Pty.
func counterparty(rp *xmlNode, credit bool) (name, iban string) {
	party, acct, ultimate := "Cdtr", "CdtrAcct", "UltmtCdtr"
	if credit {
		party, acct, ultimate = "Dbtr", "DbtrAcct", "UltmtDbtr"
	}
	partyName := func(n *xmlNode) string {
		if s := n.textAt("Nm"); s != "" {
			return s
		}
		return n.textAt("Pty", "Nm")
	}
	name = partyName(rp.child(party))
	if name == "" {
		name = partyName(rp.child(ultimate))
	}
	a := rp.child(acct)
	iban = a.textAt("Id", "IBAN")
	if iban == "" {
		iban = a.textAt("Id", "Othr", "Id")
	}
	return name, iban
}

// amount reads the Amt child of n: an ISO 20022 ActiveOrHistoricCurrency-
// AndAmount, an xs:decimal of at most 18 digits of which at most 5
// fractional, with a Ccy attribute.
//
// The value, not the spelling, must fit the currency: trailing zeros past
// the currency's minor unit are accepted ("8.850" EUR is 8.85 EUR, exactly,
// as the schema's fractionDigits facet constrains the value and not the
// lexical form), but a non-zero digit there ("8.855" EUR) is refused with
// money.ErrTooPrecise. Nothing is ever rounded.
func (c *camtDecoder) amount(n *xmlNode, path string) (money.Amount, error) {
	an := n.child("Amt")
	path += "/Amt"
	if an == nil {
		return money.Amount{}, c.errf(n, path, "missing")
	}
	code, ok := an.attr("Ccy")
	if !ok {
		return money.Amount{}, c.errf(an, path, "no Ccy attribute")
	}
	cur, err := money.Lookup(code)
	if err != nil {
		return money.Amount{}, c.wrap(an, path, err)
	}
	text := an.str()
	intPart, frac, _ := strings.Cut(text, ".")
	if intPart == "" || !allDigits(intPart) || (frac != "" && !allDigits(frac)) || strings.HasSuffix(text, ".") {
		return money.Amount{}, c.errf(an, path, "%s is not a non-negative decimal amount (the sign is in CdtDbtInd)", quoteText(text))
	}
	if len(frac) > 5 || len(strings.TrimLeft(intPart, "0"))+len(frac) > 18 {
		return money.Amount{}, c.errf(an, path, "%s has more digits than an ISO 20022 amount may (18, of them 5 fractional)", quoteText(text))
	}
	if len(frac) > cur.Exponent && strings.Trim(frac[cur.Exponent:], "0") == "" {
		frac = frac[:cur.Exponent]
	}
	canonical := intPart
	if frac != "" {
		canonical += "." + frac
	}
	a, err := money.Parse(canonical, cur)
	if err != nil {
		return money.Amount{}, c.wrap(an, path, fmt.Errorf("%s %s: %w", text, cur.Code, err))
	}
	return a, nil
}

func quoteText(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// creditDebit reads the CdtDbtInd child of n.
func (c *camtDecoder) creditDebit(n *xmlNode, path string) (bool, error) {
	path += "/CdtDbtInd"
	ind := n.child("CdtDbtInd")
	if ind == nil {
		return false, c.errf(n, path, "missing")
	}
	switch v := ind.str(); v {
	case "CRDT":
		return true, nil
	case "DBIT":
		return false, nil
	default:
		return false, c.errf(ind, path, "%s is neither CRDT nor DBIT", quoteText(v))
	}
}

// dateChoice reads an optional DateAndDateTimeChoice child (Dt or DtTm).
func (c *camtDecoder) dateChoice(n *xmlNode, name, path string) (time.Time, error) {
	dn := n.child(name)
	if dn == nil {
		return time.Time{}, nil
	}
	path += "/" + name
	if d := dn.child("Dt"); d != nil {
		t, err := parseISODate(d.str())
		if err != nil {
			return time.Time{}, c.errf(d, path+"/Dt", "%v", err)
		}
		return t, nil
	}
	if d := dn.child("DtTm"); d != nil {
		t, err := parseISODateTime(d.str())
		if err != nil {
			return time.Time{}, c.errf(d, path+"/DtTm", "%v", err)
		}
		return t, nil
	}
	return time.Time{}, c.errf(dn, path, "neither Dt nor DtTm")
}

// parseISODate reads an xs:date, with or without a time zone; the date is
// returned as midnight UTC of that calendar day.
func parseISODate(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "2006-01-02Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			y, m, d := t.Date()
			return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
		}
	}
	return time.Time{}, fmt.Errorf("%s is not a date (YYYY-MM-DD)", quoteText(s))
}

// parseISODateTime reads an xs:dateTime; one without a time zone is read as
// UTC.
func parseISODateTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s is not a date and time (YYYY-MM-DDThh:mm:ss)", quoteText(s))
}
