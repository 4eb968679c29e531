# fuzz.mk: builds the libFuzzer targets (used by fuzz/build.sh; run from the
# repository root). The engine sources in src/wasm/ are compiled here with
# the fuzzer and sanitizer flags; build/ objects are never reused.

FUZZ_CC  ?= clang-14
OUT      ?= build/fuzz
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined
OPT      := -O1
CFLAGS    = -std=c11 -D_GNU_SOURCE -g $(OPT) -fno-omit-frame-pointer \
            -Wall -Wextra -Wno-unused-parameter -Iinclude -Isrc $(SANFLAGS) -MMD -MP

ENGINE_SRCS := $(wildcard src/wasm/*.c)
ENGINE_OBJS := $(patsubst src/wasm/%.c,$(OUT)/obj/%.o,$(ENGINE_SRCS))
# The Component Model layer (fuzz_component), objects under obj/cm/.
CM_SRCS     := $(wildcard src/component/*.c)
CM_OBJS     := $(patsubst src/component/%.c,$(OUT)/obj/cm/%.o,$(CM_SRCS))
TARGETS     := $(patsubst fuzz/%.c,$(OUT)/%,$(wildcard fuzz/fuzz_*.c))

all: $(TARGETS)

# The interpreter is one very large function of inlined handlers: clang-14
# needs many minutes for it at -O1 with the sanitizers, and seconds at -O0.
# The sanitizers work the same; it only runs slower.
O0_SRCS ?= wasm_exec
$(patsubst %,$(OUT)/obj/%.o,$(O0_SRCS)): OPT := -O0

$(OUT)/obj/%.o: src/wasm/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(OUT)/obj/cm/%.o: src/component/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(OUT)/obj/fuzz_%.o: fuzz/fuzz_%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(OUT)/libengine.a: $(ENGINE_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(OUT)/libcm.a: $(CM_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(OUT)/fuzz_component: $(OUT)/obj/fuzz_component.o $(OUT)/libcm.a $(OUT)/libengine.a
	$(FUZZ_CC) $(SANFLAGS) -fsanitize=fuzzer -o $@ $^ -lm -lpthread

# The HTTP parser (fuzz_http): pure, so it links alone.
$(OUT)/obj/http/%.o: src/http/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(OUT)/fuzz_http: $(OUT)/obj/fuzz_http.o $(OUT)/obj/http/http_parse.o
	$(FUZZ_CC) $(SANFLAGS) -fsanitize=fuzzer -o $@ $^

# The protocol codec (fuzz_proto): proto_json.c with the tables the main
# build generates from proto/ (make build/gen/proto_tables.c), and jansson.
$(OUT)/obj/cluster/%.o: src/cluster/%.c build/gen/proto_tables.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS) -Ibuild/gen -fsanitize=fuzzer-no-link -c -o $@ $<

$(OUT)/obj/gen/proto_tables.o: build/gen/proto_tables.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS) -Ibuild/gen -fsanitize=fuzzer-no-link -c -o $@ $<

build/gen/proto_tables.c build/gen/proto_tables.h:
	$(MAKE) --no-print-directory build/gen/proto_tables.c

$(OUT)/fuzz_proto: $(OUT)/obj/fuzz_proto.o $(OUT)/obj/cluster/proto_json.o $(OUT)/obj/gen/proto_tables.o $(OUT)/libengine.a
	$(FUZZ_CC) $(SANFLAGS) -fsanitize=fuzzer -o $@ $^ -ljansson -lm -lpthread

# The workload.start path (fuzz_workload): the codec, the Workload message ->
# manifest conversion and the manifest parser, instrumented; what they call
# below (plugins, component model...) comes from the main build's libraries.
$(OUT)/obj/host/%.o: src/host/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

MAIN_LIBS := $(foreach l,cluster host plugins http wasi component wasm,build/libstratus_$(l).a)
$(MAIN_LIBS):
	$(MAKE) --no-print-directory $@

$(OUT)/fuzz_workload: $(OUT)/obj/fuzz_workload.o $(OUT)/obj/cluster/cluster_workload.o $(OUT)/obj/cluster/proto_json.o $(OUT)/obj/gen/proto_tables.o $(OUT)/obj/host/host_workload.o $(MAIN_LIBS)
	$(FUZZ_CC) $(SANFLAGS) -fsanitize=fuzzer -o $@ $^ -lyaml -lcurl -lnats -ljansson -lm -lpthread

$(OUT)/fuzz_%: $(OUT)/obj/fuzz_%.o $(OUT)/libengine.a
	$(FUZZ_CC) $(SANFLAGS) -fsanitize=fuzzer -o $@ $^ -lm -lpthread

.PHONY: all
.SECONDARY:
-include $(wildcard $(OUT)/obj/*.d $(OUT)/obj/cm/*.d $(OUT)/obj/http/*.d $(OUT)/obj/cluster/*.d $(OUT)/obj/host/*.d)
