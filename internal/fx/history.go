package fx

import (
	"context"
	"fmt"
)

// ManualRates returns the history of staff-set rates, newest first, at
// most limit (1 to 500; 100 when out of range).
func (s *Service) ManualRates(ctx context.Context, limit int) ([]ManualRate, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	ms, err := s.store.ManualRates(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("fx: manual rates: %w", err)
	}
	return ms, nil
}
