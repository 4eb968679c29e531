# Stratus build. `make` builds build/stratus; `make SAN=1` builds an
# AddressSanitizer + UndefinedBehaviorSanitizer variant in build-san/.
#
# Layers are static libraries, linked bottom up; see ARCHITECTURE in README.

CC      ?= cc
CSTD    := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror -Wno-unused-parameter
OPT     ?= -O2 -g
INCS    := -Iinclude -Isrc

ifeq ($(SAN),1)
BUILD   ?= build-san
CC      := clang
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
# The interpreter is one huge function; instrumented at -O1 it takes
# minutes to compile, at -O0 seconds.
$(BUILD)/obj/wasm/wasm_exec.o: OPT := -O0 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined
else
BUILD   ?= build
# gcc's manual: a computed-goto interpreter runs as fast or faster without
# global CSE (-fno-gcse), and the pass is a third of the interpreter's
# compile time.
ifeq ($(shell $(CC) -dM -E -x c /dev/null 2>/dev/null | grep -c __clang__),0)
$(BUILD)/obj/wasm/wasm_exec.o: CFLAGS += -fno-gcse
endif
endif

CFLAGS  += $(CSTD) $(WARN) $(OPT) $(INCS) -MMD -MP
LDLIBS  += -lyaml -lcurl -lnats -lm -lpthread

# A layer joins once its folder has sources.
LAYERS  := wasm component wasi $(foreach l,http plugins host,$(if $(wildcard src/$(l)/*.c),$(l)))
# Layer 7: the cluster host (its rules are at the end of this file).
LAYERS  += $(if $(wildcard src/cluster/*.c),cluster)
LIBS    := $(foreach l,$(LAYERS),$(BUILD)/libstratus_$(l).a)

all: $(BUILD)/stratus

# One static library per layer under src/<layer>/.
define layer_rules
$(1)_SRCS := $$(wildcard src/$(1)/*.c)
$(1)_OBJS := $$(patsubst src/%.c,$(BUILD)/obj/%.o,$$($(1)_SRCS))
$(BUILD)/libstratus_$(1).a: $$($(1)_OBJS)
	@rm -f $$@
	ar rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_rules,$(l))))

CLI_SRCS := $(wildcard src/cli/*.c)
CLI_OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(CLI_SRCS))

# Higher layers first on the link line so references resolve downward.
$(BUILD)/stratus: $(CLI_OBJS) $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(call reverse,$(LIBS)) $(LDLIBS)

reverse = $(if $(1),$(call reverse,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# Unit tests: tests/unit/*.c, each a program linked against the layers.
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
$(BUILD)/tests/%: tests/unit/%.c $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(call reverse,$(LIBS)) $(LDLIBS)

unit: $(UNIT_BINS)

clean:
	rm -rf build build-san

.PHONY: all unit clean
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---- cluster layer: wasmcloud.runtime.v2 tables generated from proto/ ----
# tools/protogen turns the .proto files into $(BUILD)/gen/proto_tables.[ch],
# which are generated before the layer compiles and join its library.
ifneq ($(wildcard src/cluster/*.c),)
PROTO_FILES := $(sort $(wildcard proto/wasmcloud/runtime/v2/*.proto))
PROTO_GEN   := $(BUILD)/gen/proto_tables.c $(BUILD)/gen/proto_tables.h
LDLIBS += -ljansson

$(BUILD)/tools/protogen: tools/protogen.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(LDFLAGS) -o $@ $<

$(PROTO_GEN) &: $(BUILD)/tools/protogen $(PROTO_FILES)
	@mkdir -p $(BUILD)/gen
	$(BUILD)/tools/protogen $(PROTO_GEN) $(PROTO_FILES) || { rm -f $(PROTO_GEN); exit 1; }

$(BUILD)/obj/gen/proto_tables.o: $(BUILD)/gen/proto_tables.c $(BUILD)/gen/proto_tables.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(BUILD)/gen -c -o $@ $<

$(cluster_OBJS): $(BUILD)/gen/proto_tables.h
$(cluster_OBJS): CFLAGS += -I$(BUILD)/gen
$(BUILD)/libstratus_cluster.a: $(BUILD)/obj/gen/proto_tables.o
$(BUILD)/tests/test_proto_json: $(BUILD)/gen/proto_tables.h
$(BUILD)/tests/test_proto_json: CFLAGS += -I$(BUILD)/gen
endif
