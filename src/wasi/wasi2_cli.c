/* wasi2_cli.c: wasi:cli 0.2: environment, exit, stdin/stdout/stderr and
 * the terminal-* interfaces. exit unwinds the guest with a trap whose
 * message starts with WASI2_EXIT_TRAP_MARKER; the code is kept in the
 * context for wasi2_exit_code. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "wasi/wasi2_internal.h"

static wasm_status get_environment(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                   cm_val *res, wasm_error *err) {
  wasi2_ctx *c = env;
  if (!cm_val_agg(res, CM_LIST, c->nenv)) return w2_nomem(err);
  for (uint32_t i = 0; i < c->nenv; i++) {
    const char *kv = c->env[i], *eq = strchr(kv, '=');
    size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
    const char *v = eq ? eq + 1 : "";
    cm_val *t = &res->of.list.elems[i];
    if (!cm_val_agg(t, CM_TUPLE, 2) || !cm_val_string(&t->of.list.elems[0], kv, klen) ||
        !cm_val_string(&t->of.list.elems[1], v, strlen(v))) {
      cm_val_free(res);
      return w2_nomem(err);
    }
  }
  return WASM_OK;
}

static wasm_status get_arguments(void *env, cm_instance *caller, const cm_val *a, size_t n,
                                 cm_val *res, wasm_error *err) {
  wasi2_ctx *c = env;
  if (!cm_val_agg(res, CM_LIST, c->nargs)) return w2_nomem(err);
  for (uint32_t i = 0; i < c->nargs; i++)
    if (!cm_val_string(&res->of.list.elems[i], c->args[i], strlen(c->args[i]))) {
      cm_val_free(res);
      return w2_nomem(err);
    }
  return WASM_OK;
}

static wasm_status initial_cwd(void *env, cm_instance *caller, const cm_val *a, size_t n,
                               cm_val *res, wasm_error *err) {
  wasi2_ctx *c = env;
  if (!c->cwd) return cm_val_case(res, CM_OPTION, 0, NULL) ? WASM_OK : w2_nomem(err);
  cm_val s;
  if (!cm_val_string(&s, c->cwd, strlen(c->cwd))) return w2_nomem(err);
  return cm_val_case(res, CM_OPTION, 1, &s) ? WASM_OK : w2_nomem(err);
}

static wasm_status do_exit(wasi2_ctx *c, int code, wasm_error *err) {
  c->exited = true;
  c->exit_code = code;
  return w2_trap(err, "%s%d", WASI2_EXIT_TRAP_MARKER, code);
}

static wasm_status cli_exit(void *env, cm_instance *caller, const cm_val *a, size_t n,
                            cm_val *res, wasm_error *err) {
  return do_exit(env, a[0].of.variant.disc == 0 ? 0 : 1, err);
}

static wasm_status cli_exit_with_code(void *env, cm_instance *caller, const cm_val *a,
                                      size_t n, cm_val *res, wasm_error *err) {
  return do_exit(env, (int)(a[0].of.u & 0xff), err);
}

static wasm_status get_stdin(void *env, cm_instance *caller, const cm_val *a, size_t n,
                             cm_val *res, wasm_error *err) {
  wasi2_ctx *c = env;
  int fd = c->stdio[0];
  return w2_new_input(c, fd, false, fd >= 0 ? W2_IO_FD : W2_IO_NONE, 0, res, err);
}

static wasm_status output_of(wasi2_ctx *c, int fd, cm_val *res, wasm_error *err) {
  return w2_new_output(c, fd, false, fd >= 0 ? W2_IO_FD : W2_IO_NONE, 0, false, res, err);
}

static wasm_status get_stdout(void *env, cm_instance *caller, const cm_val *a, size_t n,
                              cm_val *res, wasm_error *err) {
  return output_of(env, ((wasi2_ctx *)env)->stdio[1], res, err);
}

static wasm_status get_stderr(void *env, cm_instance *caller, const cm_val *a, size_t n,
                              cm_val *res, wasm_error *err) {
  return output_of(env, ((wasi2_ctx *)env)->stdio[2], res, err);
}

/* option<terminal-input/output>: some when the host fd is a terminal. */
static wasm_status terminal(wasi2_ctx *c, int i, cm_val *res, wasm_error *err) {
  int fd = c->stdio[i];
  if (fd < 0 || !isatty(fd)) return cm_val_case(res, CM_OPTION, 0, NULL) ? WASM_OK : w2_nomem(err);
  w2_kind k = i == 0 ? W2_TERM_IN : W2_TERM_OUT;
  uint32_t rep;
  if (!w2_obj_alloc(c, k, &rep)) return w2_trap(err, "wasi: too many resources");
  cm_val h;
  wasm_status st = w2_handle(c, k, rep, &h, err);
  if (st) return st;
  return cm_val_case(res, CM_OPTION, 1, &h) ? WASM_OK : w2_nomem(err);
}

static wasm_status term_stdin(void *env, cm_instance *caller, const cm_val *a, size_t n,
                              cm_val *res, wasm_error *err) {
  return terminal(env, 0, res, err);
}
static wasm_status term_stdout(void *env, cm_instance *caller, const cm_val *a, size_t n,
                               cm_val *res, wasm_error *err) {
  return terminal(env, 1, res, err);
}
static wasm_status term_stderr(void *env, cm_instance *caller, const cm_val *a, size_t n,
                               cm_val *res, wasm_error *err) {
  return terminal(env, 2, res, err);
}

static const struct {
  const char *iface, *wit;
  w2_fn fns[3];
  size_t n;
} cli_ifaces[] = {
    {"wasi:cli/environment",
     "interface environment {\n"
     "  get-environment: func() -> list<tuple<string, string>>;\n"
     "  get-arguments: func() -> list<string>;\n"
     "  initial-cwd: func() -> option<string>;\n"
     "}\n",
     {{"get-environment", get_environment},
      {"get-arguments", get_arguments},
      {"initial-cwd", initial_cwd}},
     3},
    {"wasi:cli/exit",
     "interface exit {\n"
     "  exit: func(status: result);\n"
     "  exit-with-code: func(status-code: u8);\n"
     "}\n",
     {{"exit", cli_exit}, {"exit-with-code", cli_exit_with_code}},
     2},
    {"wasi:cli/stdin",
     "interface stdin {\n"
     "  use wasi:io/streams.{input-stream};\n"
     "  get-stdin: func() -> input-stream;\n"
     "}\n",
     {{"get-stdin", get_stdin}},
     1},
    {"wasi:cli/stdout",
     "interface stdout {\n"
     "  use wasi:io/streams.{output-stream};\n"
     "  get-stdout: func() -> output-stream;\n"
     "}\n",
     {{"get-stdout", get_stdout}},
     1},
    {"wasi:cli/stderr",
     "interface stderr {\n"
     "  use wasi:io/streams.{output-stream};\n"
     "  get-stderr: func() -> output-stream;\n"
     "}\n",
     {{"get-stderr", get_stderr}},
     1},
    {"wasi:cli/terminal-input", "interface terminal-input {\n  resource terminal-input;\n}\n",
     {{NULL, NULL}}, 0},
    {"wasi:cli/terminal-output", "interface terminal-output {\n  resource terminal-output;\n}\n",
     {{NULL, NULL}}, 0},
    {"wasi:cli/terminal-stdin",
     "interface terminal-stdin {\n"
     "  get-terminal-stdin: func() -> option<terminal-input>;\n"
     "}\n",
     {{"get-terminal-stdin", term_stdin}},
     1},
    {"wasi:cli/terminal-stdout",
     "interface terminal-stdout {\n"
     "  get-terminal-stdout: func() -> option<terminal-output>;\n"
     "}\n",
     {{"get-terminal-stdout", term_stdout}},
     1},
    {"wasi:cli/terminal-stderr",
     "interface terminal-stderr {\n"
     "  get-terminal-stderr: func() -> option<terminal-output>;\n"
     "}\n",
     {{"get-terminal-stderr", term_stderr}},
     1},
};

wasm_status w2_link_cli(wasi2_ctx *c, wasm_error *err) {
  for (size_t i = 0; i < sizeof cli_ifaces / sizeof cli_ifaces[0]; i++) {
    wasm_status st = w2_define(c, cli_ifaces[i].iface, cli_ifaces[i].wit, cli_ifaces[i].fns,
                               cli_ifaces[i].n, err);
    if (st) return st;
  }
  return WASM_OK;
}
