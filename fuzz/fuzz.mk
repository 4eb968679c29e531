# fuzz.mk: builds the libFuzzer targets (used by fuzz/build.sh; run from the
# repository root). The engine sources in src/wasm/ are compiled here with
# the fuzzer and sanitizer flags; build/ objects are never reused.

FUZZ_CC  ?= clang-14
OUT      ?= build/fuzz
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined
CFLAGS   := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
            -Wall -Wextra -Wno-unused-parameter -Iinclude -Isrc $(SANFLAGS) -MMD -MP

ENGINE_SRCS := $(wildcard src/wasm/*.c)
ENGINE_OBJS := $(patsubst src/wasm/%.c,$(OUT)/obj/%.o,$(ENGINE_SRCS))
TARGETS     := $(patsubst fuzz/%.c,$(OUT)/%,$(wildcard fuzz/fuzz_*.c))

all: $(TARGETS)

$(OUT)/obj/%.o: src/wasm/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(OUT)/obj/fuzz_%.o: fuzz/fuzz_%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(OUT)/libengine.a: $(ENGINE_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(OUT)/fuzz_%: $(OUT)/obj/fuzz_%.o $(OUT)/libengine.a
	$(FUZZ_CC) $(SANFLAGS) -fsanitize=fuzzer -o $@ $^ -lm -lpthread

.PHONY: all
.SECONDARY:
-include $(wildcard $(OUT)/obj/*.d)
