# wast_forms.awk: splits a .wast script into its top-level forms, writing
# each one under 64 KiB to OUT/PREFIX-N.wast (seeds for fuzz_text): every
# module, assert_malformed and assert_invalid, and the first MAXOTHER
# (default 20) other commands, which are mostly alike.
#   awk -v OUT=dir -v PREFIX=name -f fuzz/wast_forms.awk FILE.wast
# Tracks strings, line comments (;; ...) and nested block comments ((; ;)).
BEGIN { RS = "\001"; n = 0; others = 0; if (MAXOTHER == "") MAXOTHER = 20 }
{
  text = $0
  len = length(text)
  depth = 0; start = 0; instr = 0; block = 0
  for (i = 1; i <= len; i++) {
    c = substr(text, i, 1)
    if (instr) {
      if (c == "\\") i++
      else if (c == "\"") instr = 0
      continue
    }
    two = substr(text, i, 2)
    if (block) {
      if (two == "(;") { block++; i++ }
      else if (two == ";)") { block--; i++ }
      continue
    }
    if (two == ";;") {
      while (i <= len && substr(text, i, 1) != "\n") i++
      continue
    }
    if (two == "(;") { block = 1; i++; continue }
    if (c == "\"") { instr = 1; continue }
    if (c == "(") { if (depth == 0) start = i; depth++ }
    else if (c == ")" && depth > 0) {
      depth--
      if (depth == 0 && i - start < 65536) {
        form = substr(text, start, i - start + 1)
        if (form !~ /^\([ \t\n]*(module|assert_malformed|assert_invalid)/ && others++ >= MAXOTHER)
          continue
        f = OUT "/" PREFIX "-" n++ ".wast"
        printf "%s\n", form > f
        close(f)
      }
    }
  }
}
