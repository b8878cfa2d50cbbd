package storetest

import (
	"context"

	"github.com/kapstone/kapstone/internal/store"
)

// Inquiries is every inquiry of the inbox with status (store.InquiryFilter),
// newest first, read page by page with store.PageInquiries as actor (one
// inquiry.list audit row per page).
func Inquiries(ctx context.Context, s *store.Store, actor store.Actor, status string) ([]*store.Inquiry, error) {
	var out []*store.Inquiry
	var k store.PageKey
	for {
		p, err := s.PageInquiries(ctx, actor, store.InquiryFilter{Status: status}, k)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Rows...)
		if p.Next == "" {
			return out, nil
		}
		k = store.PageKey{After: p.Next}
	}
}
