# kapstone: `make test` is the README's test command; CI runs `make lint`, then it.
GO ?= go

# Every target builds with Go 1.27.3: go1.26.x has eleven standard-library
# vulnerabilities that reach kapstone (govulncheck). The go command fetches the
# toolchain from the module proxy the first time (~76 MB). go.mod's toolchain
# line asks for the same of an ordinary Go (GOTOOLCHAIN=auto); this export is
# for machines whose Go is set to GOTOOLCHAIN=local. Override with
# `make test GOTOOLCHAIN=local` to use the Go on the PATH.
GOTOOLCHAIN ?= go1.27.3
export GOTOOLCHAIN

.PHONY: test vet lint vulncheck check-ignored fmt-check bench run build fuzz

# The suite runs on SQLite; when KAPSTONE_TEST_POSTGRES names a database,
# it runs a second time on PostgreSQL. The per-package timeout leaves room
# for cmd/kapstone, whose browser tests under -race take ~25 minutes on 2
# cores (CI's whole run must stay under 90).
test: fmt-check vet
	KAPSTONE_TEST_POSTGRES= $(GO) test -race -count=1 -timeout 45m ./...
	@if [ -n "$$KAPSTONE_TEST_POSTGRES" ]; then \
		echo "== the same suite on PostgreSQL"; \
		$(GO) test -race -count=1 -timeout 45m ./... ; \
	fi

vet:
	$(GO) vet ./...

# staticcheck at a pinned version (go run fetches it from the module proxy
# the first time; it is not a dependency in go.mod), after go vet. CI runs
# it before make test.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: vet check-ignored
	$(GO) run $(STATICCHECK) ./...

# govulncheck against a vulnerability database built offline from the
# golang.org/x/vulndb module (the module proxy serves it; vuln.go.dev may not
# be reachable). Fails on any vulnerability reachable from kapstone's code.
VULNDB_VERSION ?= v0.0.0-20261105234957-e22db6528018
GOVULNCHECK ?= golang.org/x/vuln/cmd/govulncheck@v1.9.0

vulncheck:
	@db=$$(mktemp -d); trap 'rm -rf "$$db"' EXIT; \
	$(GO) mod download golang.org/x/vulndb@$(VULNDB_VERSION) && \
	$(GO) run golang.org/x/vulndb/cmd/indexdb@$(VULNDB_VERSION) \
		-vulns "$$($(GO) env GOMODCACHE)/golang.org/x/vulndb@$(VULNDB_VERSION)/data/osv" -out "$$db/db" && \
	$(GO) version && \
	$(GO) run $(GOVULNCHECK) -db "file://$$db/db" ./...

# No key, database or data directory can be committed: .gitignore matches
# them at any depth, and no tracked file matches .gitignore (a stray audit
# key from a test run was committed once).
check-ignored:
	@if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then echo "check-ignored: not a git work tree, skipped"; exit 0; fi; \
	for f in audit-key.pem data-key a/b/data-key a/b/tls.key kapstone-data/x a/kapstone-data/audit-key.pem kapstone.db a/b/kapstone.db a/kapstone.db-wal; do \
		git check-ignore -q --no-index "$$f" || { echo ".gitignore does not ignore $$f"; exit 1; }; \
	done; \
	bad=$$(git ls-files -ci --exclude-standard); \
	if [ -n "$$bad" ]; then echo "tracked files that .gitignore ignores (remove them with git rm --cached):"; echo "$$bad"; exit 1; fi

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi


# Fuzzing: every fuzz target (a func FuzzX(f *testing.F) in a _test.go
# file) runs for FUZZTIME, one go test per target (go test fuzzes one at a
# time). The list is read from the source, so a new target is never left
# out. make test already runs each target's seeds (f.Add and
# testdata/fuzz/FuzzX) as ordinary tests; a failure found here is written
# to testdata/fuzz/FuzzX: fix its cause and commit it as a seed.
FUZZTIME ?= 5s

fuzz:
	@targets=$$(grep -rEo --include='*_test.go' --exclude-dir=.git --exclude-dir=testdata '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . \
		| sed -E 's|^(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*).*|\1:\2|' | sort -u); \
	if [ -z "$$targets" ]; then echo "fuzz: no fuzz targets found"; exit 1; fi; \
	n=0; for t in $$targets; do \
		echo "== fuzz $${t%%:*} $${t##*:} for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${t##*:}\$$" -fuzztime $(FUZZTIME) "$${t%%:*}" || exit 1; \
		n=$$((n + 1)); \
	done; \
	echo "fuzz: $$n targets ran, $(FUZZTIME) each"

# Benchmarks compare each measured path with a baseline measured in the same run:
# the Go benchmarks, then the load generator (kapstone loadtest: real demo
# servers grown with demo -scale to 1,000 and 10,000 patients, driven over
# loopback beside a bare net/http server sending the same bytes; on
# PostgreSQL too when KAPSTONE_TEST_POSTGRES is set). It prints each issue 18
# target with MET or MISSED, and fails only on failed requests. Smaller runs:
# make bench LOADTEST='-patients 100,1000 -duration 2s -rss-clients 16'.
LOADTEST ?=

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./...
	$(GO) run ./cmd/kapstone loadtest $(LOADTEST)

run:
	$(GO) run ./cmd/kapstone demo

build:
	$(GO) build -trimpath -o kapstone ./cmd/kapstone
