# kapstone: `make test` is the README's test command; CI runs exactly it.
GO ?= go

.PHONY: test vet fmt-check bench run build

# The suite runs on SQLite; when KAPSTONE_TEST_POSTGRES names a database,
# it runs a second time on PostgreSQL.
test: fmt-check vet
	KAPSTONE_TEST_POSTGRES= $(GO) test -race -count=1 -timeout 30m ./...
	@if [ -n "$$KAPSTONE_TEST_POSTGRES" ]; then \
		echo "== the same suite on PostgreSQL"; \
		$(GO) test -race -count=1 -timeout 30m ./... ; \
	fi

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Benchmarks compare each measured path with a baseline measured in the same run.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./...

run:
	$(GO) run ./cmd/kapstone demo

build:
	$(GO) build -trimpath -o kapstone ./cmd/kapstone
