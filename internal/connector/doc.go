// Package connector owns OKPay's payment rails: the networks money comes in
// and goes out through. Deposits are taken by a Charger (cards, external
// e-wallets) or arrive by bank transfer, found in the bank's statements
// (ParseStatements) by their deposit Reference; withdrawals go out through a
// Payer (bank transfer, e-wallet). Which methods a customer is offered
// depends on their country (Methods, configured by an Availability).
//
// Invariants it keeps:
//
//   - Every call that moves money carries an idempotency key: the same key
//     with the same request returns the same charge or payout and never
//     moves money twice, also after a network error whose answer was lost.
//   - Every failure is an *Error with a stable Code (card_declined,
//     insufficient_funds, processing_error, ...) that says whether retrying
//     can help (Retryable). Codes lists them all.
//   - A card number or security code is never stored, logged, returned or
//     put in an error: results carry the brand, the last four digits and
//     the expiry date only, and a Card prints itself redacted.
//   - Money is money.Amount, integer minor units; statement amounts are
//     parsed exactly, never rounded, and a statement is only accepted if it
//     adds up.
//
// # Sandboxes
//
// A card network, a bank and an external wallet provider cannot exist in
// this repository, so OKPay ships sandboxes of them — CardSandbox,
// EWalletSandbox and BankSandbox — that behave like the real networks (they
// validate, decline, challenge, time out and settle later) but keep their
// state in memory and move no money. They are the only stand-ins in the
// product; they serve development, tests and merchants' test mode. A
// sandbox's clock and business-day calendar come from its SandboxConfig.
//
// # Test cards
//
// Any future expiry date and any security code of the right length (three
// digits; four for American Express) work with every test card. Most
// numbers are the well-known public test numbers of card networks and
// payment providers; the UnionPay decline and challenge cards and the two
// flaky-network cards are the sandbox's own. All pass the Luhn check and
// none is a real card.
//
//	number               brand       behaviour
//	4242424242424242     visa        succeeds
//	4000056655665556     visa        succeeds (debit)
//	5555555555554444     mastercard  succeeds
//	2223003122003222     mastercard  succeeds (2-series)
//	378282246310005      amex        succeeds
//	3566002020360505     jcb         succeeds
//	6200000000000005     unionpay    succeeds
//	6205500000000000004  unionpay    succeeds (19 digits)
//	4000000000000002     visa        declined: card_declined
//	4000000000009995     visa        declined: insufficient_funds
//	4000000000000069     visa        declined: expired_card (the issuer says so)
//	4000000000000127     visa        declined: incorrect_cvc (the issuer says so)
//	6200000000009998     unionpay    declined: insufficient_funds
//	4000002760003184     visa        requires_action (3-D Secure), then succeeds
//	6200000000003223     unionpay    requires_action (3-D Secure), then succeeds
//	4000008260003178     visa        requires_action, then declined: insufficient_funds
//	4000000000000119     visa        processing_error on every attempt; nothing charged
//	4000000000000093     visa        processing_error on the first attempt per key,
//	                                 nothing charged; a retry succeeds
//	4000000000000952     visa        charged on the first attempt per key but the
//	                                 answer is lost (processing_error); a retry with
//	                                 the same key returns that one charge
//
// The challenge of a requires_action charge is passed by calling Confirm
// with SandboxConfirmationCode, "123456"; any other code fails the charge
// with authentication_failed. Off-session (ChargeRequest.OffSession) a card
// that needs a challenge is declined with authentication_required.
//
// Before a card reaches the "network" the sandbox checks it like a real
// one: incorrect_number for a malformed number or one failing the Luhn
// check (4242424242424241), card_not_supported for a brand other than Visa,
// Mastercard, American Express, UnionPay or JCB, invalid_expiry or
// expired_card for the expiry date (a card is valid through the last day of
// its expiry month, by the sandbox's clock, in UTC), and incorrect_cvc for
// a security code of the wrong length. Any other valid number is declined
// with card_declined: the sandbox never pretends to charge a real card.
//
// Real UnionPay cards do not all carry a Luhn check digit; the sandbox's do,
// and it checks every brand. A connector to the real network must leave
// that check to the network.
//
// # Test e-wallet accounts
//
//	account              charge                        payout
//	alice@wallet.test    succeeds                      paid after 1 business day
//	bob@wallet.test      succeeds                      paid after 1 business day
//	broke@wallet.test    declined: insufficient_funds  paid after 1 business day
//	closed@wallet.test   declined: account_closed      refused: account_closed
//	down@wallet.test     timeout on every attempt; nothing happens
//	slow@wallet.test     done on the first attempt per key but the answer times
//	                     out (timeout); a retry with the same key returns it
//	frozen@wallet.test   succeeds                      accepted, then failed after
//	                                                   1 business day: account_closed
//	returns@wallet.test  succeeds                      paid after 1 business day,
//	                                                   returned 1 business day later:
//	                                                   account_closed
//
// Any other email-like id is account_not_found; anything else is
// invalid_account.
//
// # Test bank accounts (payouts)
//
//	IBAN                     behaviour
//	DE89370400440532013000   paid after 1 business day
//	NL91ABNA0417164300       paid after 2 business days
//	GB82WEST12345698765432   paid after 3 business days
//	DE62370400440532013001   returned after 2 business days: failed, account_closed
//	DE35370400440532013002   accepted on the first attempt per key but the answer
//	                         times out (timeout); a retry with the same key returns
//	                         the payout, paid after 1 business day
//	DE08370400440532013003   timeout on every attempt; nothing is sent
//	DE78370400440532013004   paid after 1 business day, then returned 2 business
//	                         days later: returned, account_closed
//
// Any other valid IBAN is paid after 2 business days; an IBAN failing its
// check digits is invalid_account. A payout stays pending until its
// business days have passed on the sandbox's clock (by the caller's
// calendar, SandboxConfig.AddBusinessDays); PayoutStatus then reports it
// paid or failed, and a returned one later returned. CancelPayout cancels a
// payout (by its idempotency key) until it settles.
//
// # Bank statements
//
// ParseStatements reads ISO 20022 camt.053 (BankToCustomerStatement)
// versions 001.02 to 001.08, told apart by the namespace, and OKPay's CSV
// layout. A file is accepted whole or refused whole, with an error naming
// the file, the line and the element ("statement.xml:57:
// Stmt[0]/Ntry[2]/Amt: ..."). Amounts are read exactly into minor units:
// in camt.053 trailing zeros past the currency's minor unit are allowed
// ("8.850" EUR is 8.85 EUR) since they do not change the value, while a
// non-zero digit there ("8.855" EUR, or "100.5" JPY) is refused — never
// rounded. Every statement must add up: opening booked balance plus booked
// credits minus booked debits equals the closing booked balance, all in the
// statement's currency; otherwise the file is refused with the numbers
// (ErrUnbalanced).
//
// The CSV layout is UTF-8 (a byte-order mark is allowed), comma-separated
// with RFC 4180 quoting, and starts with a header naming its columns in any
// order; the optional ones may be left out:
//
//	record,statement_id,account,booking_date,value_date,amount,currency,credit_debit,status,entry_ref,end_to_end_id,remittance,counterparty_name,counterparty_iban
//
//	record             opening, entry or closing; each statement has one
//	                   opening and one closing row
//	statement_id       the bank's statement id; rows with the same id form
//	                   one statement (a file may hold several)
//	account            the account's IBAN, the same on every row of a statement
//	booking_date       YYYY-MM-DD: the booking date, or the balance's date
//	value_date         YYYY-MM-DD, optional
//	amount             non-negative, "." as decimal point, no grouping, at
//	                   most as many decimals as the currency has (12.50 EUR,
//	                   1200 JPY)
//	currency           ISO 4217 code, the same on every row of a statement
//	credit_debit       CRDT (money in, or a credit balance) or DBIT
//	status             BOOK (default), PDNG, INFO or FUTR; entries only
//	entry_ref          the bank's unique reference of the entry; required
//	                   for entries, unique per account within the file
//	end_to_end_id      optional
//	remittance         the payer's free text, where the deposit Reference is
//	counterparty_name  optional
//	counterparty_iban  optional
//
// # Deposit references
//
// A Reference ("OKP7M2K9QX4T", shown as "OKP 7M2 K9Q X4T") is what a
// customer writes in a bank transfer so that the money finds their deposit.
// FindReference picks it out of free remittance text, forgiving case,
// spaces, dashes and full-width characters, and ignoring look-alikes whose
// check character fails.
package connector
