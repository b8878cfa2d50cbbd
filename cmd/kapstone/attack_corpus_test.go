package main

import (
	"fmt"
	"strings"
)

// attackPayload is one entry of the injection corpus. Every payload that
// could run script calls window.__kx(id), the hook the browser test installs
// before any page script, so a hit is detected whatever the payload's shape;
// every payload that could inject markup puts data-kx="id" on the element it
// would create, and each one ends with a <b data-kx="id"> marker, so HTML
// injection shows as an element carrying data-kx.
type attackPayload struct {
	ID, Kind string
	Text     string // with {id} for the payload's id
}

// attackCorpus is the payload corpus of the injection suite (issue 14,
// suite item 2).
var attackCorpus = []attackPayload{
	// Script tags.
	{"P01", "script", `<script>__kx('{id}')</script>`},
	{"P02", "script", `<ScRiPt data-kx={id} >__kx('{id}')</ScRiPt >`},
	{"P03", "script", `</script><script>__kx('{id}')</script>`},
	{"P04", "script", `</textarea></title></style><script>__kx('{id}')</script>`},
	// Event handlers.
	{"P05", "handler", `<img data-kx={id} src=x onerror=__kx('{id}')>`},
	{"P06", "handler", `<input data-kx={id} autofocus onfocus=__kx('{id}')>`},
	{"P07", "handler", `<details data-kx={id} open ontoggle=__kx('{id}')>`},
	{"P08", "handler", `<body data-kx={id} onload=__kx('{id}')>`},
	{"P09", "handler", `<video data-kx={id}><source onerror=__kx('{id}')></video>`},
	// javascript: and data: URLs.
	{"P10", "url", `javascript:__kx('{id}')`},
	{"P11", "url", "java\tscript:__kx('{id}')"},
	{"P12", "url", `<a data-kx={id} href="javascript:__kx('{id}')">x</a>`},
	{"P13", "url", `<a data-kx={id} href="&#106;avascript:__kx('{id}')">x</a>`},
	{"P14", "url", `data:text/html,<script>parent.__kx('{id}')</script>`},
	{"P15", "url", `<iframe data-kx={id} src="data:text/html,<script>parent.__kx('{id}')</script>"></iframe>`},
	{"P16", "url", `<iframe data-kx={id} srcdoc="<script>parent.__kx('{id}')</script>"></iframe>`},
	{"P17", "url", `<meta data-kx={id} http-equiv="refresh" content="0;url=javascript:__kx('{id}')">`},
	{"P18", "url", `<form data-kx={id}><button formaction="javascript:__kx('{id}')">x</button></form>`},
	// SVG.
	{"P19", "svg", `<svg data-kx={id} onload=__kx('{id}')>`},
	{"P20", "svg", `<svg data-kx={id}><script>__kx('{id}')</script></svg>`},
	{"P21", "svg", `<svg data-kx={id}><animate onbegin=__kx('{id}') attributeName=x dur=1s>`},
	// Attribute breakouts.
	{"P22", "breakout", `'"><img data-kx={id} src=x onerror=__kx('{id}')>`},
	{"P23", "breakout", `" autofocus onfocus="__kx('{id}')" data-kx="{id}`},
	{"P24", "breakout", `' autofocus onfocus='__kx("{id}")' data-kx='{id}`},
	{"P25", "breakout", "`-__kx('{id}')-` ${__kx('{id}')}"},
	{"P26", "breakout", `';__kx('{id}');//`},
	{"P27", "breakout", `<math><mtext><table><mglyph><style><img data-kx={id} src=x onerror=__kx('{id}')>`},
	// Markdown tricks.
	{"P28", "markdown", `[click me](javascript:__kx('{id}'))`},
	{"P29", "markdown", `[click me](JAVASCRIPT:__kx%28'{id}'%29 "t")`},
	{"P30", "markdown", `![x](x" onerror="__kx('{id}'))`},
	{"P31", "markdown", "<div data-kx={id} onmouseover=\"__kx('{id}')\">\n\n<img data-kx={id} src=x onerror=__kx('{id}')>\n\n</div>"},
	{"P32", "markdown", `<javascript:__kx('{id}')>`},
	{"P33", "markdown", "[ref link][r]\n\n[r]: javascript:__kx('{id}')"},
	{"P34", "markdown", `[x](data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX19reCgxKTwvc2NyaXB0Pg==)`},
	{"P35", "markdown", "```\n</code><img data-kx={id} src=x onerror=__kx('{id}')>\n```"},
	// Unicode tricks.
	{"P36", "unicode", "\u202Egnp.exe<img data-kx={id} src=x onerror=__kx('{id}')>"},
	{"P37", "unicode", "\uFF1Cscript\uFF1E__kx('{id}')\uFF1C/script\uFF1E"},
	{"P38", "unicode", "<scr\u200Bipt>__kx('{id}')</scr\u200Bipt> java\u200Bscript:__kx('{id}')"},
	{"P39", "unicode", "<\u0455cript>__kx('{id}')</\u0455cript> \u0430dmin"},
	// Template-ish.
	{"P40", "template", `{{.}}{{template "layout"}}{{printf "%s" "x"}}${__kx('{id}')}#{__kx('{id}')}`},
	{"P41", "template", `{{constructor.constructor('__kx("{id}")')()}}`},
	// CSV formula starts.
	{"P42", "csv", `=HYPERLINK("https://kx.example/?{id}","open")`},
	{"P43", "csv", `+1+cmd|' /C calc'!A0`},
	{"P44", "csv", `-2+3+cmd|' /C calc'!A0`},
	{"P45", "csv", `@SUM(1+1)*cmd|' /C calc'!A0`},
	// SQL metacharacters.
	{"P46", "sql", `' OR '1'='1`},
	{"P47", "sql", `1; DROP TABLE patients--`},
	{"P48", "sql", `%' --`},
	{"P49", "sql", `"; SELECT pg_sleep(5); --`},
}

// text is the payload as sent: its id filled in, and the HTML-injection
// marker after it.
func (p attackPayload) text() string {
	return strings.ReplaceAll(p.Text, "{id}", p.ID) + ` <b data-kx="` + p.ID + `">`
}

// line is the payload for a single-line field: control characters, which
// single-line fields refuse, become spaces.
func (p attackPayload) line() string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, p.text())
}

// email is a valid-looking address carrying what of the payload the local
// part of an address allows (quotes, =, backtick, braces, apostrophes).
func (p attackPayload) email(round int) string {
	return fmt.Sprintf("kx.%s.%d'=`{x}`@kx.example", strings.ToLower(p.ID), round)
}

// url is an address whose path carries the payload (kept as typed where a
// URL allows it).
func (p attackPayload) url() string {
	return "https://kx.example/" + p.ID + "?q=" + strings.NewReplacer(" ", "%20", "\n", "%0A", "\t", "%09", "#", "%23").Replace(p.text())
}

// sqlValues are the values of the SQL metacharacter pass: quotes, comments,
// stacked statements, LIKE wildcards, a NUL byte and a very long string
// (long enough to pass any field limit, short enough that a URL holding it
// in every query key stays under the server's header limit).
var sqlValues = []string{
	`' OR '1'='1`,
	`1; DROP TABLE patients--`,
	`%' --`,
	`1' UNION SELECT name, sql FROM sqlite_master--`,
	"\x00",
	strings.Repeat("A'", 1500),
}

// sqlPathValues are the values put in place of a path id (fewer: a path id
// reaches one lookup).
var sqlPathValues = []string{`' OR '1'='1`, `1; DROP TABLE patients--`, "\x00", strings.Repeat("9", 3000)}
