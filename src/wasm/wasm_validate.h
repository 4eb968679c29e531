/*
 * wasm_validate.h: split of the validator (private to wasm_validate*.c).
 */
#ifndef WASM_VALIDATE_H
#define WASM_VALIDATE_H

#include "wasm_module.h"

/* Validates the body of defined function i (index into m->funcs). */
wasm_status wasm_validate_func(const wasm_module *m, uint32_t i,
                               wasm_error *err);

#endif
