# kapi build. `make` builds build/kapi; `make run` and `make test` also install
# what they need (Debian 12, as root). Sources are discovered: every src/**/*.c
# goes into build/libkapi.a except src/server/main.c; every
# tests/unit/**/test_*.c is one cmocka test binary; every tests/fuzz/fuzz_*.c
# is one libFuzzer target.

CC      ?= cc
BUILD   ?= build
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -pthread -MMD -MP
LDLIBS  := -lssl -lcrypto -lsqlite3 -lyaml -lpthread -lm

SRCS      := $(shell find src -name '*.c' ! -path src/server/main.c | sort)
OBJS      := $(SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_SRCS := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | sort)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

.PHONY: all run test deps unit asan fuzz e2e clean bench
all: $(BUILD)/kapi

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libkapi.a: $(OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/kapi: $(BUILD)/obj/src/server/main.o $(BUILD)/libkapi.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libkapi.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -o $@ $< $(BUILD)/libkapi.a $(LDLIBS) -lcmocka

$(BUILD)/fuzz/%: tests/fuzz/%.c $(SRCS)
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter -pthread \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Isrc \
	  -o $@ $< $(SRCS) $(LDLIBS)

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

test: deps
	$(MAKE) all unit
	$(MAKE) asan
	$(MAKE) fuzz
	$(MAKE) e2e

bench: deps all
	@bench/run.sh

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
