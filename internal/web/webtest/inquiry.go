package webtest

import (
	"context"
	"regexp"

	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

var stampRE = regexp.MustCompile(`name="stamp" value="([^"]+)"`)

// InquiryStamp opens the inquiry form as a visitor and returns its stamp.
func (f *Fixture) InquiryStamp() string {
	f.T.Helper()
	r := f.Do("GET", "/inquiry", nil, "")
	m := stampRE.FindStringSubmatch(r.Body)
	if r.Status != 200 || m == nil {
		f.T.Fatalf("the inquiry form (GET) = %d without a stamp", r.Status)
	}
	return m[1]
}

// StoredInquiries is every inquiry in the practice, read as its admin.
func (f *Fixture) StoredInquiries() []*store.Inquiry {
	f.T.Helper()
	list, err := storetest.Inquiries(context.Background(), f.St, f.As("admin@example.org"), "all")
	if err != nil {
		f.T.Fatal(err)
	}
	return list
}
