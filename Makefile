# kapi build. `make` builds build/kapi; `make run` and `make test` also install
# what they need (Debian 12, as root). Sources are discovered: every src/**/*.c
# goes into build/libkapi.a except src/server/main.c; every
# tests/unit/**/test_*.c is one cmocka test binary; every tests/fuzz/fuzz_*.c
# is one libFuzzer target.

CC      ?= cc
BUILD   ?= build
CFLAGS  ?= -O2 -g
BUILD_DATE := $(shell git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null)
# Always-on flags live apart from CFLAGS so `make CFLAGS=...` cannot drop them.
KAPI_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -pthread -MMD -MP \
               -DKAPI_BUILD_DATE=\"$(or $(BUILD_DATE),1970-01-01T00:00:00Z)\"
LDLIBS  := -lssl -lcrypto -lsqlite3 -lyaml -lnghttp2 -lsodium -lpcre2-8 -lpthread -lm

SRCS      := $(shell find src -name '*.c' ! -path src/server/main.c | sort)
OBJS      := $(SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_SRCS := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | sort)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

.PHONY: all run test deps unit asan fuzz e2e e2e-asan clean bench
all: $(BUILD)/kapi

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(KAPI_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/libkapi.a: $(OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/kapi: $(BUILD)/obj/src/server/main.o $(BUILD)/libkapi.a
	$(CC) $(KAPI_CFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libkapi.a
	@mkdir -p $(dir $@)
	$(CC) $(KAPI_CFLAGS) $(CFLAGS) -Isrc -o $@ $< $(BUILD)/libkapi.a $(LDLIBS) -lcmocka

# Fuzz targets: the library once more with clang, coverage and sanitizers.
FUZZ_CFLAGS := $(filter-out -MMD -MP,$(KAPI_CFLAGS)) -g -O1 -fno-sanitize-recover=undefined
FUZZ_OBJS := $(SRCS:%.c=$(BUILD)/fuzzobj/%.o)

$(BUILD)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

$(BUILD)/libkapi-fuzz.a: $(FUZZ_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/libkapi-fuzz.a
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -Isrc -o $@ $< $(BUILD)/libkapi-fuzz.a $(LDLIBS)

deps:
	@tools/install-deps.sh

run: deps all
	$(BUILD)/kapi --data-dir $(CURDIR)/.kapi-data -v=1

unit: $(UNIT_BINS)
	@tools/run-unit.sh $(UNIT_BINS)

# Unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
asan:
	$(MAKE) BUILD=build-asan CC=clang \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
	  build-asan/kapi unit

fuzz: $(FUZZ_BINS)
	@tools/run-fuzz.sh $(FUZZ_BINS)

e2e: all
	@tools/run-e2e.sh

# The end-to-end suite again against the ASan+UBSan server (built by `asan`).
e2e-asan:
	@KAPI_BIN=$(CURDIR)/build-asan/kapi tools/run-e2e.sh

test: deps
	$(MAKE) all unit
	$(MAKE) asan
	$(MAKE) fuzz
	$(MAKE) e2e
	$(MAKE) e2e-asan

bench: deps all
	@bench/run.sh

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
