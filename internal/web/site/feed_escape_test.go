package site_test

import (
	"encoding/xml"
	"html"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestRSSTextIsHTMLSafe: feed readers render an RSS item's title (and the
// channel's, the author, the categories) as HTML, so a title escaped only
// for XML becomes live markup there. Each such element's text, as a reader
// takes it from the XML, must hold no tag when read as HTML, and must
// read back as the title typed. In Atom the titles say type="text".
func TestRSSTextIsHTMLSafe(t *testing.T) {
	f := webtest.NewFixture(t)
	title := `<script>alert("rss")</script> Tom & "Jerry's" <b>bold</b>`
	hash, _ := auth.HashPassword(webtest.TestPassword, webtest.Cheap)
	mal := &clinic.User{Email: "mal@example.org", DisplayName: `Mal <img src=x onerror=alert(2)>`, Role: clinic.RoleTherapist}
	if err := f.St.CreateUser(t.Context(), store.System, mal, hash); err != nil {
		t.Fatal(err)
	}
	f.Users[mal.Email] = mal
	f.Post(mal.Email, store.Post{Title: title, Summary: "About <i>it</i>.", Body: "Words."})
	r := f.Do("GET", "/feed.rss", nil, "")
	var feed struct {
		Channel struct {
			Title string `xml:"title"`
			Desc  string `xml:"description"`
			Items []struct {
				Title      string   `xml:"title"`
				Desc       string   `xml:"description"`
				Creator    string   `xml:"http://purl.org/dc/elements/1.1/ creator"`
				Categories []string `xml:"category"`
			} `xml:"item"`
		} `xml:"channel"`
	}
	if err := xml.Unmarshal([]byte(r.Body), &feed); err != nil || len(feed.Channel.Items) != 1 {
		t.Fatalf("the RSS feed = %v, %d items:\n%s", err, len(feed.Channel.Items), r.Body)
	}
	it := feed.Channel.Items[0]
	checked := 0
	for name, text := range map[string]string{"item title": it.Title, "item description": it.Desc, "creator": it.Creator,
		"channel title": feed.Channel.Title, "channel description": feed.Channel.Desc} {
		checked++
		if strings.ContainsAny(text, "<>") {
			t.Errorf("the RSS %s, read as HTML by a feed reader, holds markup: %q", name, text)
		}
	}
	if !strings.Contains(it.Creator, "Mal") {
		t.Errorf("the RSS creator = %q, want the author", it.Creator)
	}
	if got := html.UnescapeString(it.Title); got != title {
		t.Errorf("the RSS title as a reader shows it = %q, want %q", got, title)
	}
	t.Logf("%d RSS text elements checked", checked)

	a := f.Do("GET", "/feed.atom", nil, "")
	var atom struct {
		Title struct {
			Type string `xml:"type,attr"`
		} `xml:"title"`
		Entries []struct {
			Title struct {
				Type string `xml:"type,attr"`
				Body string `xml:",chardata"`
			} `xml:"title"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(a.Body), &atom); err != nil || len(atom.Entries) != 1 {
		t.Fatalf("the Atom feed = %v", err)
	}
	if e := atom.Entries[0].Title; e.Type != "text" || e.Body != title || atom.Title.Type != "text" {
		t.Errorf("the Atom titles = type %q %q (feed type %q), want type=\"text\" with the title as typed", e.Type, e.Body, atom.Title.Type)
	}
}
