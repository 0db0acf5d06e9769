package support

import (
	"context"
	"errors"
)

var errTODO = errors.New("support: not implemented yet")

func (s *Service) receiveMail(ctx context.Context, m InboundMail) (Received, error) {
	return Received{}, errTODO
}
func (s *Service) acknowledge(ctx context.Context, ticketID int64) error     { return errTODO }
func (s *Service) markBounced(ctx context.Context, id int64, r string) error { return nil }
